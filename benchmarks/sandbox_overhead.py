"""Benchmark: what the sandbox costs. Grading a good submission with every defence vs with the sandbox off.

    .venv/bin/python benchmarks/sandbox_overhead.py [--rounds 5] [--assignment hw1_storage]

"Sandbox off" is ``Limits(sandbox=False)``: a plain worker process (no bubblewrap, no uid of its own),
which is what grading cost before the hardening; the seccomp filter, rlimits and the scrubbed
environment stay on in both, since they cost microseconds. Two measures, each taken with warm
workers (forked from a template) and cold ones (a fresh interpreter), rounds interleaved in this one
process so that background load hits both sides alike:

* **start**: start a worker, import the submission, answer one call (the fixed price per submission);
* **grade**: grade the reference solution with the hidden graders (what a class actually waits for).

Prints medians and the ratio sandboxed / unsandboxed for each.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import protocol  # noqa: E402
from autograder.assignment import load_assignment  # noqa: E402
from autograder.grading import runner  # noqa: E402
from autograder.grading.session import Session  # noqa: E402
from autograder.sandbox.isolation import confinement  # noqa: E402
from autograder.submission import load_submission  # noqa: E402


def start_and_call(assignment, limits) -> float:
    """Seconds to start a worker on the reference, import it, and answer a ping."""
    submission = load_submission(assignment.solution, assignment.module)
    started = time.perf_counter()
    with Session(submission, limits) as session:
        session.request(protocol.ping(), "ping")
        return time.perf_counter() - started


def grade_reference(assignment, limits) -> float:
    started = time.perf_counter()
    report = runner.grade(assignment, assignment.solution, limits=limits)
    elapsed = time.perf_counter() - started
    if report.grader_errors:
        raise SystemExit(f"a grader failed: {report.grader_errors}")
    if report.score != report.max_score:  # on an overloaded machine a call may time out: say so, keep the time
        lost = [t.output.splitlines()[0] for t in report.tests if t.counted and t.score < t.max_score]
        print(f"warning: the reference got {report.score:g}/{report.max_score:g} ({'; '.join(lost)[:300]})")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds of each kind (after one warm-up)")
    parser.add_argument("--assignment", default="hw1_storage")
    args = parser.parse_args(argv)
    assignment = load_assignment(args.assignment)
    how = confinement()
    print(f"sandbox on this machine: bubblewrap={how.bwrap} own-uid={how.separate_uid}"
          + (f" ({how.reason})" if how.reason else ""))
    if not (how.bwrap or how.separate_uid):
        print("nothing to compare: the sandbox is unavailable here, so both sides would be the same")
        return 1
    base = runner.limits_for(assignment)
    kinds = {(measure, warm, sandbox): dataclasses.replace(base, warm=warm, sandbox=sandbox)
             for measure in ("start", "grade") for warm in (True, False) for sandbox in (True, False)}
    measures = {"start": start_and_call, "grade": grade_reference}
    times: dict[tuple, list[float]] = {key: [] for key in kinds}
    for key, limits in kinds.items():  # warm-up: imports, templates, caches
        measures[key[0]](assignment, limits)
    for _ in range(args.rounds):
        for key, limits in kinds.items():
            times[key].append(measures[key[0]](assignment, limits))
    print(f"{'measure':<8} {'workers':<8} {'sandboxed':>10} {'unsandboxed':>12} {'ratio':>7}")
    for measure in ("start", "grade"):
        for warm in (True, False):
            on = statistics.median(times[(measure, warm, True)])
            off = statistics.median(times[(measure, warm, False)])
            print(f"{measure:<8} {'warm' if warm else 'cold':<8} {on:>9.3f}s {off:>11.3f}s {on / off:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
