"""Warm workers are exactly as confined as cold ones, and nothing passes from one student to the next."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.session import Session
from autograder.limits import Limits
from autograder.proxy import StudentCrash
from autograder.sandbox import confinement, warm
from autograder.submission import load_submission

LIMITS = Limits(call_timeout=20.0, cpu_seconds=120, threads=1)


def facts() -> dict:
    """What a worker can observe about its own confinement (runs in the worker)."""
    import os
    import resource
    import socket
    import sys

    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        network = "socket allowed"
    except OSError as exc:
        network = type(exc).__name__
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in
              ("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE")}
    used = int(status["VmSize"].split()[0]) * 1024
    import torch

    def fd_kind(fd: str) -> str | None:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return None  # the descriptor listdir itself used
        return target.split(":")[0] if ":" in target else target

    return {
        "uid": [os.getuid(), os.geteuid(), os.getgid(), os.getegid()], "groups": sorted(os.getgroups()),
        "env": {k: v for k, v in os.environ.items() if k not in ("HOME", "TMPDIR", "PWD")},
        "home_is_cwd": [os.environ.get(k) == os.getcwd() for k in ("HOME", "TMPDIR", "PWD")],
        "files_here": sorted(os.listdir(".")), "root": sorted(os.listdir("/")),
        "repo_visible": os.path.exists(sys.argv[0].rsplit("/autograder", 1)[0] + "/solutions"),
        "limits": {k: list(v) for k, v in limits.items()},
        "headroom_mib": (resource.getrlimit(resource.RLIMIT_AS)[0] - used) // 2**20,
        "fds": sorted(kind for kind in map(fd_kind, os.listdir("/proc/self/fd")) if kind),
        "seccomp": status["Seccomp"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
        "caps": [status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
        "network": network, "threads": torch.get_num_threads(), "cuda_initialized": torch.cuda.is_initialized(),
        "stdin": os.read(0, 1).decode(), "path0_is_cwd": sys.path[0] == os.getcwd(),
        "dumpable": open("/proc/self/status").read().count("\n") > 0 and os.access("/proc/self/mem", os.R_OK),
    }


def leads_own_session() -> bool:
    """Whether the worker leads its own session and process group (so killpg takes all it started)."""
    import os

    return os.getsid(0) == os.getpgid(0) == os.getpid()


def sabotage() -> dict:
    """Leave things behind for the next student: a process, files, a changed global, a SysV segment."""
    import builtins
    import ctypes
    import os

    builtins.LEFT_BEHIND = True
    for place in (".", "/tmp", "/dev/shm", os.environ["HOME"]):
        try:
            with open(os.path.join(place, "left_behind.txt"), "w") as handle:
                handle.write("secret answers")
        except OSError:
            pass
    libc = ctypes.CDLL(None)
    segment = libc.shmget(0, 4096, 0o1666)  # IPC_PRIVATE, IPC_CREAT | 0666
    if os.fork() == 0:  # a grandchild that leaves the worker's group and session
        os.setsid()
        if os.fork() == 0:
            import time

            time.sleep(600)
        os._exit(0)
    return {"parent": os.getppid(), "segment": segment}


def leftovers(parent: int) -> dict:
    """What the previous student left that this worker can see."""
    import builtins
    import os

    processes = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (os.getpid(), 1, parent):
            try:
                processes.append(open(f"/proc/{entry}/cmdline").read())
            except OSError:
                pass
    files = [os.path.join(p, n) for p in ("/tmp", "/dev/shm", "..") for n in os.listdir(p)]
    mine = os.path.join("..", os.path.basename(os.getcwd()))
    shm = open("/proc/sysvipc/shm").read().splitlines()[1:]
    return {"global": hasattr(builtins, "LEFT_BEHIND"), "processes": processes, "shm": shm,
            # the Python environment's bind mount creates its parents when the checkout lives under /tmp
            "files": [f for f in files if f != mine and not os.getcwd().startswith(f + "/")
                      and not __import__("sys").prefix.startswith(os.path.realpath(f) + "/")]}


def read_template(parent: int) -> str:
    """Try to read the template's memory and to trace it (it holds the next student's worker)."""
    import ctypes

    outcomes = []
    try:
        open(f"/proc/{parent}/mem", "rb").read(1)
        outcomes.append("mem readable")
    except OSError as exc:
        outcomes.append(type(exc).__name__)
    libc = ctypes.CDLL(None, use_errno=True)
    outcomes.append("attached" if libc.ptrace(16, parent, None, None) == 0 else f"errno {ctypes.get_errno()}")
    return " ".join(outcomes)


@pytest.fixture
def submission(tmp_path: Path):
    path = tmp_path / "storage.py"
    path.write_text("import torch\n\ndef double(x):\n    return x * 2\n")
    return load_submission(path, "storage")


def started(submission, limits: Limits) -> Session:
    session = Session(submission, limits)
    session.ensure_started()
    assert session.load_error is None, session.load_error
    return session


@pytest.mark.slow
def test_warm_worker_is_confined_exactly_like_a_cold_one(submission):
    with started(submission, Limits(**{**LIMITS.__dict__, "warm": False})) as cold_session:
        assert type(cold_session.process.popen).__name__ == "Popen"
        cold = cold_session.trusted(facts)
    with started(submission, LIMITS) as warm_session:
        assert isinstance(warm_session.process.popen, warm.WarmChild), warm.why_cold()
        hot = warm_session.trusted(facts)
        assert warm_session.trusted(leads_own_session)  # (a cold worker's group is led by bwrap, outside)
        host_pid = warm_session.process.pid
        assert Path(f"/proc/{host_pid}").exists()  # the pid the grader holds is the host's view of the child
    # the memory a student may still allocate is a cold worker's (the template's extra imports don't count)
    assert abs(hot.pop("headroom_mib") - cold.pop("headroom_mib")) < 64
    assert hot == cold
    assert hot["files_here"] == ["storage.py"] and all(hot["home_is_cwd"]) and hot["path0_is_cwd"]
    assert hot["network"] != "socket allowed" and not hot["cuda_initialized"] and hot["stdin"] == ""
    assert hot["fds"] == ["/dev/null", "/dev/null", "pipe", "pipe", "pipe", "pipe"]  # nothing of the template's
    if confinement().bwrap:
        assert not hot["repo_visible"] and hot["uid"][0] == 65534


@pytest.mark.slow
def test_nothing_passes_from_one_student_to_the_next(submission):
    with started(submission, LIMITS) as first:
        assert isinstance(first.process.popen, warm.WarmChild), warm.why_cold()
        left = first.trusted(sabotage)
        assert left["segment"] >= 0
        template_pid = left["parent"]
        assert read_template(template_pid) in ("PermissionError errno 1", "ProcessLookupError errno 1")
    with started(submission, LIMITS) as second:
        assert isinstance(second.process.popen, warm.WarmChild), warm.why_cold()
        seen = second.trusted(leftovers, template_pid)
    assert seen == {"global": False, "processes": [], "shm": [], "files": []}


@pytest.mark.slow
def test_two_workers_at_once_get_a_cold_one_rather_than_share_a_template(submission):
    with started(submission, LIMITS) as first, started(submission, LIMITS) as second:
        kinds = {type(first.process.popen).__name__, type(second.process.popen).__name__}
        assert kinds == {"WarmChild", "Popen"}
        import torch

        assert second.call("double", (torch.ones(2),), {}).result.tolist() == [2.0, 2.0]
        assert first.call("double", (torch.ones(2),), {}).result.tolist() == [2.0, 2.0]


@pytest.mark.slow
def test_a_child_can_neither_stop_nor_kill_its_template(submission, monkeypatch):
    monkeypatch.setattr(warm, "REPLY_TIMEOUT", 2.0)

    def attack_parent() -> None:
        import os
        import signal

        for sig in (signal.SIGSTOP, signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(os.getppid(), sig)
            except OSError:
                pass
        os.kill(os.getpid(), signal.SIGKILL)

    with started(submission, LIMITS) as rogue:
        assert isinstance(rogue.process.popen, warm.WarmChild), warm.why_cold()
        template = rogue.process.popen.template
        with pytest.raises(StudentCrash):
            rogue.trusted(attack_parent)
    with started(submission, LIMITS) as after:
        import torch

        assert after.call("double", (torch.ones(1),), {}).result.tolist() == [2.0]
        if confinement().bwrap:  # the template is its namespace's init: the signals never reached it
            assert isinstance(after.process.popen, warm.WarmChild) and after.process.popen.template is template
            assert template.broken is None


@pytest.mark.slow
def test_a_child_forked_after_the_template_imported_torch_runs_multithreaded_ops(submission):
    def big_matmul() -> float:
        import torch

        x = torch.ones(512, 512)
        return float((x @ x).sum())

    with started(submission, Limits(**{**LIMITS.__dict__, "threads": 2})) as session:
        assert isinstance(session.process.popen, warm.WarmChild), warm.why_cold()
        assert session.trusted(big_matmul) == 512.0**3


def test_warm_workers_can_be_turned_off(submission, monkeypatch):
    monkeypatch.setenv("TENSORGRADE_WARM", "0")
    assert not warm.warm_enabled(LIMITS)
    monkeypatch.delenv("TENSORGRADE_WARM")
    assert warm.warm_enabled(LIMITS) and not warm.warm_enabled(Limits(warm=False))


@pytest.mark.slow
def test_a_template_that_cannot_start_falls_back_to_cold_workers(submission, monkeypatch):
    monkeypatch.setattr(warm, "TEMPLATE_MODULE", "autograder.no_such_module")
    monkeypatch.setattr(warm, "_lanes", {})
    monkeypatch.setattr(warm, "_why_cold", [])
    with started(submission, LIMITS) as session:
        assert type(session.process.popen).__name__ == "Popen"
        import torch

        assert session.call("double", (torch.ones(1),), {}).result.tolist() == [2.0]
    assert "no_such_module" in (warm.why_cold() or "")
    warm.close_all()


def test_templates_are_shared_by_limits_that_only_children_apply():
    assert warm._key(Limits(cpu_seconds=5, memory_bytes=None, threads=2)) == warm._key(Limits())
    assert warm._key(Limits(sandbox=False)) != warm._key(Limits())


def lane_state() -> dict:
    """Everything a worker inherits or can see that one student could change for the next (runs in the worker)."""
    import builtins
    import os
    import resource
    import signal
    import sys

    import torch

    umask = os.umask(0o022)
    os.umask(umask)
    dispositions = {}
    for sig in signal.valid_signals():
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                handler = signal.getsignal(sig)
            except (OSError, ValueError):
                continue
            dispositions[int(sig)] = handler if handler in (signal.SIG_DFL, signal.SIG_IGN, None) else "python"
    limits = {name: list(resource.getrlimit(getattr(resource, name))) for name in dir(resource)
              if name.startswith("RLIMIT_")}
    return {"env": {k: v for k, v in os.environ.items() if k not in ("HOME", "TMPDIR", "PWD")},
            "umask": umask, "signals": {str(k): str(v) for k, v in dispositions.items()}, "rlimits": limits,
            "modules": sorted(k for k in sys.modules if not k.startswith("tensorgrade_trusted")),
            "builtins": sorted(vars(builtins)), "default_dtype": str(torch.get_default_dtype()),
            "torch_sum": torch.sum is torch._C._VariableFunctions.sum, "threads": torch.get_num_threads(),
            "cwd_files": sorted(os.listdir(".")), "blocked_signals": sorted(map(int, signal.pthread_sigmask(
                signal.SIG_BLOCK, []))),
            "shm_free": os.statvfs("/dev/shm").f_bavail if os.path.isdir("/dev/shm") else None}


def leave_traces_everywhere() -> dict:
    """Child A: change and leave behind everything it can; says which of the lingering kinds it could even create."""
    import ctypes
    import os
    import resource
    import signal
    import sys
    import types

    import torch

    created = {}
    os.environ["TG_LEFT"] = "answers"
    os.putenv("TG_PUT", "answers")
    os.umask(0o000)
    for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_STACK, (2**20, resource.getrlimit(resource.RLIMIT_STACK)[1]))
    sys.modules["tg_left_behind"] = types.ModuleType("tg_left_behind")
    torch.sum = lambda *a, **k: 42  # noqa: ARG005
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(2)
    __import__("builtins").TG_LEFT = True
    # files everywhere it may write: its directory, the lane, /tmp, /dev/shm (filled up), hidden and locked ones
    for place in (".", "..", "/tmp", "/dev/shm"):
        for name in ("tg_left.txt", ".tg_hidden"):
            try:
                with open(os.path.join(place, name), "w") as handle:
                    handle.write("answers")
            except OSError:
                pass
        try:
            locked = os.path.join(place, "tg_locked")
            os.makedirs(os.path.join(locked, "inner", "deeper"))
            open(os.path.join(locked, "inner", "deeper", "f"), "w").close()
            os.chmod(os.path.join(locked, "inner", "deeper"), 0)
            os.chmod(os.path.join(locked, "inner"), 0)
            os.chmod(locked, 0)
        except OSError:
            pass
    try:  # the next child's directory, prepared in advance
        os.symlink("/tmp", os.path.join("..", f"w{int(os.path.basename(os.getcwd())[1:]) + 1}"))
    except (OSError, ValueError):
        pass
    try:
        os.mkfifo("/tmp/tg_fifo")
    except OSError:
        pass
    try:
        with open("/dev/shm/tg_fill", "wb") as handle:
            while True:
                handle.write(b"\0" * 2**20)
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    created["sysv"] = [libc.shmget(0, 4096, 0o1666) >= 0, libc.semget(0, 1, 0o1666) >= 0,
                       libc.msgget(0, 0o1666) >= 0]
    libc.syscall.restype = ctypes.c_long
    nr = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(os.uname().machine)
    if nr:  # add_key("user", "tg_left", "answers", 7, KEY_SPEC_USER_KEYRING)
        created["keyring"] = libc.syscall(nr[0], b"user", b"tg_left", b"answers", 7, -4) >= 0
    try:
        mq_open = libc.mq_open
        mq_open.restype = ctypes.c_int
        created["mqueue"] = mq_open(b"/tg_left", os.O_CREAT | os.O_RDWR, 0o600, None) >= 0
    except AttributeError:
        created["mqueue"] = None
    if os.fork() == 0:  # processes that leave the group and session, one of them stopped, one ignoring SIGTERM
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sys.argv[0] = "tg_left_process"
            import time

            time.sleep(600)
        if os.fork() == 0:
            os.kill(os.getpid(), signal.SIGSTOP)
        os._exit(0)
    return created


def find_traces(parent: int) -> dict:
    """Child B: every trace of child A that it can find."""
    import ctypes
    import os

    found = {}
    processes = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (os.getpid(), 1, parent):
            try:
                processes.append(open(f"/proc/{entry}/cmdline").read() or f"pid {entry}")
            except OSError:
                pass
    found["processes"] = processes
    found["files"] = [os.path.join(p, n) for p in (".", "..", "/tmp", "/dev/shm") for n in os.listdir(p)
                      if n.startswith(("tg_", ".tg_")) or (p == ".." and os.path.islink(os.path.join(p, n)))]
    found["sysv"] = {kind: open(f"/proc/sysvipc/{kind}").read().splitlines()[1:] for kind in ("shm", "sem", "msg")}
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    nr = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(os.uname().machine)
    if nr:  # keyctl(KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", "tg_left", 0)
        found["keyring"] = libc.syscall(nr[1], 10, -4, b"user", b"tg_left", 0) >= 0
    try:
        mq_open = libc.mq_open
        mq_open.restype = ctypes.c_int
        found["mqueue"] = mq_open(b"/tg_left", os.O_RDONLY, 0, None) >= 0
    except AttributeError:
        found["mqueue"] = False
    import builtins

    found["builtins"] = hasattr(builtins, "TG_LEFT")
    return found


@pytest.mark.slow
def test_a_child_leaves_traces_everywhere_and_the_next_finds_none(submission):
    """Lanes stay clean: files, a full /dev/shm, IPC, keyrings, processes, inherited and in-process state."""
    with started(submission, LIMITS) as first:
        assert isinstance(first.process.popen, warm.WarmChild), warm.why_cold()
        template = first.process.popen.template
        fresh = first.trusted(lane_state)
        created = first.trusted(leave_traces_everywhere)
        changed = first.trusted(lane_state)
    assert changed != fresh  # the sabotage did change this worker
    # state that would outlive the process and that no sweep can list is refused outright (seccomp)
    assert not created.get("keyring") and not created.get("mqueue"), created
    with started(submission, LIMITS) as second:
        assert isinstance(second.process.popen, warm.WarmChild), warm.why_cold()
        assert second.process.popen.template is template  # the same lane: its sweep ran in between
        traces = second.trusted(find_traces, second.trusted(_parent))
        after = second.trusted(lane_state)
    expected = {"processes": [], "files": [], "sysv": {"shm": [], "sem": [], "msg": []}, "mqueue": False,
                "builtins": False}
    if "keyring" in traces:
        expected["keyring"] = False
    assert traces == expected
    assert after == fresh


def _parent() -> int:
    import os

    return os.getppid()
