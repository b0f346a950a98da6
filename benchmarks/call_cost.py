"""What one call into student code costs once the worker runs, and how many calls each grader makes.

    .venv/bin/python benchmarks/call_cost.py [--calls 500]

The overhead of grading over bare that warm workers cannot remove is per call: each one is a
round trip over the pipes, encoded by :func:`autograder.wire.dumps` on one side and decoded by
:func:`autograder.wire.loads` on the other, in both directions. This prints the wall time and the
CPU time of each side per call (a ``ping`` and a typical tensor call), then the grader's CPU for
hostile replies of many tiny tensors against an ordinary reply (target: 100,000 tiny tensors
refused or decoded in at most 1 s), then the number of calls grading each assignment's reference
makes, so that (calls x cost) can be set against benchmarks/overhead.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from autograder import protocol, proxy, wire  # noqa: E402
from autograder.assignment import all_assignments, load_assignment  # noqa: E402
from autograder.grading import runner  # noqa: E402
from autograder.grading.session import Session  # noqa: E402
from autograder.limits import Limits  # noqa: E402
from autograder.submission import load_submission  # noqa: E402


def worker_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per_call(calls: int) -> None:
    hw1 = load_assignment("hw1_storage")
    with Session(load_submission(hw1.solution, hw1.module), Limits()) as session:
        session.ensure_started()
        x = torch.arange(15.0).reshape(3, 5)
        kinds = {"ping": lambda: session._exchange(protocol.ping(), 10),
                 "row_view(x, 1), result and arguments back": lambda: session.call("row_view", (x, 1), {},
                                                                                    return_args=True)}
        for label, call in kinds.items():
            for _ in range(20):
                call()
            worker0, grader0, wall0 = worker_cpu(session.process.pid), time.process_time(), time.perf_counter()
            for _ in range(calls):
                call()
            worker1, grader1, wall1 = worker_cpu(session.process.pid), time.process_time(), time.perf_counter()
            print(f"{label:45} wall {(wall1 - wall0) / calls * 1000:5.2f} ms, CPU: grader "
                  f"{(grader1 - grader0) / calls * 1000:5.2f} ms + worker {(worker1 - worker0) / calls * 1000:5.2f} ms")


def _tiny_tensors(count: int, _: bool) -> list:
    """Runs in the worker (shipped as text): ``count`` one-element tensors."""
    import torch

    return [torch.zeros(1) for _ in range(count)]


def tiny_tensors() -> None:
    hw1 = load_assignment("hw1_storage")
    with Session(load_submission(hw1.solution, hw1.module), Limits()) as session:
        session.ensure_started()
        x = torch.arange(15.0).reshape(3, 5)
        cases = {
            "ordinary reply: row_view(x, 1) with arguments": lambda: session.call("row_view", (x, 1), {},
                                                                                 return_args=True),
            "10,000 tiny tensors (the most a reply may hold)": lambda: session.trusted(_tiny_tensors, 10_000, False),
            "100,000 tiny tensors, refused by the worker": lambda: session.trusted(_tiny_tensors, 100_000, False),
            "100,000 tiny tensors past the worker's encoder": lambda: wire.loads(hostile),
        }
        wire.MAX_TENSORS, limit = 10**9, wire.MAX_TENSORS
        try:  # the frame a worker whose encoder was replaced could send (built here: the worker would take seconds)
            hostile = wire.dumps({"ok": True, "value": _tiny_tensors(100_000, False), "seq": 1})
        finally:
            wire.MAX_TENSORS = limit
        costs = {}
        for label, case in cases.items():
            grader0, wall0 = time.process_time(), time.perf_counter()
            try:
                case()
                outcome = "decoded"
            except (proxy.StudentFault, wire.WireError) as fault:
                outcome = f"refused: {str(fault)[:70]}"
            grader1, wall1 = time.process_time(), time.perf_counter()
            costs[label] = grader1 - grader0
            print(f"{label:50} grader CPU {costs[label] * 1000:7.1f} ms, wall {(wall1 - wall0) * 1000:7.1f} ms, "
                  f"{outcome}")
        ordinary = costs[next(iter(cases))]
        largest = costs["10,000 tiny tensors (the most a reply may hold)"]
        worst = max(v for k, v in costs.items() if "100,000" in k)
        print(f"grader CPU vs an ordinary reply: the largest reply accepted {largest / ordinary:.0f}x, a reply of "
              f"100,000 tiny tensors {worst / ordinary:.1f}x ({worst:.3f} s; target <= 1 s: "
              f"{'met' if worst <= 1 else 'MISSED'})")


def calls_per_assignment() -> None:
    counted = [0]
    real = Session._exchange

    def counting(self: Session, request: dict, timeout: float) -> dict:
        counted[0] += 1
        return real(self, request, timeout)

    Session._exchange = counting  # type: ignore[method-assign]
    try:
        for assignment in all_assignments():
            counted[0] = 0
            runner.grade(assignment, assignment.solution)
            print(f"{assignment.name:18} {counted[0]:4d} round trips to grade the reference")
    finally:
        Session._exchange = real  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    per_call(args.calls)
    tiny_tensors()
    calls_per_assignment()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
