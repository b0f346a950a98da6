"""hw3_broadcasting graded three ways: reference full marks, stub zero, each realistic mistake loses its points."""

from __future__ import annotations

import functools
import importlib.util

import pytest
import torch

from autograder.assignment import load_assignment
from autograder.checks import matches
from autograder.graders.hw3_broadcasting import cases as hw3_cases
from autograder.graders.hw3_broadcasting import specs as hw3_specs
from autograder.grading.runner import grade
from tests.conftest import check_exploit, exploits_aimed_at, lost, variants_of

HW3 = load_assignment("hw3_broadcasting")
LOOP_TESTS = {"test_no_loops_in_source", "test_work_does_not_grow_with_input"}

# points only for answers: the property tests (inputs unchanged, device, meta, loops) gate each case on a
# right answer, so a function that is wrong there loses them too, with feedback naming the mistake
PROPERTIES = ("test_inputs_unchanged", "test_device_agnostic", "test_meta_device", "test_no_loops_in_source",
              "test_work_does_not_grow_with_input")


def wrong(phrase: str, *tests: str, properties: tuple = PROPERTIES) -> dict[str, str]:
    return dict.fromkeys((*tests, *properties), phrase)


# mistake file -> {grader test that must lose points: a phrase its feedback must contain}
MISTAKES = {
    "loops": {"test_no_loops_in_source": "uses a for loop",
              "test_work_does_not_grow_with_input": "the work grows with the input"},
    "broadcast_shapes_api": {"test_broadcast_shape_applies_the_rules": "`.broadcast_shapes`",
                             "test_broadcast_shape_rejects_incompatible": "raised RuntimeError, expected ValueError",
                             "test_broadcast_shape_error_names_sizes": "RuntimeError"},
    "broadcast_pad_right": {"test_broadcast_shape_lecture_table": "on the *left*",
                            "test_broadcast_shape_any_shapes": "on the *left*",
                            "test_broadcast_shape_rejects_incompatible": "expected ValueError",
                            "test_broadcast_shape_error_names_sizes": "naming the clashing sizes",
                            "test_broadcast_shape_applies_the_rules": "clash at dimension 0"},
    "broadcast_max_no_check": {"test_broadcast_shape_any_shapes": "1 against 0 gives 0",
                               "test_broadcast_shape_rejects_incompatible": "expected ValueError",
                               "test_broadcast_shape_error_names_sizes": "naming the clashing sizes"},
    # a crash on most inputs also loses the points of the properties that need a right result to check
    "pairwise_square_only": {"test_pairwise_sq_distances": "broadcasting error",
                             "test_pairwise_sq_distances_nonnegative": "broadcasting error",
                             **wrong("must match the size")},
    "pairwise_no_clamp": {"test_pairwise_sq_distances_nonnegative": ".clamp(min=0)"},
    "normalize_last_dim": {"test_normalize_channels": "view them as (1, C, 1, 1)", **wrong("must match the size")},
    "normalize_in_place": {"test_inputs_unchanged": "changed its argument `img`"},
    "vec_mat_no_squeeze": wrong("squeeze dimension 0 away", "test_vec_mat"),
    "batched_squeeze_all": {"test_batched_matvec": "squeeze() without a dimension"},
    "outer_sum_transposed": wrong("the transpose", "test_outer_sum"),
    "softmax_no_max": {"test_stable_softmax_large_entries": "overflowed to inf"},
    "softmax_no_keepdim": {"test_stable_softmax": "must match the size",
                           "test_stable_softmax_large_entries": "must match the size",
                           **wrong("must match the size")},
}


@functools.cache
def graded(path):
    return grade(HW3, path)


def test_reference_scores_full_marks():
    report = graded(HW3.solution)
    assert report.grader_errors == []
    assert report.max_score >= 30
    assert report.score == report.max_score, lost(report)


def test_stub_scores_zero():
    report = graded(HW3.stub)
    assert report.grader_errors == []
    assert report.score == 0
    assert all("not implemented yet" in t.output for t in report.tests if t.counted)


def test_every_mistake_file_is_covered():
    assert {p.stem for p in HW3.mistakes_dir.glob("*.py")} == set(MISTAKES)
    assert len(MISTAKES) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_exactly_its_points(name):
    report = graded(HW3.mistakes_dir / f"{name}.py")
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(MISTAKES[name]), losses
    for test, phrase in MISTAKES[name].items():
        assert phrase in losses[test], f"{test}: feedback {losses[test]!r} does not name the mistake ({phrase!r})"
    assert 0 < report.score < report.max_score


def test_a_loop_based_answer_keeps_its_correctness_points():
    report = graded(HW3.mistakes_dir / "loops.py")
    by_test = {t.nodeid.rsplit("::", 1)[-1]: t for t in report.tests if t.counted}
    assert {name for name, t in by_test.items() if t.score < t.max_score} == LOOP_TESTS
    for name in LOOP_TESTS:  # partial credit: the loop-free functions keep their share
        assert 0 < by_test[name].score < by_test[name].max_score


def test_public_checks_pass_on_the_reference_and_fail_on_the_stub():
    reference = grade(HW3, HW3.solution, public=True)
    assert reference.max_score >= 5 and reference.score == reference.max_score, lost(reference)
    assert grade(HW3, HW3.stub, public=True).score == 0


def load_reference():
    spec = importlib.util.spec_from_file_location("hw3_reference", HW3.solution)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(hw3_cases.CASE_BUILDERS))
def test_loop_specs_agree_with_the_reference_on_every_case(name):
    """The graders' loop-based specs and the vectorised reference are two independent answers."""
    function = name.removesuffix("_incompatible").removesuffix("_large")
    reference = getattr(load_reference(), function)
    for label, args in hw3_cases.cases(name):
        if name == "broadcast_shape_incompatible":
            with pytest.raises(ValueError):
                hw3_specs.SPECS[function](*args)
            with pytest.raises(ValueError):
                reference(*args)
            continue
        expected = hw3_specs.SPECS[function](*args)
        actual = reference(*args)
        assert matches(actual, expected) or (type(actual) is torch.Tensor and actual.shape == expected.shape
                                             and torch.allclose(actual, expected, rtol=1e-5, atol=1e-5)), label


def test_cases_are_fixed_and_cover_the_edges():
    drawn = [args for name in hw3_cases.CASE_BUILDERS for _, args in hw3_cases.cases(name)]
    tensors = [x for args in drawn for x in args if type(x) is torch.Tensor]
    assert len(drawn) >= 100
    assert any(t.numel() == 0 for t in tensors) and any(1 in t.shape for t in tensors)
    assert any(not t.is_contiguous() for t in tensors)
    pairs = [(X.shape[0], Y.shape[0], X.shape[1]) for _, (X, Y) in hw3_cases.cases("pairwise_sq_distances")]
    assert sum(len(set(p)) == 3 for p in pairs) >= len(pairs) - 2  # N, M and D differ
    shapes = [args for _, args in hw3_cases.cases("broadcast_shape")]
    assert any(0 in a + b for a, b in shapes) and any(a == () or b == () for a, b in shapes)
    hw3_cases.cases.cache_clear()
    assert [label for label, _ in hw3_cases.cases("vec_mat")] == [
        label for label, _ in hw3_cases.CASE_BUILDERS["vec_mat"]()]


# hostile submissions aimed at this assignment: each earns what its honest part earns and loses exactly the tests
# its header names (`loses`), with feedback that says what was seen (`says`)
EXPLOITS = exploits_aimed_at("hw3_broadcasting")


def test_there_are_exploit_cases_for_this_assignment():
    assert EXPLOITS


@pytest.mark.parametrize("path", EXPLOITS, ids=[p.stem for p in EXPLOITS])
def test_exploit_earns_only_its_honest_part(path):
    check_exploit(HW3, path)


# correct solutions written the ways students write them (lecture style, numpy-minded, one-liners, einsum,
# torch.func...): every one gets full marks (no false failures)
VARIANTS = variants_of(HW3)


def test_there_are_at_least_five_correct_variants():
    assert len(VARIANTS) >= 5


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_correct_variant_scores_full_marks(path):
    report = grade(HW3, path)
    assert report.grader_errors == [] and report.problem is None
    assert report.score == report.max_score, lost(report)
