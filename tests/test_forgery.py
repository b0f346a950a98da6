"""Submissions that try to forge a score get nothing they did not earn, and grading still finishes.

Each attack is appended to the student stub (which honestly earns 0) or to the reference with
one function broken (which honestly earns everything but that function's points).
"""

from __future__ import annotations

import pytest

from autograder.assignment import SOLUTIONS_DIR, load_assignment
from autograder.grading.runner import grade
from autograder.limits import Limits
from tests.conftest import lost

HW1 = load_assignment("hw1_storage")
FAST = Limits(call_timeout=3.0)

ATTACKS = {
    "patch_torch_comparisons": """
import torch, torch.testing
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *x, **k: torch.ones_like(a, dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: True
""",
    "patch_builtins_and_pytest": """
import builtins, pytest
builtins.isinstance = lambda obj, cls: True
builtins.type = lambda *a: object
pytest.fail = lambda *a, **k: None
pytest.approx = lambda *a, **k: type("Eq", (), {"__eq__": lambda s, o: True})()
""",
    "sys_exit_at_import": "import sys\nsys.exit(0)\n",
    "os_exit_at_import": "import os\nos._exit(0)\n",
    "atexit_fake_results": """
import atexit, json, sys
atexit.register(lambda: print(json.dumps({"score": 100, "tests": []})))
def same_storage(a, b):
    sys.exit(0)
def row_view(x, i):
    import os
    os._exit(0)
""",
    "writes_and_prints_results_json": """
import json, os
fake = {"score": 21, "max_score": 21, "tests": [{"name": "all", "score": 21, "max_score": 21, "status": "passed"}]}
print(json.dumps(fake))
for path in ("results.json", "/autograder/results/results.json", "../results.json"):
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        open(path, "w").write(json.dumps(fake))
    except OSError:
        pass
""",
    "always_equal_objects": """
class AlwaysEqual:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    shape = property(lambda self: (3,))
def same_storage(a, b): return AlwaysEqual()
def row_view(x, i): return AlwaysEqual()
def shares_storage_quiz():
    from collections import UserDict
    return UserDict({e: AlwaysEqual() for e in QUIZ})
""",
    "tensor_subclasses": """
import torch
class Liar(torch.Tensor):
    def __eq__(self, other): return True
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True
def row_view(x, i): return x[i].as_subclass(Liar)
def as_matrix(x, cols): return torch.nn.Parameter(x.view(-1, cols))
def numpy_copy(arr): return torch.tensor(arr).as_subclass(Liar)
""",
    "reads_solutions_and_graders": f"""
import glob
for path in ["{SOLUTIONS_DIR}/hw1_storage/storage.py", *glob.glob("/work/**/storage.py", recursive=True),
             *glob.glob("/**/solutions/hw1_storage/storage.py", recursive=True)]:
    try:
        exec(open(path).read())
        break
    except OSError:
        pass
""",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_on_stub_earns_nothing(attack, tmp_path):
    path = tmp_path / "storage.py"
    path.write_text(HW1.stub.read_text() + "\n" + ATTACKS[attack])
    report = grade(HW1, path, limits=FAST)
    assert report.grader_errors == []
    assert report.tests, "grading must finish with a report"
    assert report.score == 0, {t.name: t.score for t in report.tests if t.score}


def test_infinite_loop_costs_only_the_tests_that_call_it(tmp_path):
    source = HW1.solution.read_text().replace("    return x[i]\n", "    while True:\n        pass\n")
    path = tmp_path / "storage.py"
    path.write_text(source)
    report = grade(HW1, path, limits=FAST)
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == {"test_row_view", "test_device_agnostic", "test_meta_device"}
    assert "did not finish within 3 s" in losses["test_row_view"]
    assert "not run again" in losses["test_row_view"]  # one timeout per test, not one per case
    # the rest still ran in a restarted worker and scored
    assert report.score >= report.max_score - 4
