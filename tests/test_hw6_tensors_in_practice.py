"""hw6_tensors_in_practice graded three ways: reference full marks, stub zero, each mistake loses its points.

Plus five correct solutions written the ways students write them (lecture style, numpy-minded,
one-liners, einsum and inference_mode, defensive), which must get full marks.
"""

from __future__ import annotations

import pytest

from autograder.assignment import load_assignment
from autograder.grading.runner import grade
from tests.conftest import lost, variants_of

pytestmark = pytest.mark.slow  # every test grades a whole submission in a fresh worker
HW6 = load_assignment("hw6_tensors_in_practice")
VARIANTS = variants_of(HW6)

# mistake file -> {grader test that must lose points: words its feedback must contain}
MISTAKES = {
    "to_numpy_requires_grad": {"test_to_numpy": "t.numpy() refuses a tensor that requires grad"},
    "to_numpy_np_array": {"test_to_numpy": "np.array(t) and t.clone() copy"},
    "as_float32_clone": {"test_as_float32": "already returns x itself"},
    "to_tensor_view": {"test_to_tensor": "view() keeps the elements in memory order"},
    "to_tensor_no_scale": {"test_to_tensor": "divide by 255"},
    # the (3, 4, 5) image cannot broadcast a (3,) mean: the case of the input check fails too
    "normalize_last_dim": {"test_normalize": "broadcast against the last dimension",
                           "test_normalize_leaves_input": "must match the size of tensor"},
    "normalize_in_place": {"test_normalize_leaves_input": "changed its argument `image`"},
    "cosine_item": {"test_cosine_similarity": "is a Python float"},
    "cosine_mm": {"test_cosine_similarity": "has shape (1, 1), expected ()"},
    "sigmoid_grad_of_z": {"test_sigmoid_grad": "applies to σ(z), not to z"},
    # validation_loss uses the student's bce_loss: its feedback names that mistake
    "bce_sign": {"test_bce_loss": "The sign of the (1 - y) term is wrong",
                 "test_validation_loss": "(your bce_loss) The sign of the (1 - y) term"},
    "bce_no_clamp": {"test_bce_loss": "clamp each log at -100"},
    "logistic_chain_twice": {"test_logistic_grad": "derivative p(1 - p) again"},
    "logistic_grad_sum": {"test_logistic_grad": "divide by N for the mean"},
    "split_not_shuffled": {"test_split_indices": "shuffle first (torch.randperm)"},
    "split_unseeded": {"test_split_indices": "seed a torch.Generator"},
    "split_negative_slice": {"test_split_indices": "order[:-0] is empty"},
    "val_loss_with_grad": {"test_validation_loss": "torch.no_grad()"},
    # points only for answers: the no_grad check of predict needs the eval-mode values first
    "predict_train_mode": {"test_predict_eval_mode": "call model.eval() first",
                           "test_predict_no_grad": "call model.eval() first"},
    "predict_records_grad": {"test_predict_no_grad": "part of the autograd graph"},
    "save_whole_model": {"test_save_and_load_state": "save model.state_dict(), not the model itself"},
    "load_state_dict_update": {"test_save_and_load_state": "still has its own weights"},
    "to_device_not_kept": {"test_to_device": "tensor.to(device) returns a new tensor"},
}


def test_reference_scores_full_marks():
    report = grade(HW6, HW6.solution)
    assert report.grader_errors == []
    assert report.max_score >= 30
    assert report.score == report.max_score, lost(report)


def test_stub_scores_zero():
    report = grade(HW6, HW6.stub)
    assert report.grader_errors == []
    assert report.score == 0
    assert all("not implemented yet" in t.output for t in report.tests if t.counted)


def test_every_mistake_file_is_covered():
    assert {p.stem for p in HW6.mistakes_dir.glob("*.py")} == set(MISTAKES)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_exactly_its_points(name):
    report = grade(HW6, HW6.mistakes_dir / f"{name}.py")
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(MISTAKES[name]), losses
    for test, keyword in MISTAKES[name].items():
        assert keyword in losses[test], f"{test}: feedback {losses[test]!r} does not name the mistake ({keyword!r})"
    assert 0 < report.score < report.max_score


def test_shape_broadcast_and_storage_mistakes_carry_their_pictures():
    """The feedback of these mistakes comes with the diagram of what went wrong (autograder/diagrams.py)."""
    kinds = {}
    for name, test in (("cosine_mm", "test_cosine_similarity"), ("normalize_last_dim", "test_normalize"),
                       ("as_float32_clone", "test_as_float32")):
        report = grade(HW6, HW6.mistakes_dir / f"{name}.py", select=test)
        (failed,) = [t for t in report.tests if t.nodeid.endswith(f"::{test}")]
        kinds[name] = [d["kind"] for d in failed.diagrams]
        assert failed.diagrams and failed.output.count("\n\n") >= 1
    assert kinds == {"cosine_mm": ["shape"], "normalize_last_dim": ["broadcast"], "as_float32_clone": ["storage"]}


def test_there_are_five_differently_written_correct_variants():
    assert len(VARIANTS) >= 5


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_correct_variant_scores_full_marks(path):
    report = grade(HW6, path)
    assert report.grader_errors == []
    assert report.score == report.max_score, lost(report)
