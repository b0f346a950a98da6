"""``tensorgrade doctor``: which of the worker's defences are active on this machine, measured, not assumed.

It starts one confined process exactly as a worker is started (same :func:`autograder.sandbox.confine`)
and has it try what a hostile submission would: open a socket, read the solutions, write outside
its directory, raise its limits, read the grader's environment. Each defence is listed with what
the probe saw and, when it is missing, what to do about it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from autograder import exitcodes, layout
from autograder.assignment import GRADERS_DIR, REPO_DIR, SOLUTIONS_DIR
from autograder.limits import Limits
from autograder.sandbox import confine, confinement, worker_uid

CANARY = "TENSORGRADE_DOCTOR_CANARY"
PROBE = r"""
import ctypes, errno, json, os, resource, socket, sys
out = {}
try:
    from autograder.runtime.seccomp import block_network
    out["seccomp"] = block_network()
except Exception:
    out["seccomp"] = False
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    except Exception as exc:
        return type(exc).__name__
out["uid"] = os.getuid()
out["socket"] = attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
try:
    out["interfaces"] = sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])
except OSError:
    out["interfaces"] = None
out["hidden"] = {path: attempt(lambda path=path: open(path, "rb").close()) for path in sys.argv[1:]}
out["write_outside"] = attempt(lambda: open("/tensorgrade-doctor-probe", "w").close())
names = ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE")
out["limits"] = {n: list(resource.getrlimit(getattr(resource, n))) for n in names}
out["raise_limit"] = attempt(lambda: resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2))
out["environment"] = sorted(os.environ)
out["pids"] = len([p for p in os.listdir("/proc") if p.isdigit()])
out["nested_userns"] = ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0  # last: it changes the process
print(json.dumps(out))
"""


@dataclass
class Defence:
    """One line of the report."""

    name: str
    active: bool | None  # None: not enforced by design here (informational)
    detail: str


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check which sandbox defences work on this machine (instructors, CI)",
        description="Start one sandboxed probe the way a worker starts and report, defence by defence, what it "
                    "could and could not do. Exit code 0 when every defence is active, 1 when some are missing "
                    "(grading still works, with weaker isolation; SECURITY.md explains each one).")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(run=run)


def probe(limits: Limits) -> tuple[dict, bool, int | None]:
    """Run the probe under ``limits``; returns what it saw, whether it ran under its own uid, and that uid."""
    hidden = [str(SOLUTIONS_DIR), str(GRADERS_DIR / "__init__.py"), str(REPO_DIR / "pyproject.toml")]
    workdir = Path(tempfile.mkdtemp(prefix="tensorgrade-doctor-"))
    os.environ[CANARY] = "the grader's environment leaked"
    try:
        launch = confine([sys.executable, "-c", PROBE, *hidden], workdir, limits)
        process = subprocess.Popen(launch.command, cwd=workdir, env=launch.env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                   preexec_fn=launch.preexec)
        out, err = process.communicate(timeout=60)
        uid = worker_uid(process.pid) if launch.separate_uid else None
    finally:
        os.environ.pop(CANARY, None)
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    try:
        return json.loads(out.decode().strip().splitlines()[-1]), launch.separate_uid, uid
    except (ValueError, IndexError):
        raise RuntimeError(f"the probe did not run: {err.decode(errors='replace').strip()[-500:]}") from None


def findings(seen: dict, separate_uid: bool, uid: int | None, limits: Limits) -> list[Defence]:
    """Turn what the probe saw into one line per defence."""
    from autograder import wire  # imports torch: only when asked, not for every `tensorgrade` command

    how = confinement()
    root = os.geteuid() == 0
    fix = f" ({how.reason})" if how.reason else ""
    hidden = all(v in ("ENOENT", "EACCES") for v in seen["hidden"].values())
    lines = [
        Defence("allow-list filesystem (bubblewrap)", how.bwrap and hidden and seen["write_outside"] != "ok",
                "solutions, graders and the repository are absent; only size-limited tmpfs is writable"
                if how.bwrap else "off: the worker sees the host's files (mode bits only)" + fix),
        Defence("own PID, IPC and mount namespaces", how.bwrap and seen["pids"] < 20,
                f"{seen['pids']} processes visible inside" if how.bwrap else "off" + fix),
        Defence("no network: network namespace", seen["interfaces"] == ["lo"],
                "only a loopback device of its own" if seen["interfaces"] == ["lo"]
                else "off: host interfaces and abstract unix sockets are reachable" + fix),
        Defence("no network: seccomp socket filter", seen["seccomp"] and seen["socket"] in ("EPERM", "EACCES"),
                "socket() allows AF_UNIX only; io_uring, user namespaces, foreign ABIs refused" if seen["seccomp"]
                else "off: this CPU architecture has no filter here (an audit hook stands in, ctypes can pass it)"),
        Defence("own unprivileged uid", separate_uid or not root,
                f"uid {uid} on the host (one per worker)" if separate_uid else
                "the grader is not root: the worker shares its uid" if not root else "off: workers run as root" + fix),
        Defence("process limit (RLIMIT_NPROC)", separate_uid or not root,
                f"{seen['limits']['RLIMIT_NPROC'][0]} processes and threads"
                if separate_uid or not root else "not enforced: the kernel never limits root"),
        Defence("CPU, memory, file-size and core limits",
                seen["limits"]["RLIMIT_CPU"][0] == limits.cpu_seconds and seen["raise_limit"] != "ok",
                f"{limits.cpu_seconds} s CPU, {(limits.memory_bytes or 0) / 2**30:g} GiB address space, "
                f"{limits.file_bytes // 2**20} MiB per file, no core dumps; the worker cannot raise them"),
        Defence("environment scrubbed", CANARY not in seen["environment"],
                f"{len(seen['environment'])} variables reach student code, none of the grader's secrets"),
        Defence("no user namespaces inside", not seen["nested_userns"],
                "refused by the seccomp filter" + (" and bwrap --disable-userns" if how.no_nested_userns else "")
                if not seen["nested_userns"] else "off: the seccomp filter is not installed"),
        Defence("wall-clock timeout per call", True, f"{limits.call_timeout:g} s, then the worker and all it started "
                "are killed (assignments may set their own)"),
        Defence("output and reply bounds", True, f"{limits.output_bytes // 1024} KiB of output kept per call, worker "
                f"stopped past {limits.max_output_bytes // 2**20} MiB; replies ≤ {wire.MAX_FRAME_BYTES // 2**20} MiB, "
                f"{wire.MAX_DEPTH} levels deep, ≤ {wire.MAX_TENSORS:,} tensors, decoded by wire.loads (no pickle)"),
        Defence("GPU memory limit", None, "not enforced: rlimits and cgroups do not cover GPU memory (SECURITY.md)"),
        Defence("sandbox runtime imports only its own layer", not (stray := layout.runtime_violations()),
                "autograder/runtime imports the standard library, torch, numpy, wire, protocol, limits and faults "
                "only" if not stray else "off: " + "; ".join(stray[:3])),
    ]
    return lines


def run(args: argparse.Namespace) -> int:
    console = Console()
    limits = Limits()
    try:
        seen, separate_uid, uid = probe(limits)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        console.print(f"[red]tensorgrade doctor: the sandbox probe could not run:[/] {exc}")
        return exitcodes.GRADER_ERROR
    lines = findings(seen, separate_uid, uid, limits)
    missing = [d for d in lines if d.active is False]
    if args.json:
        print(json.dumps([{"defence": d.name, "active": d.active, "detail": d.detail} for d in lines], indent=2))
    else:
        table = Table(title="tensorgrade doctor: the worker's defences on this machine", title_justify="left")
        for column in ("defence", "status", "details"):
            table.add_column(column, overflow="fold")
        for d in lines:
            status = {True: "[green]active[/]", False: "[red]missing[/]", None: "[yellow]not enforced[/]"}[d.active]
            table.add_row(d.name, status, d.detail)
        console.print(table)
        console.print("[green]every defence is active[/]" if not missing else
                      f"[red]{len(missing)} defence(s) missing[/]: grading works, with weaker isolation; "
                      "see SECURITY.md and the details above for how to turn them on")
    return exitcodes.CHECKS_FAILED if missing else exitcodes.OK
