"""Benchmark 4: one worker vs two on a batch of 40 submissions, the whole CLI run each time.

    .venv/bin/python benchmarks/parallel.py [--assignment hw1_storage] [--count 40] [--repeat 2]

Runs ``tensorgrade grade <hw> <class> --db sqlite:///... --jobs N`` as a subprocess for N = 1 and 2
(alternating, ``--repeat`` times each, a fresh gradebook each run) and prints the wall time of the
whole command (interpreter, imports, pool and template start, grading, gradebook) and the steady
rate (results per second between the 10th and the last result, from the gradebook's timestamps),
with the speed-up of 2 workers over 1. All runs must record the same scores.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402
from autograder.gradebook import open_gradebook  # noqa: E402
from benchmarks.classes import write_class  # noqa: E402

WARMED_UP = 10  # the steady rate counts results after this many (every lane has started by then)


def run(assignment: str, root: Path, jobs: int, db: Path) -> tuple[float, float, dict]:
    command = [sys.executable, "-m", "autograder.cli", "grade", assignment, str(root), "--db", f"sqlite:///{db}",
               "--jobs", str(jobs), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"grading failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    with open_gradebook(f"sqlite:///{db}") as gradebook:
        rows = gradebook.submissions(assignment)
        scores = {row.student.key: row.score for row in rows}
        times = sorted(row.graded_at.timestamp() for row in rows)
    steady = (len(times) - WARMED_UP) / (times[-1] - times[WARMED_UP - 1])
    return wall, steady, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1_storage")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each worker count (default 2)")
    args = parser.parse_args()
    assignment = load_assignment(args.assignment)
    with tempfile.TemporaryDirectory(prefix="tensorgrade-bench-") as tmp:
        root = Path(tmp) / "class"
        kinds = write_class(assignment, root, args.count)
        print(f"{args.count} submissions of {assignment.name}: "
              + ", ".join(f"{k}: {v}" for k, v in sorted(_count(kinds.values()).items())))
        walls: dict[int, list[float]] = {1: [], 2: []}
        rates: dict[int, list[float]] = {1: [], 2: []}
        reference = None
        for repeat in range(args.repeat):
            for jobs in (1, 2) if repeat % 2 == 0 else (2, 1):
                wall, steady, scores = run(assignment.name, root, jobs, Path(tmp) / f"run{repeat}-{jobs}.sqlite")
                reference = reference or scores
                if scores != reference:
                    sys.exit("the runs recorded different scores")
                walls[jobs].append(wall)
                rates[jobs].append(steady)
                print(f"  --jobs {jobs}: {wall:6.1f} s for the whole command, steady {steady:5.2f} submissions/s",
                      flush=True)
    wall1, wall2 = statistics.median(walls[1]), statistics.median(walls[2])
    rate1, rate2 = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"1 worker:  {wall1:6.1f} s ({wall1 / args.count:.2f} s per submission), steady {rate1:.2f}/s")
    print(f"2 workers: {wall2:6.1f} s ({wall2 / args.count:.2f} s per submission), steady {rate2:.2f}/s")
    print(f"speed-up of 2 workers: {wall1 / wall2:.2f}x whole command, {rate2 / rate1:.2f}x steady (target 1.7x)")


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


if __name__ == "__main__":
    main()
