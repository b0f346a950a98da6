"""Helpers for the sandbox, fault and exploit suites: watch the workers a test starts.

``watch_workers`` (a fixture factory) records every worker a test starts; ``stragglers`` then
lists any process one of them left behind, found by the worker's own uid (or, where workers
share the grader's uid, by its session), and by the sentinel that hostile submissions put in
the command line of every process they spawn.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import proxy
from autograder.sandbox import WorkerProcess, user_processes

SENTINEL = "tensorgrade-hostile"  # hostile submissions name every process they start with this


def _session_processes(sid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] not in ("Z", "X") and int(fields[3]) == sid:
                pids.append(int(entry.name))
    return pids


def sentinel_processes() -> list[int]:
    """Processes whose command line carries the hostile submissions' sentinel."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if SENTINEL.encode() in Path(entry.path, "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def stragglers(workers: list[WorkerProcess]) -> list[int]:
    """Processes still running that any of ``workers`` started (the workers themselves included)."""
    left = set(sentinel_processes())
    for worker in workers:
        left.update(user_processes(worker.uid) if worker.uid is not None else _session_processes(worker.pid))
    return sorted(left)


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
    real = proxy.start_worker

    def recording(*args: object, **kwargs: object) -> WorkerProcess:
        worker = real(*args, **kwargs)
        started.append(worker)
        return worker

    monkeypatch.setattr(proxy, "start_worker", recording)
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
