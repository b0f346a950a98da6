"""What isolation this machine allows, and the worker's own uid: how it is chosen, dropped to and cleaned up.

Probed once per process (:func:`confinement`), most isolated first; ``tensorgrade doctor`` shows
the result. Used by :mod:`autograder.sandbox` to start workers; SECURITY.md explains each choice.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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
    # the engine's own files too: a checkout under a mode-700 folder would hide them from the worker uid
    targets = [spec.origin if spec and spec.origin else sys.executable, str(Path(__file__).resolve())]
    return [sys.executable, "-S", "-c", f"[open(t, 'rb').read(1) for t in {targets!r}]"]


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
