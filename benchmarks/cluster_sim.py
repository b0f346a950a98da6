"""What grading a large class costs on a cluster: measure submissions here, simulate the class on W workers.

    .venv/bin/python benchmarks/cluster_sim.py [--assignment hw5_training] [--sample 8] [--students 500]

Grades a sample of the class (:mod:`benchmarks.classes`: correct, realistic mistakes, stubs) one at a
time in this process with warm workers, as one Ray task or pool lane does, and times each; the first
grade, which pays for the lane's start (imports, warm template), is timed apart. Then it simulates
the whole class on W lanes the way the executors schedule it (each lane takes the next submission
when it is free) and prints the wall time for each W. A lane is one CPU core (the worker runs torch
with one thread; the grader mostly waits for it); the simulation assumes cores as fast as this
machine's and no contention between lanes, so its times are lower bounds.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.assignment import load_assignment  # noqa: E402
from autograder.grading import runner  # noqa: E402
from benchmarks.classes import plan  # noqa: E402

WORKERS = (1, 2, 8, 16, 32, 64, 128, 256)


def measure(assignment, sample: int) -> tuple[float, dict[str, list[float]]]:
    """(seconds of the first grade, seconds of each later grade by kind)."""
    by_kind: dict[str, list[float]] = {}
    first = None
    with tempfile.TemporaryDirectory(prefix="tensorgrade-sim-") as tmp:
        for n, (kind, source) in enumerate(plan(assignment, sample)):
            path = Path(tmp) / f"{n}" / f"{assignment.module}.py"
            path.parent.mkdir()
            path.write_text(source)
            started = time.perf_counter()
            report = runner.grade(assignment, path)
            seconds = time.perf_counter() - started
            print(f"  {kind:40} {report.score:5g}/{report.max_score:<5g} {seconds:7.2f} s", flush=True)
            if first is None:
                first = seconds
            else:
                by_kind.setdefault("wrong" if kind.startswith("wrong-") else kind, []).append(seconds)
    return first or 0.0, by_kind


def simulate(durations: list[float], workers: int, lane_start: float) -> float:
    """Wall time of grading ``durations`` in order on ``workers`` lanes that each start after ``lane_start``."""
    free = [lane_start] * workers
    heapq.heapify(free)
    end = 0.0
    for seconds in durations:
        start = heapq.heappop(free)
        end = max(end, start + seconds)
        heapq.heappush(free, start + seconds)
    return end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw5_training")
    parser.add_argument("--sample", type=int, default=8, help="submissions graded here (default 8)")
    parser.add_argument("--students", type=int, default=500)
    args = parser.parse_args()
    assignment = load_assignment(args.assignment)
    print(f"measuring {args.sample} submissions of {assignment.name} here:")
    first, by_kind = measure(assignment, args.sample)
    typical = {kind: statistics.median(values) for kind, values in by_kind.items()}
    fallback = statistics.median([v for values in by_kind.values() for v in values])
    lane_start = max(0.0, first - typical.get("correct", fallback))
    durations = [typical.get("wrong" if kind.startswith("wrong-") else kind, fallback)
                 for kind, _ in plan(assignment, args.students)]
    total = sum(durations)
    print("per submission: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(typical.items()))
          + f"; lane start {lane_start:.1f} s")
    print(f"\n{args.students} students of {assignment.name}, {total / 3600:.2f} CPU-hours of grading")
    print("| workers (cores) | e.g. | wall time | per student |")
    print("|---:|---|---:|---:|")
    for workers in WORKERS:
        wall = simulate(durations, workers, lane_start)
        nodes = ("a 2-core laptop" if workers <= 2 else f"one {workers}-core machine" if workers < 32
                 else f"{-(-workers // 32)} × 32-core node" + ("s" if workers > 32 else ""))
        print(f"| {workers} | {nodes} | {_clock(wall)} | {wall / args.students:.2f} s |")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


if __name__ == "__main__":
    main()
