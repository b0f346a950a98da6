"""Benchmark 2: grading the reference solution vs running the same checks bare (in-process), per assignment.

    .venv/bin/python benchmarks/overhead.py [--rounds 7] [--cold-rounds 2] [hw1_storage ...]

Each round grades the reference three ways in this one process, interleaved so that background
load hits them alike: *bare* (the graders with the student's code loaded into the grader,
:mod:`benchmarks.bare`), *warm* (real grading, the worker forked from the warm template) and,
fewer times, *cold* (real grading, a fresh worker interpreter). Prints medians, the overhead
(warm - bare, the median of per-round differences, and the smallest) and the ratio warm / bare
(median per round) against the targets: at most 1.5x bare for every assignment but hw5, at most
1.1x bare for hw5 (whose training dominates).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.assignment import all_assignments, load_assignment  # noqa: E402
from autograder.grading import runner  # noqa: E402
from autograder.sandbox import warm
from benchmarks.bare import grade_bare  # noqa: E402

TARGET_RATIO = 1.5  # warm / bare, per assignment
TARGET_RATIOS = {"hw5_training": 1.1}  # compute-heavy assignments: a tighter ratio


def timed(grade, *args) -> tuple[float, float, float]:
    started = time.perf_counter()
    report = grade(*args)
    return time.perf_counter() - started, report.score, report.max_score


def graded(assignment, path: Path, warm_workers: bool):
    limits = dataclasses.replace(runner.limits_for(assignment), warm=warm_workers)
    return runner.grade(assignment, path, limits=limits)


def measure(name: str, rounds: int, cold_rounds: int) -> dict:
    assignment = load_assignment(name)
    path = assignment.solution
    times: dict[str, list[float]] = {"bare": [], "warm": [], "cold": []}
    scores = set()
    # one of each first: imports, the template's start, first-call caches (not what a class costs)
    for kind in ("warm", "bare"):
        timed(grade_bare if kind == "bare" else lambda a, p: graded(a, p, True), assignment, path)
    for round_ in range(rounds):
        for kind in ("bare", "warm") if round_ % 2 == 0 else ("warm", "bare"):
            seconds, score, max_score = timed(grade_bare if kind == "bare" else lambda a, p: graded(a, p, True),
                                              assignment, path)
            times[kind].append(seconds)
            scores.add((kind, score, max_score))
        if round_ < cold_rounds:
            seconds, score, max_score = timed(lambda a, p: graded(a, p, False), assignment, path)
            times["cold"].append(seconds)
            scores.add(("cold", score, max_score))
    med = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
    # paired by round, so that a burst of background load hits both sides of one difference
    paired = [w - b for w, b in zip(times["warm"], times["bare"])]
    ratios = [w / b for w, b in zip(times["warm"], times["bare"])]
    return {"name": name, **med, "scores": scores, "over": statistics.median(paired),
            "ratio": statistics.median(ratios), "best_over": min(paired)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment with a grader")
    parser.add_argument("--rounds", type=int, default=7, help="bare and warm grades per assignment (default 7)")
    parser.add_argument("--cold-rounds", type=int, default=2, help="cold grades per assignment (default 2)")
    args = parser.parse_args()
    names = args.assignments or [a.name for a in all_assignments()]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'assignment':18} {'bare s':>8} {'warm s':>8} {'cold s':>8} {'warm-bare':>10} {'(best)':>7}"
          f" {'warm/bare':>10} {'cold/warm':>10}  target")
    rows = []
    for name in names:
        row = measure(name, args.rounds, args.cold_rounds)
        rows.append(row)
        over, ratio = row["over"], row["ratio"]
        limit = TARGET_RATIOS.get(name, TARGET_RATIO)
        target, met = f"warm/bare <= {limit}", ratio <= limit
        print(f"{name:18} {row['bare']:8.3f} {row['warm']:8.3f} {row['cold']:8.3f} {over:10.3f}"
              f" {row['best_over']:7.3f} {ratio:10.2f}"
              f" {row['cold'] / row['warm']:10.1f}  {target}: {'met' if met else 'MISSED'}", flush=True)
        full = {(s, m) for _, s, m in row["scores"]}
        if len(full) != 1:
            print(f"  note: the three ways scored differently: {sorted(row['scores'])}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if warm.why_cold():
        print(f"note: warm workers were unavailable ({warm.why_cold()}); 'warm' is cold here")


if __name__ == "__main__":
    main()
