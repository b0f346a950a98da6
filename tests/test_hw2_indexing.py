"""hw2_indexing graded three ways: reference full marks, stub zero, each realistic mistake loses its points."""

from __future__ import annotations

import functools
import importlib.util

import pytest
import torch

from autograder.assignment import load_assignment
from autograder.checks import matches
from autograder.graders.hw2_indexing import cases as hw2_cases
from autograder.graders.hw2_indexing import specs as hw2_specs
from autograder.grading.runner import grade
from tests.conftest import check_exploit, exploits_aimed_at, lost, variants_of

HW2 = load_assignment("hw2_indexing")
LOOP_TESTS = {"test_no_loops_in_source", "test_work_does_not_grow_with_input"}

# points only for answers: the property tests (inputs unchanged, device, loops) gate each case on a right
# answer, so a function that is wrong there loses them too, with the same feedback naming the mistake
PROPERTIES = ("test_inputs_unchanged", "test_device_agnostic", "test_no_loops_in_source",
              "test_work_does_not_grow_with_input")


def wrong(phrase: str, *tests: str, properties: tuple = PROPERTIES) -> dict[str, str]:
    return dict.fromkeys((*tests, *properties), phrase)


# mistake file -> {grader test that must lose points: a phrase its feedback must contain}
MISTAKES = {
    "loops": {"test_no_loops_in_source": "uses a for loop",
              "test_work_does_not_grow_with_input": "the work grows with the input"},
    "hardcoded_quadrant": wrong("Columns 5:10 are hard-coded", "test_top_right_quadrant",
                                "test_top_right_quadrant_is_view", "test_meta_device"),
    "square_quadrant": wrong("square-only", "test_top_right_quadrant", "test_top_right_quadrant_is_view",
                             "test_meta_device"),
    "quadrant_copy": {"test_top_right_quadrant_is_view": "is a copy, but it must be a view"},
    "column_without_mask": wrong("You returned the whole column", "test_multiples_of_4_in_column"),
    "multiples_whole_tensor": wrong("mask to the whole tensor", "test_multiples_of_4_in_column"),
    "rows_mask_whole_tensor": wrong("mask to the whole tensor", "test_rows_with_negative"),
    "range_inclusive": wrong("use < hi, not <= hi", "test_count_in_range", properties=("test_inputs_unchanged",)),
    "masked_mean_nan": wrong("division by zero", "test_masked_row_mean_empty_rows", "test_meta_device",
                             properties=PROPERTIES[1:]),
    "replace_in_place": {"test_replace_where_returns_new_tensor": "changed its argument `a`",
                         "test_inputs_unchanged": "changed its argument `a`"},
    "every_other_first_dim": wrong("use a[..., ::2] for the last", "test_every_other", "test_every_other_is_view",
                                   "test_meta_device"),
    "one_hot_inferred_classes": wrong("not labels.max() + 1", "test_one_hot", "test_meta_device"),
    "one_hot_fixed_device": {"test_meta_device": "is on device 'cpu', expected 'meta'"},
    "one_hot_squeeze": {"test_one_hot": "squeeze() also removed the row dimension of a single label"},
}


@functools.cache
def graded(path):
    return grade(HW2, path)


def test_reference_scores_full_marks():
    report = graded(HW2.solution)
    assert report.grader_errors == []
    assert report.max_score >= 30
    assert report.score == report.max_score, lost(report)


def test_stub_scores_zero():
    report = graded(HW2.stub)
    assert report.grader_errors == []
    assert report.score == 0
    assert all("not implemented yet" in t.output for t in report.tests if t.counted)


def test_every_mistake_file_is_covered():
    assert {p.stem for p in HW2.mistakes_dir.glob("*.py")} == set(MISTAKES)
    assert len(MISTAKES) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_exactly_its_points(name):
    report = graded(HW2.mistakes_dir / f"{name}.py")
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(MISTAKES[name]), losses
    for test, phrase in MISTAKES[name].items():
        assert phrase in losses[test], f"{test}: feedback {losses[test]!r} does not name the mistake ({phrase!r})"
    assert 0 < report.score < report.max_score


def test_a_loop_based_answer_keeps_its_correctness_points():
    report = graded(HW2.mistakes_dir / "loops.py")
    by_test = {t.nodeid.rsplit("::", 1)[-1]: t for t in report.tests if t.counted}
    assert {name for name, t in by_test.items() if t.score < t.max_score} == LOOP_TESTS
    for name in LOOP_TESTS:  # partial credit: the loop-free functions keep their share
        assert 0 < by_test[name].score < by_test[name].max_score


def test_public_checks_pass_on_the_reference_and_fail_on_the_stub():
    reference = grade(HW2, HW2.solution, public=True)
    assert reference.max_score >= 5 and reference.score == reference.max_score, lost(reference)
    assert grade(HW2, HW2.stub, public=True).score == 0


def load_reference():
    spec = importlib.util.spec_from_file_location("hw2_reference", HW2.solution)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(hw2_cases.CASE_BUILDERS))
def test_loop_specs_agree_with_the_reference_on_every_case(name):
    """The graders' loop-based specs and the vectorised reference are two independent answers."""
    function = name.removesuffix("_empty_rows")
    reference = getattr(load_reference(), function)
    for label, args in hw2_cases.cases(name):
        expected = hw2_specs.SPECS[function](*args)
        actual = reference(*args)
        assert matches(actual, expected) or (type(actual) is torch.Tensor and actual.shape == expected.shape
                                             and torch.allclose(actual, expected, rtol=1e-5, atol=1e-5)), label


def test_cases_are_fixed_and_cover_the_edges():
    drawn = [args for name in hw2_cases.CASE_BUILDERS for _, args in hw2_cases.cases(name)]
    tensors = [x for args in drawn for x in args if type(x) is torch.Tensor]
    assert any(t.numel() == 0 for t in tensors) and any(1 in t.shape for t in tensors)
    assert any(not t.is_contiguous() for t in tensors)
    shapes = [tuple(args[0].shape) for _, args in hw2_cases.cases("top_right_quadrant")]
    assert sum(r != c for r, c in shapes) >= len(shapes) - 1  # never (or almost never) square
    hw2_cases.cases.cache_clear()
    assert [label for label, _ in hw2_cases.cases("one_hot")] == [
        label for label, _ in hw2_cases.CASE_BUILDERS["one_hot"]()]


# hostile submissions aimed at this assignment: each earns what its honest part earns and loses exactly the tests
# its header names (`loses`), with feedback that says what was seen (`says`)
EXPLOITS = exploits_aimed_at("hw2_indexing")


def test_there_are_exploit_cases_for_this_assignment():
    assert EXPLOITS


@pytest.mark.parametrize("path", EXPLOITS, ids=[p.stem for p in EXPLOITS])
def test_exploit_earns_only_its_honest_part(path):
    check_exploit(HW2, path)


# correct solutions written the ways students write them (lecture style, numpy-minded, one-liners, einsum,
# torch.func...): every one gets full marks (no false failures)
VARIANTS = variants_of(HW2)


def test_there_are_at_least_five_correct_variants():
    assert len(VARIANTS) >= 5


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_correct_variant_scores_full_marks(path):
    report = grade(HW2, path)
    assert report.grader_errors == [] and report.problem is None
    assert report.score == report.max_score, lost(report)
