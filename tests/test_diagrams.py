"""Diagrams of shapes, broadcasting and storage: the facts, stored specs as untrusted, checks that attach them."""

from __future__ import annotations

import json
import math

import pytest
import torch

from autograder import diagrams
from autograder.checks import (
    Mistake,
    broadcasting,
    diagrams_of,
    expect_matrix,
    expect_not_shared,
    expect_tensor,
    expect_view_of,
    naming_mistakes,
)
from autograder.diagrams import broadcast, broadcast_spec, clean, covered, shape_spec, storage_spec, svg, text


def failure(check, *args, **kwargs) -> Mistake:
    with pytest.raises(Mistake) as caught:
        check(*args, **kwargs)
    return caught.value


# ---------------------------------------------------------------- the facts


@pytest.mark.parametrize(("shapes", "expected"), [
    ([[3, 4], [4]], ([3, 4], None)),
    ([[5, 1, 3], [4, 1]], ([5, 4, 3], None)),
    ([[3, 4], [3]], (None, -1)),
    ([[2, 3, 4], [5, 4]], (None, -2)),
    ([[0, 1], [1, 7]], ([0, 7], None)),
    ([[], [2, 2]], ([2, 2], None)),
])
def test_broadcast_agrees_with_torch(shapes, expected):
    assert broadcast(shapes) == expected
    if expected[0] is not None:
        assert list(torch.broadcast_shapes(*shapes)) == expected[0]
    else:
        with pytest.raises(RuntimeError):
            torch.broadcast_shapes(*shapes)


def test_covered_is_what_the_view_reads():
    x = torch.arange(30.0)
    for view in (x[3:20:4], x.view(5, 6)[1:4, ::2], x.view(5, 6).t()[2], x[5:6].expand(4, 3), x[:0]):
        spec = diagrams.layout(view, "v", True)
        assert covered(spec) == {int(v) for v in view.flatten().tolist()}  # values are the storage indices


def test_covered_work_is_bounded():
    huge = {"offset": 0, "shape": [10**9, 10**9], "strides": [1, 10**9], "size": 10**18, "shared": True,
            "label": "v"}
    assert covered(huge) is None
    expanded = {"offset": 3, "shape": [10**12, 10**12], "strides": [0, 0], "size": 4, "shared": True, "label": "v"}
    assert covered(expanded) == {3}  # a stride-0 view of 10^24 elements reads one element, and costs nothing


# ---------------------------------------------------------------- text forms


def test_shape_text_is_right_aligned_and_marks_the_difference():
    lines = text(shape_spec("row_view(x, 1)", (3, 5), (5,))).splitlines()
    assert lines[0] == "shapes of row_view(x, 1), right-aligned:"
    yours, expected, marks = lines[2], lines[3], lines[4]
    assert yours.endswith("3  5") and expected.endswith("  5")
    assert len(yours) == len(expected)  # the last dimensions line up
    assert marks.index("^") == yours.index("3")  # the extra leading dimension is marked, the matching one not
    assert lines[5].strip() == "yours has 2 dimensions, expected 1"


def test_broadcast_text_marks_the_clashing_dimension():
    lines = text(broadcast_spec("normalize(img)", {"img": (3, 4, 5), "mean": (3,)})).splitlines()
    img, mean, marks = lines[2], lines[3], lines[4]
    assert img.endswith("3  4  5") and mean.endswith("3") and len(mean) == len(img)
    assert marks.rstrip().endswith("^") and len(marks.rstrip()) == len(img)
    assert "dimension -1 cannot broadcast: sizes 5 vs 3" in lines[5]


def test_broadcast_text_with_your_shape():
    out = text(broadcast_spec("outer_sum(a, b)", {"a": (4, 1), "b": (3,)}, yours=(3, 4)))
    assert "broadcast  4  3" in out and "yours      3  4" in out and "yours differs from the broadcast shape" in out


def test_storage_text_shows_the_strip_and_the_verdict():
    x = torch.arange(15.0).reshape(3, 5)
    out = text(storage_spec("row_view(x, 1)", x, "x", x[1].clone(), False, True, expected=x[1]))
    assert "storage of x (15 elements) for row_view(x, 1):" in out
    assert "expected  .  .  .  .  .  #  #  #  #  #  .  .  .  .  ." in out
    assert "yours     a copy: its own storage of 5 elements" in out
    assert "expected: offset 5, strides (1,), shape (5,)" in out
    assert out.endswith("yours shares x's storage: no (it must be a view)")
    shared = text(storage_spec("copy_of(x)", x, "x", x[:, 1:3], True, False))
    assert "yours  .  #  #  .  .  .  #  #" in shared and "yes (it must be a copy)" in shared


def test_storage_text_of_a_big_storage_is_cut():
    x = torch.zeros(1000)
    out = text(storage_spec("every_other(x)", x, "x", x[::2], True, True))
    assert "… +984" in out and max(len(line) for line in out.splitlines()) < 90
    assert "yours shares x's storage: yes (right)" in out


# ---------------------------------------------------------------- stored specs are untrusted


GOOD = [shape_spec("f(x)", (2, 3), (3, 2)), broadcast_spec("a + b", {"a": (2, 3), "b": (4,)}),
        storage_spec("v(x)", torch.zeros(4, 4), "x", torch.zeros(4, 4)[1], True, True)]

HOSTILE = [
    None, 5, "shape", [], {"kind": "pie"},
    {"kind": "shape", "what": "f", "yours": [2, "3"], "expected": [3]},
    {"kind": "shape", "what": "f", "yours": [True], "expected": [3]},  # bool is not an int
    {"kind": "shape", "what": "f", "yours": [-1], "expected": [3]},
    {"kind": "shape", "what": "f", "yours": [2**80], "expected": [3]},
    {"kind": "shape", "what": "f", "yours": [1] * 100, "expected": [3]},
    {"kind": "shape", "what": 7, "yours": [1], "expected": [3]},
    {"kind": "broadcast", "what": "f", "operands": [["a", [1]]] * 50},
    {"kind": "broadcast", "what": "f", "operands": [["a", [1]], ["b", [2.5]]]},
    {"kind": "storage", "what": "f", "rows": [], "must_share": True},
    {"kind": "storage", "what": "f", "must_share": 1,
     "rows": [{"label": "x", "offset": 0, "shape": [2], "strides": [1], "size": 2, "shared": True}]},
    {"kind": "storage", "what": "f", "must_share": True,  # strides and shape of different lengths
     "rows": [{"label": "x", "offset": 0, "shape": [2], "strides": [1, 1], "size": 2, "shared": True}]},
    {"kind": "storage", "what": "f", "must_share": True,  # the base row must be the storage drawn
     "rows": [{"label": "x", "offset": 0, "shape": [2], "strides": [1], "size": 2, "shared": False}]},
]


@pytest.mark.parametrize("spec", HOSTILE, ids=range(len(HOSTILE)))
def test_bad_specs_are_refused(spec):
    assert clean(spec) is None


def test_good_specs_survive_json_and_cleaning():
    for spec in GOOD:
        assert spec is not None
        again = clean(json.loads(json.dumps(spec)))
        assert again == spec and text(again) == text(spec)


def test_strings_are_escaped_and_cut_in_svg():
    evil = '<script>alert("x")</script>&' + "A" * 10_000
    spec = clean({"kind": "broadcast", "what": evil, "operands": [[evil, [2]], ["b\x00\u202e", [3]]]})
    assert spec is not None and len(spec["what"]) <= diagrams.MAX_LABEL
    picture = svg(spec)
    assert "<script" not in picture and "&lt;script&gt;" in picture and "\x00" not in picture
    assert picture.startswith("<svg ") and picture.endswith("</svg>") and len(picture) < 10_000


def test_svg_of_each_kind_is_well_formed_xml():
    import xml.etree.ElementTree as ET

    for spec in GOOD + [storage_spec("f(x)", torch.zeros(100), "x", torch.zeros(3), False, True)]:
        root = ET.fromstring(svg(spec))
        assert root.tag.endswith("svg") and float(root.get("width")) > 100
        drawn = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
        assert spec["what"] in drawn


# ---------------------------------------------------------------- checks attach them


def test_expect_tensor_shape_mismatch_carries_a_shape_diagram():
    exc = failure(expect_tensor, torch.zeros(3, 5), torch.zeros(5), "row_view(x, 1)")
    assert "has shape (3, 5), expected (5,)" in str(exc)
    assert diagrams_of(exc) == [shape_spec("row_view(x, 1)", (3, 5), (5,))]
    # a value mismatch has no picture: the shapes are right
    assert diagrams_of(failure(expect_tensor, torch.ones(2), torch.zeros(2), "f(x)")) == []


def test_expect_matrix_transposed_carries_a_shape_diagram():
    expected = torch.arange(6.0).reshape(2, 3)
    exc = failure(expect_matrix, expected.T.clone(), expected, "jacobian(f, x)")
    assert [d["kind"] for d in diagrams_of(exc)] == ["shape"] and "transpose" in str(exc)


def test_view_and_copy_checks_carry_storage_diagrams():
    x = torch.arange(15.0).reshape(3, 5)
    exc = failure(expect_view_of, x[1].clone(), x, "row_view(x, 1)", "x", expected=x[1])
    (spec,) = diagrams_of(exc)
    assert spec["kind"] == "storage" and [r["label"] for r in spec["rows"]] == ["x", "expected", "yours"]
    assert spec["rows"][2]["shared"] is False and spec["must_share"] is True
    exc = failure(expect_not_shared, x[:, 1:3], x, "copy_cols(x)", "x")
    (spec,) = diagrams_of(exc)
    assert spec["rows"][1] == {"label": "yours", "offset": 1, "shape": [3, 2], "strides": [5, 1], "size": 15,
                               "shared": True}


def test_odd_values_get_no_picture_and_no_grader_error():
    meta = torch.zeros(3, device="meta")
    sparse = torch.zeros(3, 3).to_sparse()
    for result, base in ((meta, torch.zeros(3)), (sparse, torch.zeros(3, 3)), (torch.zeros(2), meta)):
        try:
            expect_view_of(result, base, "f(x)", "x")
        except Mistake as exc:
            assert diagrams_of(exc) == []
        except Exception as exc:  # noqa: BLE001 - what this test is about
            pytest.fail(f"the storage picture raised {exc!r}")
    expanded = torch.zeros(1).expand(10**6)
    exc = failure(expect_not_shared, expanded, expanded, "f(x)", "x")
    assert diagrams_of(exc)[0]["rows"][1]["strides"] == [0]


def test_broadcasting_context_folds_your_shape_into_the_picture():
    a, b = torch.zeros(4, 1), torch.zeros(3)
    with pytest.raises(Mistake) as caught, broadcasting("outer_sum(a, b)", {"a": a.shape, "b": b.shape}):
        expect_tensor(torch.zeros(3, 4), torch.zeros(4, 3), "outer_sum(a, b)")
    (spec,) = diagrams_of(caught.value)
    assert spec == broadcast_spec("outer_sum(a, b)", {"a": (4, 1), "b": (3,)}, yours=(3, 4))


def test_broadcasting_context_draws_a_student_error_too():
    from autograder.proxy import StudentError

    error = StudentError("RuntimeError: The size of tensor a (5) must match the size of tensor b (3)",
                         {"type": "RuntimeError", "builtins": ["RuntimeError"]})
    with pytest.raises(StudentError) as caught, broadcasting("normalize(img)", {"img": (3, 4, 5), "mean": (3,)}):
        raise error
    (spec,) = diagrams_of(caught.value)
    assert spec["kind"] == "broadcast" and "dimension -1 cannot broadcast" in text(spec)


def test_named_mistakes_keep_their_diagram():
    with pytest.raises(Mistake) as caught, naming_mistakes(torch.zeros(3, 5), [("You kept the row dim.",
                                                                                 torch.zeros(3, 5))]):
        expect_tensor(torch.zeros(3, 5), torch.zeros(5), "f(x)")
    assert str(caught.value).endswith("You kept the row dim.") and diagrams_of(caught.value)


def test_nan_shapes_cannot_reach_a_spec():
    with pytest.raises((TypeError, ValueError, OverflowError)):
        shape_spec("f", [math.nan], [1])
    assert shape_spec("f", [2**70], [1]) is None


# ---------------------------------------------------------------- through grading to results.json


def test_a_graded_view_mistake_carries_its_picture_to_results(tmp_path):
    from autograder.assignment import load_assignment
    from autograder.grading.runner import grade

    hw1 = load_assignment("hw1_storage")
    report = grade(hw1, hw1.mistakes_dir / "row_view_clone.py", select="test_row_view")
    (failed,) = [t for t in report.tests if t.status == "failed"]
    (spec,) = failed.diagrams
    assert spec["kind"] == "storage" and spec["rows"][-1]["shared"] is False
    assert failed.output.endswith("\n\n" + text(spec))  # the text form follows the feedback
    report.write_json(tmp_path / "results.json")
    data = json.loads((tmp_path / "results.json").read_text())
    (entry,) = [t for t in data["tests"] if t["name"] == failed.name]
    assert entry["extra_data"] == {"diagrams": [spec]} and "yours shares x's storage: no" in entry["output"]
    assert report.to_dict()["extra"]["diagrams"] == {failed.nodeid: [spec]}  # what the gradebook keeps


def test_terminal_prints_the_text_form_unfolded_under_the_table():
    from rich.console import Console

    from autograder.grading.render import render_report
    from autograder.grading.results import Report, TestResult

    spec = shape_spec("row_view(x, 1)", (3, 5), (5,))
    failed = TestResult("row_view returns row i", 2, 0, "failed", output="has shape (3, 5)\n\n" + text(spec),
                        diagrams=[spec])
    console = Console(record=True, width=50, color_system=None)
    render_report(Report("hw1_storage", "storage.py", tests=[failed]), console=console)
    printed = console.export_text()
    assert text(spec) in printed  # line for line, aligned, after the table
    assert printed.index(text(spec)) > printed.index("└")


def test_checks_embedded_alone_work_without_pictures(tmp_path):
    """Notebooks embed checks.py by itself (release/harness_runtime.py), where autograder cannot be imported."""
    import subprocess
    import sys
    from pathlib import Path

    import autograder.checks

    script = tmp_path / "alone.py"
    script.write_text(f"""
import importlib.abc, sys, types
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "autograder" or name.startswith("autograder."):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
checks = types.ModuleType("autograder.checks")
exec(compile(open({str(Path(autograder.checks.__file__))!r}).read(), "autograder/checks.py", "exec"), checks.__dict__)
import torch
x = torch.arange(6.0)
for check in (lambda: checks.expect_tensor(torch.zeros(3, 5), torch.zeros(5), "f(x)"),
              lambda: checks.expect_view_of(x.clone(), x, "f(x)", "x")):
    try:
        with checks.broadcasting("f", {{"a": (3,), "b": (4,)}}):
            check()
    except checks.Mistake as exc:
        print(type(exc).__name__, checks.diagrams_of(exc))
""")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["Mistake []", "Mistake []"]
