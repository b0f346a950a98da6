"""Hidden graders for hw5: fit keeps the best weights, records its curve, and learns (held-out test accuracy)."""

from __future__ import annotations

import time

import pytest
import torch

from autograder.checks import Mistake, expect_tensor_meta
from autograder.graders.hw5_training.helpers import (
    SETTINGS,
    expect_object,
    fit_with_schedule,
    predict,
    split,
    subset_sets,
    tensor_datasets,
    trusted,
)
from autograder.proxy import RemoteObject, StudentError, StudentFault, StudentTimeout

# ---------------------------------------------------------------- fit


SCHEDULE = (0.30, 0.90, 0.50, 0.40)  # the best validation accuracy comes in epoch 2 of 4


@pytest.mark.points(3)
def test_fit_keeps_best_weights(student, credit):
    """fit returns a copy of the weights of its best validation epoch, not the last"""
    with credit.case(f"validation accuracies {', '.join(map(str, SCHEDULE))}"):
        sets = subset_sets(student, 300, 100)
        run = trusted(student, "fit", fit_with_schedule, student.session.submission.module, sets["train"],
                      sets["val"], "cpu", list(SCHEDULE))
        snapshots, returned = run["snapshots"], run["returned"]  # made by the grader's own helper
        if len(snapshots) != len(SCHEDULE):
            raise Mistake(f"fit called train_epoch {len(snapshots)} times for epochs={len(SCHEDULE)}: call your "
                          "train_epoch once per epoch and evaluate on the validation set after it")

        def same(a: dict, b: dict) -> bool:
            return (type(a) is dict and type(b) is dict and a.keys() == b.keys()
                    and all(type(a[k]) is torch.Tensor and type(b[k]) is torch.Tensor and a[k].shape == b[k].shape
                            and torch.equal(a[k], b[k]) for k in a))

        best = SCHEDULE.index(max(SCHEDULE))
        if same(returned, snapshots[best]):
            return
        if same(returned, snapshots[-1]):
            raise Mistake(f"fit returned the weights of the last epoch, not those of epoch {best + 1}, which had the "
                          "best validation accuracy. model.state_dict() holds references to the live parameters, "
                          "which keep changing: keep copy.deepcopy(model.state_dict()) and load it back at the end")
        raise Mistake(f"the weights fit returned are those of no epoch; expected those of epoch {best + 1}, which had "
                      "the best validation accuracy")


def clean_curve(history) -> dict | None:
    """The student's curve as plain floats, or None when it is not the documented shape."""
    if type(history) is not dict:
        return None
    curve = {}
    for key in ("train_loss", "val_accuracy"):
        values = history.get(key)
        if type(values) is not list or not all(type(v) in (float, int) for v in values):
            return None
        curve[key] = [float(v) for v in values]
    return curve


@pytest.mark.points(1)
def test_fit_history(student, credit):
    """fit records model.history: train_loss and val_accuracy per epoch"""
    with credit.case("fit(..., epochs=2) on 300 samples"):
        sets = subset_sets(student, 300, 100)
        model = expect_object(student.fit(sets["train"], sets["val"], "cpu", epochs=2, seed=0), "fit", "model")
        try:
            history = model.history
        except StudentError:
            raise Mistake("the model fit returns has no `history` attribute: set model.history = "
                          '{"train_loss": [...], "val_accuracy": [...]}') from None
        curve = clean_curve(history)
        if curve is None:
            raise Mistake('model.history should be {"train_loss": [floats], "val_accuracy": [floats]}')
        if len(curve["train_loss"]) != 2 or len(curve["val_accuracy"]) != 2:
            raise Mistake("model.history should hold one value per epoch (2 epochs were run)")
        if not all(0.0 <= a <= 1.0 for a in curve["val_accuracy"]):
            raise Mistake("model.history['val_accuracy'] should hold accuracies in [0, 1]")


@pytest.mark.points(4)
def test_fit_accuracy(student, device, extra_data):
    """the model fit returns reaches the required accuracy on held-out test data, within the time budget"""
    data = split()
    settings = SETTINGS.get(data.name, {})
    threshold, budget = float(settings.get("threshold", 0.95)), float(settings.get("seconds", 90))
    sets = student.trusted(tensor_datasets, {"train": (data.train_x, data.train_y), "val": (data.val_x, data.val_y)})
    started = time.perf_counter()
    try:
        model = student.call("fit", sets["train"], sets["val"], device, timeout=budget).result
    except StudentTimeout:
        raise Mistake(f"fit did not finish within the time budget of {budget:g} s on {data.name} ({data.sizes()}); "
                      "use fewer epochs or a smaller model") from None
    seconds = time.perf_counter() - started
    if not isinstance(model, RemoteObject):
        raise Mistake(f"fit should return the trained model (an nn.Module), not a {type(model).__name__}")
    logits = trusted(student, "your model (in eval mode, on the test images)", predict, model, data.test_x, device)
    classes = data.num_classes
    expect_tensor_meta(logits, torch.empty(len(data.test_y), classes), "the model's output on the test images")
    accuracy = (logits.argmax(dim=1) == data.test_y).double().mean().item()  # test labels never left this process
    try:
        curve = clean_curve(model.history)
    except StudentFault:
        curve = None
    record = {"dataset": data.name, "device": device, "test_accuracy": accuracy, "threshold": threshold,
              "fit_seconds": round(seconds, 2), "epochs": len(curve["train_loss"]) if curve else None,
              **(curve or {"train_loss": [], "val_accuracy": []})}
    extra_data["training_curve" if device == "cpu" else f"training_curve_{device}"] = record
    if not accuracy >= threshold:
        raise Mistake(f"test accuracy {accuracy:.3f} on {data.name} is below the required {threshold:.2f} "
                      f"(fit took {seconds:.1f} s)")
