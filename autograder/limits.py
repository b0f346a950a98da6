"""Limits of one worker: the resource limits, how they are applied, and the worker's whole environment.

Standard library only: the warm template (:mod:`autograder.runtime.zygote`) imports this inside the
sandbox to set each child's limits, and the host side uses it to launch workers.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # the folder holding the autograder package
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
    warm: bool = True  # fork the worker from a warm template (autograder.sandbox.warm); False: a fresh interpreter
    # the whole submission (import and every call, across worker restarts): once spent, the remaining
    # tests fail at once with a clear message, so calls that each sleep just under call_timeout cannot
    # hold a grading slot for (calls x call_timeout); assignment.toml's budget_wall_seconds/budget_cpu_seconds
    budget_wall: float = 120.0  # wall-clock seconds
    budget_cpu: float = 120.0  # CPU seconds of the worker and every process it started


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
