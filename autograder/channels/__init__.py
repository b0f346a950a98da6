"""Other graders' front doors (nbgrader, otter-grader) onto tensorgrade's sandboxed grading, with one score.

Whatever the channel, the score comes from the same place: the hidden graders, run on the
submission in the sandboxed worker. A channel only carries the per-test results into its own
gradebook (nbgrader) or results (otter). Tests are keyed by :func:`test_key` of their pytest id.
"""

from __future__ import annotations

import re


def test_key(nodeid: str) -> str:
    """A stable identifier-like name for a grader test: ``test_storage.py::test_x[cpu]`` -> ``test_x_cpu``."""
    name = nodeid.rsplit("::", 1)[-1] if "::" in nodeid else nodeid
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "test"


test_key.__test__ = False  # a helper, not a pytest test
