"""hw5_training graded three ways, plus where its data comes from and what reaches the worker."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from autograder import datasets, exitcodes
from autograder.assignment import load_assignment
from autograder.cli import main
from autograder.datasets import DATA_ROOT_ENV
from autograder.grading.runner import grade
from autograder.grading.session import Session
from tests.conftest import check_exploit, exploits_aimed_at, lost, variants_of
from tests.test_datasets import write_torchvision_files

pytestmark = pytest.mark.slow  # every test grades a whole submission (and trains a model) in a fresh worker
HW5 = load_assignment("hw5_training")

# mistake file -> {grader test that must lose points: a phrase its feedback must contain}
MISTAKES = {
    "missing_zero_grad": {"test_train_epoch_steps": "call optimizer.zero_grad()",
                          "test_train_epoch_device": "on CPU first: loss.backward() ran while .grad still held",
                          "test_fit_accuracy": "below the required"},
    "eval_mode_never_called": {"test_evaluate_modes": "call model.eval()"},
    "evaluate_records_gradients": {"test_evaluate_modes": "with torch.no_grad()"},
    "softmax_before_cross_entropy": {"test_mlp": "returns probabilities"},
    "state_dict_not_copied": {"test_fit_keeps_best_weights": "copy.deepcopy(model.state_dict())"},
    "batch_mean_average": {"test_train_epoch_loss": "the mean of the per-batch means"},
    "device_hardcoded_cpu": {"test_train_epoch_device": "never to a fixed device"},
    "labels_as_float": {"test_dataset": "should be a Python int"},
    "fit_keeps_worst_epoch": {"test_fit_keeps_best_weights": "which had the *lowest* validation accuracy",
                              "test_fit_accuracy": "below the required"},
    "fit_selects_by_train_loss": {"test_fit_keeps_best_weights": "which had the lowest training loss"},
    "train_epoch_under_no_grad": {test: "must not run under torch.no_grad()" for test in (
        "test_train_epoch_steps", "test_train_epoch_loss", "test_train_epoch_device", "test_fit_history",
        "test_fit_accuracy")},
    "evaluate_divides_by_dataset_len": {"test_evaluate_accuracy": "divided by len(loader.dataset)"},
    "train_epoch_divides_by_dataset_len": {"test_train_epoch_loss": "divided by len(loader.dataset)"},
}
if torch.cuda.is_available():  # the batches then also miss the model on the GPU
    MISTAKES["device_hardcoded_cpu"]["test_fit_accuracy"] = "device"


# The grader draws its disguise of the data from the OS once per process; this module pins one, so what a
# mistake's fit ends up scoring does not change from run to run (the draw itself is tested in test_datasets.py)
PINNED_SECRET = 20261201


@pytest.fixture(autouse=True, scope="module")
def pinned_disguise():
    saved = list(datasets._SECRET)
    datasets._SECRET[:] = [PINNED_SECRET]
    _forget_cached_split()
    yield
    datasets._SECRET[:] = saved
    _forget_cached_split()


def _forget_cached_split() -> None:
    helpers = sys.modules.get("autograder.graders.hw5_training.helpers")
    if helpers is not None:
        helpers._split.cache_clear()


@pytest.fixture(scope="module")
def reference_report():
    report = grade(HW5, HW5.solution)
    curve = report.extra.get("training_curve", {})
    # the figure the issue asks for: grading the reference must stay well inside CI's limits
    print(f"\nhw5 reference graded in {report.execution_time:.1f} s (fit: {curve.get('fit_seconds')} s, "
          f"test accuracy {curve.get('test_accuracy')})")
    return report


def test_reference_scores_full_marks(reference_report):
    assert reference_report.grader_errors == []
    assert reference_report.max_score >= 20
    assert reference_report.score == reference_report.max_score, lost(reference_report)


def test_reference_report_carries_its_training_curve(reference_report):
    curve = reference_report.extra["training_curve"]
    assert curve["dataset"] == "digits" and curve["device"] == "cpu"
    assert curve["epochs"] == len(curve["train_loss"]) == len(curve["val_accuracy"]) > 1
    assert curve["train_loss"][-1] < curve["train_loss"][0]
    assert all(0 <= a <= 1 for a in curve["val_accuracy"]) and curve["test_accuracy"] >= curve["threshold"]
    results = json.loads(json.dumps(reference_report.to_gradescope()))  # plain JSON, for report plots
    assert results["extra_data"]["training_curve"]["val_accuracy"] == curve["val_accuracy"]


def test_stub_scores_zero():
    report = grade(HW5, HW5.stub)
    assert report.grader_errors == []
    assert report.score == 0
    assert all("not implemented yet" in t.output for t in report.tests if t.counted)


def test_every_mistake_file_is_covered():
    assert {p.stem for p in HW5.mistakes_dir.glob("*.py")} == set(MISTAKES)


# correct solutions written the ways students write them (other library functions, loops, lecture style)
VARIANTS = variants_of(HW5)


def test_there_are_five_differently_written_correct_variants():
    assert len(VARIANTS) >= 5


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_correct_variant_scores_full_marks(path):
    report = grade(HW5, path)
    assert report.grader_errors == []
    assert report.score == report.max_score, lost(report)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_exactly_its_points(name):
    report = grade(HW5, HW5.mistakes_dir / f"{name}.py")
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(MISTAKES[name]), losses
    for test, phrase in MISTAKES[name].items():
        assert phrase in losses[test], f"{test}: feedback {losses[test]!r} does not name the mistake ({phrase!r})"
    assert 0 < report.score < report.max_score


def test_test_labels_never_reach_the_worker(monkeypatch):
    """Every value sent to the worker while grading fit is recorded: the held-out labels are not among them."""
    sent = []
    original = Session.encode

    def recording(self, value):
        sent.append(value)
        return original(self, value)

    monkeypatch.setattr(Session, "encode", recording)
    report = grade(HW5, HW5.solution, select="test_fit_accuracy")
    assert report.score == report.max_score > 0, lost(report)
    test_y = datasets.held_out_split(seed=PINNED_SECRET).test_y

    def tensors(value):
        if type(value) is torch.Tensor:
            yield value
        elif type(value) in (list, tuple):
            for item in value:
                yield from tensors(item)
        elif type(value) is dict:
            for item in value.values():
                yield from tensors(item)

    shipped = [t for value in sent for t in tensors(value)]
    assert any(t.shape == (360, 8, 8) for t in shipped)  # the test images do go to the worker
    assert not any(t.numel() == len(test_y) and torch.equal(t.reshape(-1).long(), test_y) for t in shipped)
    assert not any(t.dtype == torch.int64 and t.numel() == len(test_y) for t in shipped)
    # and no image that reaches the worker is one of the public digits: every one went through the disguise
    public = datasets.load_digits_split(seed=0)
    known = {tuple(r) for part in (public.train_x, public.val_x, public.test_x) for r in part.reshape(-1, 64).tolist()}
    images = [t for t in shipped if t.is_floating_point() and t.shape[-2:] == (8, 8)]
    assert images and not any(tuple(r) in known for t in images for r in t.reshape(-1, 64).tolist())


def test_grade_with_a_data_root_judges_on_its_mnist_files(tmp_path, monkeypatch):
    """`tensorgrade grade --data-root DIR`: torchvision reads the IDX files there and the report says so."""
    write_torchvision_files(tmp_path / "data", n_train=300, n_test=60)
    monkeypatch.setenv(DATA_ROOT_ENV, "unset-after-this-test")  # the CLI sets it for its process; undo that here
    out = tmp_path / "results.json"
    code = main(["grade", "hw5_training", str(HW5.solution), "--data-root", str(tmp_path / "data"), "--quiet",
                 "--json", str(out)])
    assert code == 0
    results = json.loads(out.read_text())
    curve = results["extra_data"]["training_curve"]
    assert curve["dataset"] == "mnist" and curve["test_accuracy"] >= 0.95
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0


def test_grade_refuses_a_data_root_that_is_not_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(DATA_ROOT_ENV, "unset-after-this-test")
    code = main(["grade", "hw5_training", str(HW5.solution), "--data-root", str(tmp_path / "missing")])
    assert code == exitcodes.USAGE
    assert "is not a folder" in " ".join(capsys.readouterr().out.split())  # rich wraps long lines


def test_public_checks_pass_on_the_reference_and_fail_on_the_stub():
    reference = grade(HW5, HW5.solution, public=True)
    assert reference.grader_errors == [] and reference.max_score > 0
    assert reference.score == reference.max_score, lost(reference)
    assert grade(HW5, HW5.stub, public=True).score == 0


def test_each_assignment_runs_its_own_public_checks_in_one_process():
    """Every assignment's public file is test_public.py: a module cached from one must not stand in for another."""
    hw4 = load_assignment("hw4_jacobians")
    first = grade(hw4, hw4.solution, public=True, select="book")
    second = grade(HW5, HW5.solution, public=True, select="fit_runs")
    assert [t.name for t in first.tests] == ["fit_linear reproduces the book's w ≈ 5.367, b ≈ −17.30"]
    assert [t.name for t in second.tests] == ["fit trains for the given epochs and records model.history"]


# hostile submissions aimed at this assignment: each earns what its honest part earns and loses exactly the tests
# its header names (`loses`), with feedback that says what was seen (`says`)
EXPLOITS = exploits_aimed_at("hw5_training")


def test_there_are_exploit_cases_for_this_assignment():
    assert EXPLOITS


@pytest.mark.parametrize("path", EXPLOITS, ids=[p.stem for p in EXPLOITS])
def test_exploit_earns_only_its_honest_part(path):
    check_exploit(HW5, path)
