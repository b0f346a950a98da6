"""Helpers for the sandbox, fault and exploit suites: watch the workers a test starts.

The ``watched`` fixture records every worker a test starts; ``stragglers`` then lists any
process one of them left behind, found by the worker's own uid (a warm worker's session within
its lane's uid), and by the sentinel that hostile submissions put in the command line of every
process they spawn. ``tree_digest`` and ``read_header`` serve the exploit and fault suites.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.grading import session
from autograder.sandbox import WorkerProcess, confinement, user_processes

SENTINEL = "tensorgrade-hostile"  # hostile submissions name every process they start with this


def _status(pid: int | str) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def host_uid(pid: int) -> int | None:
    """The real uid of a live process, as the host sees it."""
    uids = _status(pid).get("Uid", "").split()
    return int(uids[0]) if uids else None


def _session_processes(sid: int, uid: int | None) -> list[int]:
    """Live processes of session ``sid`` (and of ``uid``: a pid reused by another grader's worker is not ours)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] not in ("Z", "X") and int(fields[3]) == sid and (uid is None or host_uid(entry.name) == uid):
                pids.append(int(entry.name))
    return pids


def sentinel_processes(uids: set[int] | None = None) -> list[int]:
    """Processes whose command line carries the hostile submissions' sentinel (run by one of ``uids``, if given).

    Filtering by the uids of this process's own workers keeps a test from blaming processes that a
    test running in parallel (another xdist worker) has not finished with yet.
    """
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if SENTINEL.encode() in Path(entry.path, "cmdline").read_bytes():
                    if uids is None or host_uid(entry.name) in uids:
                        pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _uid_of(worker: WorkerProcess) -> int | None:
    return worker.uid if worker.uid is not None else getattr(worker, "watched_uid", None)


def _own_uids(workers: list[WorkerProcess]) -> set[int] | None:
    """The workers' uids, or None where workers share the grader's uid and cannot be told apart."""
    uids = {_uid_of(w) for w in workers}
    return None if None in uids or os.getuid() in uids else uids


WATCHED_UIDS: set[int | None] = set()  # every worker uid any test of this process watched


def stragglers(workers: list[WorkerProcess], wait: float = 10.0) -> list[int]:
    """Processes any of ``workers`` started that are still there after ``wait`` seconds (the workers included).

    Killed processes take a moment to unmap gigabytes of memory, so only those that stay count.
    """
    deadline = time.monotonic() + wait
    while True:
        left = set(sentinel_processes(_own_uids(workers)))
        for worker in workers:
            uid = _uid_of(worker)
            left.update(user_processes(worker.uid) if worker.uid is not None else _session_processes(worker.pid, uid))
        if not left or time.monotonic() > deadline:
            return sorted(left)
        time.sleep(0.1)


def describe(pids: list[int]) -> list[str]:
    """pid, uid and command line of each process (for assertion messages); gone ones are left out."""
    out = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            uid = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Uid"))
        except (OSError, StopIteration):
            continue
        out.append(f"{pid} {uid.split()[1]} {cmdline.strip()}")
    return out


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[WorkerProcess]]:
    """The workers started during the test, in order."""
    started: list[WorkerProcess] = []
    real = session.start_worker

    def recording(*args: object, **kwargs: object) -> WorkerProcess:
        worker = real(*args, **kwargs)
        worker.watched_uid = host_uid(worker.pid)  # a warm worker shares its lane's uid: remember it while it lives
        WATCHED_UIDS.add(_uid_of(worker))
        started.append(worker)
        return worker

    monkeypatch.setattr(session, "start_worker", recording)
    yield started


SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules", ".hypothesis"}


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (caches and environments left out)."""
    digests = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            path = Path(dirpath, name)
            try:
                digests[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                continue
    return digests


def read_header(path: Path) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a fault or exploit file (``#   more`` continues a value)."""
    fields: dict[str, str] = {}
    key = None
    for line in path.read_text().splitlines():
        match = re.match(r"#\s?(\w+):\s*(.*)$", line)
        if match:
            key = match[1]
            fields[key] = match[2].strip()
        elif key and re.match(r"#\s{2,}\S", line):
            fields[key] += " " + line.lstrip("# ").strip()
        else:
            break
    return fields


REQUIREMENTS = {
    "bwrap": (lambda: confinement().bwrap, "bubblewrap cannot run here, so the files, sockets and disk this attack "
              "aims at are reachable (`tensorgrade doctor` says why; SECURITY.md lists what is then not isolated)"),
    "nproc": (lambda: confinement().separate_uid or os.geteuid() != 0, "workers run as root here, and the kernel "
              "never limits root's processes: a fork bomb would take the machine (`tensorgrade doctor` says why)"),
}


def unmet(needs: str) -> str | None:
    """Why a file whose header says ``needs: ...`` cannot be run safely here, or None."""
    for need in needs.split():
        holds, why = REQUIREMENTS[need]
        if not holds():
            return why
    return None
