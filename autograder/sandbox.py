"""How a worker process is started: fresh interpreter, scrubbed environment, rlimits, own group.

The grader never forks itself to make a worker (it holds expected values and may hold a
CUDA context); it starts ``python -m autograder.worker_main`` from nothing, in a temporary
directory that holds only the submission.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
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
    hard = resource.RLIM_INFINITY

    def set_limit(kind: int, value: int) -> None:
        try:
            resource.setrlimit(kind, (value, hard if kind != resource.RLIMIT_CPU else value + 5))
        except (ValueError, OSError):
            pass  # a limit the OS will not lower is reported by `tensorgrade doctor`, not fatal

    set_limit(resource.RLIMIT_CPU, limits.cpu_seconds)
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

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self) -> None:
        """Kill the worker's whole process group, then reap it."""
        try:
            os.killpg(self.popen.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.req_fd, self.rep_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)


RUNTIME_FILES = ("__init__.py", "wire.py", "worker_main.py")  # all the worker may see of the grader
SANDBOX_ROOT = "/opt/tensorgrade"  # where the runtime appears inside the sandbox
NOBODY = 65534


@functools.cache
def sandbox_available() -> bool:
    """bubblewrap present and usable (it needs namespaces, which some containers forbid)."""
    if os.environ.get("TENSORGRADE_NO_BWRAP") == "1" or shutil.which("bwrap") is None:
        return False
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--uid", str(NOBODY),
                            "--gid", str(NOBODY), "true"], capture_output=True)
    return probe.returncode == 0


def bwrap_prefix(workdir: Path) -> list[str]:
    """An allow-list filesystem: system libraries, the Python environment, the runtime, the workdir.

    Everything else (the repository with its graders and solutions, the gradebook, other
    students' files, /root, /home) simply does not exist inside. No network, own PID space.
    """
    prefix = Path(sys.prefix).resolve()
    runtime = Path(__file__).resolve().parent
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
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
    args += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    return args


def start_worker(submission_name: str, source_bytes: bytes, limits: Limits) -> WorkerProcess:
    """Start a fresh worker in a new temporary directory that holds only the submission."""
    workdir = Path(tempfile.mkdtemp(prefix="tensorgrade-worker-"))
    (workdir / submission_name).write_bytes(source_bytes)
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    command = [sys.executable, "-B", "-m", "autograder.worker_main", str(req_r), str(rep_w)]
    env = worker_env(limits, str(workdir))
    if limits.sandbox and sandbox_available():
        command = bwrap_prefix(workdir) + command
        env["PYTHONPATH"] = SANDBOX_ROOT
    popen = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(req_r, rep_w),
        start_new_session=True,  # its own process group, so a timeout kills every child too
        preexec_fn=lambda: apply_rlimits(limits),
    )
    os.close(req_r)
    os.close(rep_w)
    return WorkerProcess(popen, req_w, rep_r, workdir)
