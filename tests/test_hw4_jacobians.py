"""hw4_jacobians graded three ways: reference full marks, stub zero, each realistic mistake loses its points."""

from __future__ import annotations

import pytest

from autograder.assignment import load_assignment
from autograder.grading.runner import grade
from tests.conftest import check_exploit, exploits_aimed_at, lost, variants_of

pytestmark = pytest.mark.slow  # every test grades a whole submission in a fresh worker
HW4 = load_assignment("hw4_jacobians")

# mistake file -> {grader test that must lose points: a phrase its feedback must contain}
# (a property check (no autograd, x unchanged, meta shapes) earns points only where the function's values
# are right on the same case, so a wrong answer also loses those, with a message that says why)
NOT_YET = "answer is not right yet"
MISTAKES = {
    "transposed_jacobian": {"test_jacobian_of_linear": "transpose of the right answer",
                            "test_jacobian": "transpose of the right answer",
                            "test_meta_device": "not right on CPU yet (jacobian_of_linear(A, x) has shape (5, 3), "
                                                "expected (3, 5): it is the transpose of the right answer",
                            "test_no_autograd_where_forbidden": f"jacobian_of_linear's {NOT_YET}"},
    "forward_differences_float32": {"test_numerical_jacobian": "forward differences",
                                    "test_numerical_jacobian_leaves_x": f"numerical_jacobian's {NOT_YET}",
                                    "test_no_autograd_where_forbidden": f"numerical_jacobian's {NOT_YET}"},
    "x_left_modified": {"test_numerical_jacobian_leaves_x": "changed its argument `x`"},
    "jacobian_of_linear_returns_A": {"test_jacobian_of_linear": "shares memory with A"},
    "jacobian_grad_accumulates": {"test_jacobian": "gradients accumulate in x.grad"},
    "autograd_in_closed_form": {"test_no_autograd_where_forbidden": "grad_half_sq_norm used autograd"},
    "fit_linear_no_zero_grad": {"test_fit_linear": "never zeroes the gradients"},
    "linear_backward_mean_db": {"test_linear_backward": "sum over the batch", "test_device_agnostic": "db is wrong",
                                "test_meta_device": "linear_backward is not right on CPU yet (db is wrong",
                                "test_no_autograd_where_forbidden": f"linear_backward's {NOT_YET}"},
    "backprop_missing_factor": {"test_backprop_example": "df_dx of backprop_example(x, y) is wrong",
                                "test_device_agnostic": "df_dx is wrong",
                                "test_no_autograd_where_forbidden": f"backprop_example's {NOT_YET}"},
}


def test_reference_scores_full_marks():
    report = grade(HW4, HW4.solution)
    assert report.grader_errors == []
    assert report.max_score >= 20
    assert report.score == report.max_score, lost(report)


def test_stub_scores_zero():
    report = grade(HW4, HW4.stub)
    assert report.grader_errors == []
    assert report.score == 0
    assert all("not implemented yet" in t.output for t in report.tests if t.counted)


def test_every_mistake_file_is_covered():
    assert {p.stem for p in HW4.mistakes_dir.glob("*.py")} == set(MISTAKES)


# correct solutions written the ways students write them (other library functions, loops, lecture style)
VARIANTS = variants_of(HW4)


def test_there_are_five_differently_written_correct_variants():
    assert len(VARIANTS) >= 5


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_correct_variant_scores_full_marks(path):
    report = grade(HW4, path)
    assert report.grader_errors == []
    assert report.score == report.max_score, lost(report)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_exactly_its_points(name):
    report = grade(HW4, HW4.mistakes_dir / f"{name}.py")
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(MISTAKES[name]), losses
    for test, phrase in MISTAKES[name].items():
        assert phrase in losses[test], f"{test}: feedback {losses[test]!r} does not name the mistake ({phrase!r})"
    assert 0 < report.score < report.max_score


def test_float32_forward_differences_are_told_to_use_float64():
    """The float32 case of the same mistake gets the dtype explanation, not only the forward-difference one."""
    report = grade(HW4, HW4.mistakes_dir / "forward_differences_float32.py", select="test_numerical_jacobian")
    assert "compute in float64" in lost(report)["test_numerical_jacobian"]


def test_public_checks_pass_on_the_reference_and_fail_on_the_stub():
    reference = grade(HW4, HW4.solution, public=True)
    assert reference.grader_errors == [] and reference.max_score > 0
    assert reference.score == reference.max_score, lost(reference)
    assert grade(HW4, HW4.stub, public=True).score == 0


# hostile submissions aimed at this assignment: each earns what its honest part earns and loses exactly the tests
# its header names (`loses`), with feedback that says what was seen (`says`)
EXPLOITS = exploits_aimed_at("hw4_jacobians")


def test_there_are_exploit_cases_for_this_assignment():
    assert EXPLOITS


@pytest.mark.parametrize("path", EXPLOITS, ids=[p.stem for p in EXPLOITS])
def test_exploit_earns_only_its_honest_part(path):
    check_exploit(HW4, path)
