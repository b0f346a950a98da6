"""Benchmark 3: how long until a worker answers its first request, warm (forked from the template) vs cold.

    .venv/bin/python benchmarks/warm_start.py [--rounds 10]

Cold: ``autograder.sandbox.launch.start_cold`` (a fresh interpreter in the sandbox imports torch and the
runtime). Warm: ``autograder.warm.start_worker`` (a child of the warm template). Both are timed from
the call to the first reply of a ``ping``; each worker is then stopped as grading stops it. The
template's own start, paid once per grading lane, is printed apart. Rounds alternate warm and cold.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import protocol, wire  # noqa: E402
from autograder.limits import Limits  # noqa: E402
from autograder.sandbox import launch, warm  # noqa: E402

SUBMISSION = b"import torch\n\ndef double(x):\n    return x * 2\n"


def first_reply(start) -> tuple[float, str]:
    started = time.perf_counter()
    worker = start("storage.py", SUBMISSION, LIMITS)
    wire.write_frame(worker.req_fd, wire.dumps({**protocol.ping(), "seq": 1}))
    reply = wire.loads(wire.read_frame(worker.rep_fd))
    seconds = time.perf_counter() - started
    assert reply["ok"], reply
    kind = type(worker.popen).__name__
    worker.kill()
    return seconds, kind


LIMITS = Limits()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="workers started each way (default 10)")
    args = parser.parse_args()
    started = time.perf_counter()
    warm.template_for(LIMITS).wait_ready()
    template = time.perf_counter() - started
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    for _ in range(args.rounds):
        seconds, kind = first_reply(warm.start_worker)
        assert kind == "WarmChild", f"warm workers unavailable: {warm.why_cold()}"
        times["warm"].append(seconds)
        time.sleep(0.05)  # the grader's own work between two submissions, during which the lane is swept
        seconds, kind = first_reply(launch.start_cold)
        times["cold"].append(seconds)
    confinement = launch.confinement()
    print(f"confinement: bwrap={confinement.bwrap} separate_uid={confinement.separate_uid}")
    print(f"template start (once per lane): {template:.2f} s")
    for kind, values in times.items():
        print(f"{kind:5} worker ready: median {statistics.median(values) * 1000:8.1f} ms "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, n={len(values)})")
    ratio = statistics.median(times["cold"]) / statistics.median(times["warm"])
    print(f"cold / warm: {ratio:.0f}x")


if __name__ == "__main__":
    main()
