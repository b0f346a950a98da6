"""Isolation of the worker, each defence measured by a probe that tries to break it.

The probe is a submission whose functions attempt what a hostile one would (read the
solutions, write outside its directory, open sockets, raise its own limits, read the grader's
environment) and return what happened as plain data, which the tests check here.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.assignment import GRADERS_DIR, REPO_DIR, SOLUTIONS_DIR
from autograder.grading.session import Session
from autograder.limits import Limits, worker_env
from autograder.proxy import StudentCrash, StudentError, StudentFault
from autograder.sandbox import confinement
from autograder.sandbox.launch import RUNTIME_FILES
from autograder.submission import load_submission
from tests.worker_watch import describe, stragglers, watched  # noqa: F401 - fixture

NEEDS_BWRAP = pytest.mark.skipif(not confinement().bwrap, reason="bubblewrap cannot run here: "
                                 "`tensorgrade doctor` says why; the allow-list filesystem and namespaces are off")
NEEDS_UID = pytest.mark.skipif(not confinement().separate_uid, reason="workers cannot get a uid of their own here "
                               "(the grader is not root): `tensorgrade doctor` says why")

PROBE = r'''
import ctypes, errno, glob, os, resource, socket, sys


def attempt(action):
    try:
        result = action()
        return "ok" if result is None else result
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno)) if exc.errno else type(exc).__name__
    except Exception as exc:
        return type(exc).__name__


def read(path):
    with open(path, "rb") as handle:
        handle.read(1)


def write(path):
    with open(path, "ab") as handle:
        handle.write(b"probe")


def reads(paths):
    return {p: attempt(lambda p=p: read(p)) for p in paths}


def writes(paths):
    return {p: attempt(lambda p=p: write(p)) for p in paths}


def listing(path):
    return attempt(lambda: sorted(os.listdir(path)))


def identity():
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": list(os.getgroups()),
            "seccomp": status.get("Seccomp", "").strip(), "caps": status.get("CapEff", "").strip(),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "cwd": os.getcwd()}


def environment():
    own = dict(os.environ)
    others = {}
    for pid in ("1", str(os.getppid())):
        others[pid] = attempt(lambda pid=pid: open(f"/proc/{pid}/environ", "rb").read().decode("latin-1"))
    return {"own": own, "others": others}


def descriptors():
    out = {}
    for fd in os.listdir("/proc/self/fd"):
        out[fd] = attempt(lambda fd=fd: os.readlink(f"/proc/self/fd/{fd}"))
    return out


def network(port, abstract):
    def tcp(host, family=socket.AF_INET):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect((host, port))

    def unix():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(abstract)

    libc = ctypes.CDLL(None, use_errno=True)
    raw = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    interfaces = attempt(lambda: sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]))
    return {"tcp_host": attempt(lambda: tcp("127.0.0.1")), "tcp6": attempt(lambda: tcp("::1", socket.AF_INET6)),
            "udp": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))),
            "abstract_unix": attempt(unix), "ctypes_socket": [raw, ctypes.get_errno()],
            "unix_pair": attempt(lambda: len(socket.socketpair())), "interfaces": interfaces}


def limits():
    names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE")
    current = {n: list(resource.getrlimit(getattr(resource, n))) for n in names}
    raised = {n: attempt(lambda n=n: resource.setrlimit(getattr(resource, n), (resource.RLIM_INFINITY,) * 2))
              for n in names}
    return {"current": current, "raise": raised}


def nested_userns():
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.unshare(0x10000000), ctypes.get_errno()]  # CLONE_NEWUSER


def stdin():
    return {"read": sys.stdin.read(), "input": attempt(lambda: input())}


def fill(path, megabytes):
    written = 0
    try:
        with open(path, "wb") as handle:
            for _ in range(megabytes):
                handle.write(b"\0" * 2**20)
                handle.flush()
                written += 1
    except OSError as exc:
        return [written, errno.errorcode.get(exc.errno, str(exc.errno))]
    return [written, "ok"]


def forks(n):
    import time
    made, error = 0, "ok"
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError as exc:
            error = errno.errorcode.get(exc.errno, str(exc.errno))
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        made += 1
    return [made, error]


def torch_threads():
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    torch.set_num_threads(4)
    product = torch.randn(512, 512) @ torch.randn(512, 512)
    loader = DataLoader(TensorDataset(torch.arange(64.0)), batch_size=16, num_workers=2)
    return [float(product.shape[0]), float(sum(batch[0].sum() for batch in loader))]


def allocations():
    import torch
    out = {"matmul": attempt(lambda: float((torch.ones(1000, 1000) @ torch.ones(1000, 1000))[0, 0]))}
    out["torch_4tb"] = attempt(lambda: torch.empty(2**40, dtype=torch.float32).shape)
    out["bytearray_4tb"] = attempt(lambda: len(bytearray(2**42)))
    return out


def burn():
    while True:
        pass


def shout(n):
    sys.stdout.write("y" * n)
    sys.stdout.flush()
    return n


def huge_view():
    import torch
    return torch.zeros(80 * 2**20)[:1]  # 320 MB of storage behind one element


def deep():
    value = []
    for _ in range(1000):
        value = [value]
    return value
'''


@pytest.fixture(scope="module")
def probe_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "probe.py"
    path.write_text(PROBE)
    return path


@pytest.fixture(scope="module")
def probe(probe_file):
    """One worker under the default limits, shared by the checks that don't kill it."""
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30)) as session:
        yield session


def run(session: Session, name: str, *args):
    return session.call(name, args, {}).result


# ---------------------------------------------------------------- identity


def host_uid(pid: int) -> int:
    """The real uid of a process as the host sees it."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


@NEEDS_UID
def test_worker_runs_under_its_own_unprivileged_uid(probe):
    inside = run(probe, "identity")
    assert inside["groups"] in ([], [sandbox.NOBODY], [inside["gid"]])
    assert int(inside["caps"], 16) == 0, "no capabilities in the sandbox"
    uid = host_uid(probe.process.pid)
    assert uid >= sandbox.UID_BASE, "on the host the worker runs under a uid of its own, not root"
    with Session(load_submission(probe.submission.path, "probe"), Limits(call_timeout=30)) as other:
        run(other, "identity")
        assert host_uid(other.process.pid) not in (uid, 0), "two workers alive at once never share a uid"


@NEEDS_BWRAP
def test_worker_sees_only_its_own_processes(probe):
    inside = run(probe, "identity")
    assert inside["uid"] == sandbox.NOBODY
    # its own PID namespace: bubblewrap's init, a warm worker's template, the worker; none of the host's processes
    assert len(inside["pids"]) <= 4 < len([p for p in os.listdir("/proc") if p.isdigit()]), inside["pids"]
    assert inside["seccomp"] == "2", "the socket filter is installed"


def test_seccomp_filter_is_installed_even_without_bwrap(probe):
    assert run(probe, "identity")["seccomp"] == "2"


def test_no_nested_user_namespaces(probe):
    result, error = run(probe, "nested_userns")
    assert result == -1 and error != 0


# ---------------------------------------------------------------- network


@pytest.fixture
def listeners():
    """A TCP port and an abstract unix socket on the host; nothing from the worker may reach them."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(5)
    tcp.setblocking(False)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    name = f"\0tensorgrade-test-{os.getpid()}-{id(unix)}"
    unix.bind(name)
    unix.listen(5)
    unix.setblocking(False)
    yield tcp, unix, name
    tcp.close()
    unix.close()


def _accepted(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
        return True
    except BlockingIOError:
        return False


def test_no_network(probe, listeners):
    tcp, unix, name = listeners
    result = run(probe, "network", tcp.getsockname()[1], name)
    assert result["tcp_host"] == "EPERM" and result["tcp6"] == "EPERM" and result["udp"] == "EPERM"
    assert result["ctypes_socket"][0] == -1, "the filter is in the kernel: ctypes cannot go around it"
    assert result["unix_pair"] == 2, "AF_UNIX socket pairs (multiprocessing, DataLoader) still work"
    assert not _accepted(tcp)


@NEEDS_BWRAP
def test_network_namespace_hides_host_sockets(probe, listeners):
    tcp, unix, name = listeners
    result = run(probe, "network", tcp.getsockname()[1], name)
    assert result["interfaces"] == ["lo"], "only a loopback device of its own"
    assert result["abstract_unix"] in ("ECONNREFUSED", "ENOENT"), "abstract unix sockets are per network namespace"
    assert not _accepted(unix)


# ---------------------------------------------------------------- filesystem


@pytest.fixture
def decoys(tmp_path):
    """A gradebook and another student's worker directory, as a real grading host would have them."""
    gradebook = tmp_path / "gradebook.sqlite"
    gradebook.write_bytes(b"SQLite format 3\0 decoy")
    other = Path(tempfile.mkdtemp(prefix="tensorgrade-worker-"))
    (other / "storage.py").write_text("SECRET = 'another student'\n")
    yield gradebook, other
    for path in other.iterdir():
        path.unlink()
    other.rmdir()


@NEEDS_BWRAP
def test_hidden_files_do_not_exist_inside(probe, decoys):
    gradebook, other = decoys
    paths = [str(SOLUTIONS_DIR / "hw1_storage" / "storage.py"), str(GRADERS_DIR / "hw1_storage" / "test_storage.py"),
             str(REPO_DIR / "pyproject.toml"), str(gradebook), str(other / "storage.py"), "/root/.bashrc",
             "/etc/shadow", "/proc/1/root/etc/hostname", str(Path(sandbox.__file__))]
    result = run(probe, "reads", paths)
    assert all(v in ("ENOENT", "EACCES") for v in result.values()), result
    cwd = Path(run(probe, "identity")["cwd"])
    # /tmp is the sandbox's own: at most the directory holding its own workdir (a warm worker's lane)
    own = {cwd.relative_to("/tmp").parts[0]} if cwd.is_relative_to("/tmp") else set()
    # bind mounts of the Python environment and the engine create their parents when they live under /tmp
    for bound in (Path(sys.prefix).resolve(), Path(sandbox.__file__).resolve()):
        if bound.is_relative_to("/tmp"):
            own.add(bound.relative_to("/tmp").parts[0])
    assert set(run(probe, "listing", "/tmp")) <= own, "other workers' directories are not visible"
    mounted = sorted({name.split("/")[0] for name in RUNTIME_FILES})
    assert run(probe, "listing", "/opt/tensorgrade/autograder") == mounted
    assert run(probe, "listing", "/opt/tensorgrade/autograder/runtime") == sorted(
        name.split("/")[1] for name in RUNTIME_FILES if name.startswith("runtime/"))


@NEEDS_BWRAP
def test_nothing_outside_the_temporary_directories_is_writable(probe):
    cwd = run(probe, "identity")["cwd"]
    forbidden = ["/probe", "/usr/lib/probe", "/etc/passwd", f"{os.path.realpath(sys.prefix)}/probe",
                 "/opt/tensorgrade/autograder/wire.py", "/opt/tensorgrade/probe", "/dev/probe",
                 "/proc/sys/kernel/hostname"]
    if not REPO_DIR.resolve().is_relative_to("/tmp"):  # under /tmp the path is in the sandbox's own tmpfs
        forbidden.append(str(REPO_DIR / "probe"))
    result = run(probe, "writes", forbidden)
    assert all(v in ("EROFS", "EACCES", "ENOENT", "EPERM") for v in result.values()), result
    assert not (REPO_DIR / "probe").exists(), "a write from the sandbox reached the checkout"
    allowed = [f"{cwd}/scratch", "/tmp/scratch", "/dev/shm/scratch"]
    assert set(run(probe, "writes", allowed).values()) == {"ok"}
    # what it wrote lives in the sandbox's own tmpfs: the host's side of the workdir holds the submission at most
    assert not os.path.exists(cwd) or sorted(os.listdir(cwd)) == ["probe.py"]


@NEEDS_BWRAP
def test_writable_space_is_bounded(probe_file):
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30, disk_bytes=8 * 2**20)) as session:
        for path in ("scratch.bin", "/tmp/scratch.bin", "/dev/shm/scratch.bin"):
            written, error = run(session, "fill", path, 64)
            assert error == "ENOSPC" and written <= 8, (path, written, error)


def test_file_size_limit(probe_file):
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30, file_bytes=2 * 2**20)) as session:
        written, error = run(session, "fill", "big.bin", 16)
        assert (written, error) == (2, "EFBIG")


# ---------------------------------------------------------------- limits


def test_limits_are_set_and_cannot_be_raised(probe):
    result = run(probe, "limits")
    default = Limits()
    soft, hard = result["current"]["RLIMIT_AS"]
    # a warm worker gets back the address space its template's preloaded modules already took
    assert soft == hard and default.memory_bytes <= soft <= default.memory_bytes + 2 * 2**30
    assert result["current"]["RLIMIT_FSIZE"] == [default.file_bytes] * 2
    assert result["current"]["RLIMIT_NPROC"][0] <= default.processes
    assert result["current"]["RLIMIT_CORE"] == [0, 0]
    # a worker may use what is left of the submission's CPU budget, and never more than its own limit
    assert result["current"]["RLIMIT_CPU"][0] == min(default.cpu_seconds, math.ceil(default.budget_cpu))
    assert set(result["raise"].values()) <= {"ValueError", "EPERM"}, result["raise"]


def test_default_limits_leave_room_for_torch_threads(probe):
    """Intra-op threads and DataLoader worker processes run under the default process and memory limits."""
    assert run(probe, "torch_threads") == [512.0, float(sum(range(64)))]


def test_memory_limit_turns_bombs_into_exceptions(probe):
    result = run(probe, "allocations")
    assert result["matmul"] == 1000.0
    assert result["torch_4tb"] == "RuntimeError" and result["bytearray_4tb"] == "MemoryError"


@NEEDS_UID
def test_process_limit_stops_a_fork_loop(probe_file, watched):  # noqa: F811
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=60, processes=48)) as session:
        made, error = run(session, "forks", 200)
        assert error == "EAGAIN" and made < 48
    assert describe(stragglers(watched)) == [], "the sleeping children die with their worker"


@pytest.mark.slow
def test_cpu_limit_kills_a_busy_worker(probe_file):
    # the budget covers the worker's whole life: a cold one spends part of it importing torch (and
    # may be stopped right there, which is the same defence), a warm one starts from zero
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=120, cpu_seconds=5)) as session:
        with pytest.raises(StudentFault, match="more CPU time than allowed"):
            run(session, "burn")


def test_output_is_capped_then_stopped(probe_file):
    limits = Limits(call_timeout=30, output_bytes=4096, max_output_bytes=4 * 2**20)
    with Session(load_submission(probe_file, "probe"), limits) as session:
        call = session.call("shout", (100_000,), {})
        assert call.result == 100_000
        assert call.output.startswith("y" * 4096) and "95,904 more bytes of output were discarded" in call.output
        with pytest.raises(StudentCrash, match="printed more than 4 MiB"):
            session.call("shout", (64 * 2**20,), {})
        assert session.call("shout", (10,), {}).result == 10, "a fresh worker takes over"


def test_results_are_bounded_in_size(probe):
    with pytest.raises(StudentError, match="MiB once serialised.*clone"):
        run(probe, "huge_view")
    with pytest.raises(StudentError, match="nested deeper"):
        run(probe, "deep")


# ---------------------------------------------------------------- environment and descriptors


def test_environment_is_scrubbed(probe_file, monkeypatch):
    secrets = {"TENSORGRADE_SECRET_TOKEN": "hunter2-grader", "GITHUB_TOKEN": "ghp_secret",
               "DATABASE_URL": "postgresql://grader:pw@db/grades"}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30)) as session:
        env = run(session, "environment")
    assert not set(secrets) & set(env["own"])
    assert not any(v in str(env) for v in secrets.values()), "nor readable from another process's environ"
    assert set(env["own"]) <= set(worker_env(Limits(), "/x")) | {"PWD", "PYTHONPATH"}


def test_no_descriptor_of_the_grader_leaks(probe_file, tmp_path):
    secret = tmp_path / "grades.csv"
    secret.write_text("alice,100\n")
    fd = os.open(secret, os.O_RDONLY)
    os.set_inheritable(fd, True)  # even a careless inheritable fd in the grader must not reach the worker
    try:
        with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30)) as session:
            fds = run(session, "descriptors")
            assert run(session, "stdin") == {"read": "", "input": "EOFError"}
    finally:
        os.close(fd)
    # pipes to the grader, /dev/null as stdin, and the fd that listed the directory: no file of the grader's
    assert all(t.startswith(("pipe:", "/dev/null", "anon_inode:")) or t == "ENOENT" for t in fds.values()), fds


# ---------------------------------------------------------------- without bubblewrap


@NEEDS_UID
def test_fallback_without_bwrap_still_blocks_sockets_and_separates_uid(probe_file, listeners, decoys, monkeypatch):
    tcp, unix, name = listeners
    gradebook, other = decoys
    monkeypatch.setenv("TENSORGRADE_NO_BWRAP", "1")
    confinement.cache_clear()
    try:
        assert not confinement().bwrap and confinement().separate_uid
        # cold: a warm template of this process was started with bubblewrap and would still be used
        with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30, warm=False)) as session:
            result = run(session, "network", tcp.getsockname()[1], name)
            inside = run(session, "identity")
            wrote = run(session, "writes", [str(REPO_DIR / "probe-fallback"), "/etc/probe-fallback"])
            read = run(session, "reads", [str(other / "storage.py"), "/root/.bashrc"])
    finally:
        monkeypatch.delenv("TENSORGRADE_NO_BWRAP")
        confinement.cache_clear()
    assert result["tcp_host"] == "EPERM" and not _accepted(tcp)
    assert inside["uid"] >= sandbox.UID_BASE
    assert set(wrote.values()) == {"EACCES"}
    assert set(read.values()) == {"EACCES"}, "other workers' directories belong to their own uid (mode 0700)"


def test_memory_limit_can_be_lifted_for_cuda(probe_file):
    """The GPU path: RLIMIT_AS breaks CUDA's address-space reservations, so GPU graders use memory_bytes=None."""
    with Session(load_submission(probe_file, "probe"), Limits(call_timeout=30, memory_bytes=None)) as session:
        assert run(session, "limits")["current"]["RLIMIT_AS"][0] == -1


# ---------------------------------------------------------------- tensorgrade doctor


def test_doctor_reports_every_defence(capsys):
    import json

    from autograder.cli import main

    code = main(["doctor", "--json"])
    lines = {d["defence"]: d for d in json.loads(capsys.readouterr().out)}
    assert lines["GPU memory limit"]["active"] is None, "what is not enforced is said, not hidden"
    assert lines["no network: seccomp socket filter"]["active"] is True
    assert lines["environment scrubbed"]["active"] is True
    everything = confinement().bwrap and confinement().separate_uid
    assert code == (0 if everything else 1)
    assert lines["allow-list filesystem (bubblewrap)"]["active"] is confinement().bwrap


def test_doctor_flags_what_the_probe_could_do():
    from autograder.commands.doctor import findings

    seen = {"seccomp": False, "socket": "ok", "interfaces": ["eth0", "lo"], "hidden": {"/x": "ok"},
            "write_outside": "ok", "limits": {"RLIMIT_CPU": [1, 1], "RLIMIT_NPROC": [9, 9]}, "raise_limit": "ok",
            "environment": ["TENSORGRADE_DOCTOR_CANARY"], "pids": 300, "nested_userns": True}
    lines = {d.name: d.active for d in findings(seen, False, None, Limits())}
    assert not any(lines[name] for name in ("allow-list filesystem (bubblewrap)", "no network: network namespace",
                                            "no network: seccomp socket filter", "environment scrubbed",
                                            "no user namespaces inside", "CPU, memory, file-size and core limits"))


# ---------------------------------------------------------------- the channel (grader side, no worker needed)


def test_a_stalled_frame_times_out_instead_of_hanging_the_grader():
    import struct
    import time

    from autograder import wire

    read_end, write_end = os.pipe()
    try:
        os.write(write_end, struct.pack(">Q", 100) + b"only part of it")
        os.set_blocking(read_end, False)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            wire.read_frame(read_end, deadline=time.monotonic() + 0.3)
        assert time.monotonic() - started < 5
        os.write(write_end, struct.pack(">Q", 2**62))
        with pytest.raises(wire.WireError, match="exceeds the limit"):
            wire.read_frame(read_end, deadline=time.monotonic() + 1)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_full_pipe_times_out_instead_of_blocking_the_grader():
    import time

    from autograder import wire

    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        with pytest.raises(TimeoutError):  # nobody reads: 1 MiB never fits in the pipe
            wire.write_frame(write_end, b"x" * 2**20, deadline=time.monotonic() + 0.3)
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.parametrize("make", [
    lambda torch: torch.zeros(1).expand(2**31),
    lambda torch: torch.eye(3).to_sparse(),
    lambda torch: torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.qint8),
    lambda torch: torch.nn.Parameter(torch.ones(2)),
], ids=["expand-1e9", "sparse", "quantized", "parameter"])
def test_values_that_are_not_plain_tensors_never_cross_as_tensors(make):
    import torch

    from autograder import wire

    try:
        value = wire.loads(wire.dumps({"value": make(torch)}, lambda obj: wire.Ref(1, "x")), lambda ref: ref)["value"]
    except wire.WireError:
        return  # refused on the way (a stride-0 view of 2**31 elements counts as 8 GiB)
    assert type(value) is wire.Ref, "anything but an ordinary dense tensor stays behind a handle"


def test_decoder_says_what_it_refused_and_runs_no_pickle():
    import io

    import torch

    from autograder import wire

    class Payload:
        def __reduce__(self):
            return (os.system, ("true",))

    buffer = io.BytesIO()
    torch.save(Payload(), buffer)
    with pytest.raises(wire.WireError, match="not a tensorgrade frame") as refused:
        wire.loads(buffer.getvalue())
    assert "weights_only" not in str(refused.value), "no advice to load untrusted data unsafely"
