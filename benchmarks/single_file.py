"""Benchmark 5: one file's ``tensorgrade grade`` and ``tensorgrade check``, whole commands, vs a bare ``import torch``.

    .venv/bin/python benchmarks/single_file.py [--assignment hw1_storage] [--rounds 5]

Each round runs, in turn (rotating the order so background load hits them alike), ``python -c
"import torch"``, ``tensorgrade grade <hw> <reference>`` and ``tensorgrade check <hw> <reference>``
(the student's public checks) as fresh processes from the repository root, and times each from
start to exit. Prints the medians and the ratios to the bare import (target: at most 1.3x): the
commands start their warm template before they import torch and pytest, so the two imports run
side by side instead of one after the other.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402

TARGET = 1.3


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0,):
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1_storage")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    assignment = load_assignment(args.assignment)
    cli = [sys.executable, "-m", "autograder"]
    commands = {
        "python -c 'import torch'": [sys.executable, "-c", "import torch"],
        f"tensorgrade grade {assignment.name} FILE": [*cli, "grade", assignment.name, str(assignment.solution),
                                                     "--quiet"],
        f"tensorgrade check {assignment.name} FILE": [*cli, "check", assignment.name, str(assignment.solution)],
    }
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    timed(commands[names[1]])  # once first: the page cache, .pyc files (not what a student's second run costs)
    for round_ in range(args.rounds):
        for name in names[round_ % 3:] + names[:round_ % 3]:
            times[name].append(timed(commands[name]))
    bare = statistics.median(times[names[0]])
    for name in names:
        median = statistics.median(times[name])
        ratios = [t / b for t, b in zip(times[name], times[names[0]])]
        verdict = "" if name == names[0] else (
            f"  ratio {statistics.median(ratios):.2f}x (target {TARGET}x: "
            f"{'met' if statistics.median(ratios) <= TARGET else 'MISSED'})")
        print(f"{name:40} median {median:6.2f} s (min {min(times[name]):.2f}){verdict}")
    print(f"bare import torch: {bare:.2f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
