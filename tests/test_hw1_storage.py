"""hw1_storage graded three ways: reference full marks, stub zero, each realistic mistake loses its points."""

from __future__ import annotations

import pytest

from autograder.assignment import load_assignment
from autograder.grading.runner import grade
from tests.conftest import lost, variants_of

pytestmark = pytest.mark.hw1_storage
HW1 = load_assignment("hw1_storage")

# mistake file -> {grader test that must lose points: a word its feedback must contain}
MISTAKES = {
    "same_storage_data_ptr": {"test_same_storage": "x[1]", "test_shares_storage_quiz": "x[1]"},
    "numpy_shared_torch_tensor": {"test_numpy_shared": "torch.tensor(arr) always copies"},
    "numpy_copy_from_numpy": {"test_numpy_copy": "shares memory with arr"},
    "row_view_clone": {"test_row_view": "is a copy, but it must be a view"},
    "cos_rebinds": {"test_cos_in_place": "in place"},
    # the meta-device case counts only where the same call is right on a CPU tensor (points only for answers)
    "standardize_biased_std": {"test_standardize_in_place": "yours", "test_meta_device": "on a CPU tensor"},
    "standardize_new_tensor": {"test_standardize_in_place": "returned a new tensor"},
    "as_matrix_reshape_copy": {"test_as_matrix": "is a copy"},
    "as_matrix_no_value_error": {"test_as_matrix_rejects_bad_cols": "ValueError"},
    "row_view_hardcoded_cpu": {"test_meta_device": "meta"},
    "quiz_misconceptions": {"test_shares_storage_quiz": "x[[0, 2]]"},
    # gaps mutation testing showed: same-storage pairs without a common element, inputs of more than one dimension
    "same_storage_overlap": {"test_same_storage": "compare their storages"},
    "as_matrix_len": {"test_as_matrix": "len(x) is only the size of the first dimension"},
}


def test_reference_scores_full_marks():
    report = grade(HW1, HW1.solution)
    assert report.grader_errors == []
    assert report.max_score >= 20
    assert report.score == report.max_score, lost(report)


def test_stub_scores_zero():
    report = grade(HW1, HW1.stub)
    assert report.score == 0
    assert all("not implemented yet" in t.output for t in report.tests if t.counted)


def test_every_mistake_file_is_covered():
    assert {p.stem for p in HW1.mistakes_dir.glob("*.py")} == set(MISTAKES)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_exactly_its_points(name):
    report = grade(HW1, HW1.mistakes_dir / f"{name}.py")
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(MISTAKES[name]), losses
    for test, keyword in MISTAKES[name].items():
        assert keyword in losses[test], f"{test}: feedback {losses[test]!r} does not name the mistake ({keyword!r})"
    assert 0 < report.score < report.max_score


# correct solutions written the ways students write them (lecture style, numpy-minded, one-liners, einsum,
# torch.func...): every one gets full marks (no false failures)
VARIANTS = variants_of(HW1)


def test_there_are_at_least_five_correct_variants():
    assert len(VARIANTS) >= 5


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_correct_variant_scores_full_marks(path):
    report = grade(HW1, path)
    assert report.grader_errors == [] and report.problem is None
    assert report.score == report.max_score, lost(report)
