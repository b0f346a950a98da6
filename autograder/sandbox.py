"""How a worker process is started: fresh interpreter, scrubbed environment, rlimits, own group.

The grader never forks itself to make a worker (it holds expected values and may hold a
CUDA context); it starts ``python -m autograder.worker_main`` from nothing, in a temporary
directory that holds only the submission. Each defence is one small function here
(:func:`worker_env`, :func:`apply_rlimits`, :func:`drop_privileges`, :func:`bwrap_prefix`,
:func:`confine`) so that other ways of starting workers reuse them; SECURITY.md explains them.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
GiB = 1024**3


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (see SECURITY.md for why each exists)."""

    call_timeout: float = 10.0  # wall-clock seconds for one call into student code
    cpu_seconds: int = 600  # CPU seconds over the worker's whole life
    file_bytes: int = 64 * 1024**2  # largest file the worker may write
    processes: int = 512  # threads count here too: torch needs room for its own
    memory_bytes: int | None = 8 * GiB  # address space; None where it would break CUDA
    output_bytes: int = 64 * 1024  # stdout+stderr kept per call; the rest is counted, not stored
    threads: int = 1  # torch intra-op threads, so parallel workers do not fight over cores
    sandbox: bool = True  # run inside bubblewrap when it is available
    disk_bytes: int = 256 * 1024**2  # each writable tmpfs in the sandbox (workdir, /tmp, /dev/shm); RAM-backed
    max_output_bytes: int = 32 * 1024**2  # a worker that prints more than this in one call is stopped
    load_timeout: float = 30.0  # wall-clock seconds to start a worker and import the submission
    warm: bool = True  # fork the worker from a warm template (autograder.warm); False: a fresh interpreter


# Only these variables reach student code; everything else (tokens, grader settings,
# the gradebook URL, CI variables) is dropped.
SAFE_ENV = ("LANG", "LC_ALL", "TZ")


def worker_env(limits: Limits, home: str) -> dict[str, str]:
    """The whole environment of a worker."""
    env = {k: os.environ[k] for k in SAFE_ENV if k in os.environ}
    env.update({
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "USER": "nobody",  # a worker's own uid has no passwd entry outside the sandbox
        "LOGNAME": "nobody",
        "PYTHONPATH": str(PACKAGE_PARENT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": str(limits.threads),
        "MKL_NUM_THREADS": str(limits.threads),
        "CUDA_MODULE_LOADING": "LAZY",
    })
    return env


def apply_rlimits(limits: Limits) -> None:
    """Set the worker's rlimits; runs in the child before it executes Python."""

    def set_limit(kind: int, value: int, grace: int = 0) -> None:
        # soft *and* hard: with an unlimited hard limit student code could simply raise its own
        # soft limit back (resource.setrlimit); the CPU grace turns SIGXCPU into SIGKILL later
        _, current = resource.getrlimit(kind)
        hard = value + grace if current == resource.RLIM_INFINITY else min(value + grace, current)
        try:
            resource.setrlimit(kind, (min(value, hard), hard))
        except (ValueError, OSError):
            pass  # a limit the OS will not lower is reported by `tensorgrade doctor`, not fatal

    set_limit(resource.RLIMIT_CPU, limits.cpu_seconds, grace=5)
    set_limit(resource.RLIMIT_FSIZE, limits.file_bytes)
    set_limit(resource.RLIMIT_NPROC, limits.processes)
    set_limit(resource.RLIMIT_CORE, 0)
    if limits.memory_bytes:
        set_limit(resource.RLIMIT_AS, limits.memory_bytes)


@dataclass
class WorkerProcess:
    """A running worker: its process, its channel ends, its directory."""

    popen: subprocess.Popen
    req_fd: int
    rep_fd: int
    workdir: Path
    output: list[int] = field(default_factory=list)  # fds of stdout/stderr pipes
    uid: int | None = None  # the worker's own uid, when it runs under one

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill_group(self) -> None:
        """SIGKILL the worker's process group now; safe from any thread (reaping is left to kill())."""
        if self.popen.returncode is None:
            try:
                os.killpg(self.popen.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self) -> None:
        """Kill the worker's whole process group and every process of its uid, then reap it."""
        try:
            os.killpg(self.popen.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.uid is not None:
            # a child that left the group (setsid, double fork) still runs under the worker's uid
            kill_user_processes(self.uid)
        for fd in (self.req_fd, self.rep_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)


# all workers see of the grader (zygote.py and sandbox.py: a warm template forks workers and sets their rlimits)
RUNTIME_FILES = ("__init__.py", "wire.py", "worker_main.py", "seccomp.py", "zygote.py", "sandbox.py")
SANDBOX_ROOT = "/opt/tensorgrade"  # where the runtime appears inside the sandbox
NOBODY = 65534
# A worker runs as UID_BASE + the pid of the process that launched it: unique among live workers, owned by
# no account, so workers can't signal, trace or read one another, RLIMIT_NPROC counts one worker only
# (it is not enforced for root at all), and every process a worker leaves behind can be found by uid.
UID_BASE = 1_000_000_000


def worker_uid(launcher_pid: int) -> int:
    """The uid of the worker launched by process ``launcher_pid``."""
    return UID_BASE + launcher_pid


def drop_privileges(workdir: Path) -> int:
    """In the child, before exec: hand it the workdir and become the worker's own uid (needs root)."""
    uid = worker_uid(os.getpid())
    os.chown(workdir, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    return uid


def user_processes(uid: int) -> list[int]:
    """Live (not zombie) processes whose real uid is ``uid``."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = fields.get("Uid", "").split()
        if uids and int(uids[0]) == uid and not fields.get("State", "").strip().startswith(("Z", "X")):
            pids.append(int(entry.name))
    return pids


def kill_user_processes(uid: int, wait: float = 10.0) -> list[int]:
    """SIGKILL every process of ``uid`` at once (kill(-1) as that uid, so a fork loop can't outrun it).

    Waits up to ``wait`` seconds for them to be gone (a few hundred dying torch processes take
    seconds to unmap); returns those still there.
    """
    if uid < UID_BASE:
        return []
    deadline, next_kill = time.monotonic() + wait, 0.0
    while (left := user_processes(uid)) and time.monotonic() < deadline:
        if time.monotonic() >= next_kill:
            try:
                subprocess.run([sys.executable, "-S", "-I", "-c", "import os; os.kill(-1, 9)"], user=uid, group=uid,
                               extra_groups=[], stdin=subprocess.DEVNULL, capture_output=True, timeout=10, cwd="/")
            except (OSError, subprocess.SubprocessError):
                pass
            next_kill = time.monotonic() + 1.0
        time.sleep(0.02)
    return left


@dataclass(frozen=True)
class Confinement:
    """Which isolation this machine allows (probed once per process; `tensorgrade doctor` shows it)."""

    bwrap: bool  # namespaces (no network, own PID space) and the allow-list filesystem
    separate_uid: bool  # the worker runs under its own unprivileged uid
    no_nested_userns: bool  # bwrap --disable-userns: no user namespaces inside the sandbox
    reason: str = ""  # why something is missing, in words an instructor can act on


def _probe(command: list[str], drop: bool) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="tensorgrade-probe-"))
    try:
        result = subprocess.run(command, cwd=workdir, capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                                preexec_fn=(lambda: drop_privileges(workdir)) if drop else None)
        return result.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _readable_python() -> list[str]:
    """A command that succeeds only where the interpreter and the installed packages are readable."""
    spec = importlib.util.find_spec("torch")
    target = spec.origin if spec and spec.origin else sys.executable
    return [sys.executable, "-S", "-c", f"open({target!r}, 'rb').read(1)"]


@functools.cache
def confinement() -> Confinement:
    """Probe, most isolated first: bwrap under a worker uid, bwrap alone, a worker uid alone, nothing."""
    root = os.geteuid() == 0
    check = _readable_python()
    reasons = []
    if os.environ.get("TENSORGRADE_NO_BWRAP") == "1":
        reasons.append("bubblewrap disabled by TENSORGRADE_NO_BWRAP=1")
    elif shutil.which("bwrap") is None:
        reasons.append("bubblewrap is not installed (apt-get install bubblewrap)")
    else:
        base = ["bwrap", "--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "--dev", "/dev",
                "--uid", str(NOBODY), "--gid", str(NOBODY)]
        for drop in ((True, False) if root else (False,)):
            for nested in (True, False):
                if _probe(base + (["--disable-userns"] if nested else []) + check, drop):
                    reason = "" if drop or not root else ("the worker's uid could not run bwrap and Python "
                                                          "(is the Python environment readable by all users?)")
                    return Confinement(True, drop, nested, reason)
        reasons.append("bubblewrap cannot create namespaces here (a container that forbids user namespaces?)")
    if root and _probe(check, True):
        return Confinement(False, True, False, "; ".join(reasons))
    if root:
        reasons.append("the Python environment is not readable by other users, so workers keep the grader's uid")
    else:
        reasons.append("the grader is not root, so workers keep its uid")
    return Confinement(False, False, False, "; ".join(reasons))


def sandbox_available() -> bool:
    """bubblewrap present and usable (it needs namespaces, which some containers forbid)."""
    return confinement().bwrap


def bwrap_prefix(workdir: Path, limits: Limits | None = None) -> list[str]:
    """An allow-list filesystem: system libraries, the Python environment, the runtime, the workdir.

    Everything else (the repository with its graders and solutions, the gradebook, other
    students' files, /root, /home) simply does not exist inside. No network, own PID space.
    The workdir is a fresh size-limited tmpfs holding read-only copies of the files now in
    ``workdir``; /tmp and /dev/shm are size-limited tmpfs too, and all else is read-only.
    """
    limits = limits or Limits()
    size = str(limits.disk_bytes)
    prefix = Path(sys.prefix).resolve()
    runtime = Path(__file__).resolve().parent
    args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--cap-drop", "ALL",
            "--uid", str(NOBODY), "--gid", str(NOBODY)]
    if confinement().no_nested_userns:
        args += ["--disable-userns"]
    args += ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
             "--size", size, "--tmpfs", "/dev/shm", "--size", size, "--tmpfs", "/tmp"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    for etc in ("/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(etc):
            args += ["--ro-bind", etc, etc]
    for env_dir in {prefix, Path(sys.base_prefix).resolve()}:
        if not str(env_dir).startswith("/usr"):
            args += ["--ro-bind", str(env_dir), str(env_dir)]
    for name in RUNTIME_FILES:
        args += ["--ro-bind", str(runtime / name), f"{SANDBOX_ROOT}/autograder/{name}"]
    # the student's writes land in RAM the size limit bounds, never on the grader's disk
    args += ["--size", size, "--tmpfs", str(workdir)]
    for path in sorted(workdir.iterdir()):
        args += ["--ro-bind", str(path), str(path)]
    args += ["--chdir", str(workdir), "--remount-ro", "/dev", "--remount-ro", "/"]
    return args


@dataclass
class Launch:
    """How to start one confined process: its command line, environment and pre-exec setup."""

    command: list[str]
    env: dict[str, str]
    preexec: Callable[[], None]
    separate_uid: bool
    sandboxed: bool


def confine(command: list[str], workdir: Path, limits: Limits) -> Launch:
    """Wrap a Python command line in every defence this machine allows (files already in ``workdir``)."""
    env = worker_env(limits, str(workdir))
    how = confinement() if limits.sandbox else Confinement(False, False, False)  # sandbox=False: a plain process
    sandboxed = how.bwrap
    if sandboxed:
        command = bwrap_prefix(workdir, limits) + command
        env["PYTHONPATH"] = SANDBOX_ROOT

    def preexec() -> None:
        apply_rlimits(limits)  # first, while still root (the uid change below makes NPROC count)
        if how.separate_uid:
            drop_privileges(workdir)

    return Launch(command, env, preexec, how.separate_uid, sandboxed)


def start_worker(submission_name: str, source_bytes: bytes, limits: Limits) -> WorkerProcess:
    """Start a fresh worker in a new temporary directory that holds only the submission."""
    workdir = Path(tempfile.mkdtemp(prefix="tensorgrade-worker-"))
    (workdir / submission_name).write_bytes(source_bytes)
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    launch = confine([sys.executable, "-B", "-m", "autograder.worker_main", str(req_r), str(rep_w)], workdir, limits)
    popen = subprocess.Popen(
        launch.command,
        cwd=workdir,
        env=launch.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(req_r, rep_w),
        start_new_session=True,  # its own process group, so a timeout kills every child too
        preexec_fn=launch.preexec,
    )
    os.close(req_r)
    os.close(rep_w)
    return WorkerProcess(popen, req_w, rep_r, workdir, uid=worker_uid(popen.pid) if launch.separate_uid else None)
