"""Hidden graders for hw5: fit keeps the best weights, records its curve, and learns (held-out test accuracy)."""

from __future__ import annotations

import time

import pytest
import torch

from autograder.checks import Mistake, expect_tensor_meta
from autograder.graders.hw5_training.helpers import (
    SETTINGS,
    call_fit,
    epoch_value,
    expect_object,
    finite_floats,
    fit_with_schedule,
    predict,
    setup_of,
    split,
    subset_sets,
    tensor_datasets,
    trusted,
)
from autograder.proxy import RemoteObject, StudentError, StudentFault, StudentTimeout

# ---------------------------------------------------------------- fit


# six epochs whose scripted results make every way of choosing an epoch choose a different one
SCHEDULES = {
    "val_accuracy": [0.30, 0.90, 0.50, 0.20, 0.60, 0.40],  # best in epoch 2, worst in epoch 4
    "train_loss": [0.90, 0.80, 0.30, 0.70, 0.60, 0.65],  # lowest in epoch 3
    "train_accuracy": [0.50, 0.60, 0.70, 0.80, 0.95, 0.90],  # best on the training set in epoch 5
}
BEST = 2
WRONG_EPOCHS = {
    6: "the weights of the last epoch, not those of epoch 2, which had the best validation accuracy. "
       "model.state_dict() holds references to the live parameters, which keep changing: keep "
       "copy.deepcopy(model.state_dict()) and load it back at the end",
    4: "the weights of epoch 4, which had the *lowest* validation accuracy: keep the epoch whose accuracy is "
       "higher than the best so far (accuracy > best), not lower",
    3: "the weights of epoch 3, which had the lowest training loss: choose the epoch by its validation accuracy "
       "(evaluate on the validation set), not by the training loss",
    5: "the weights of epoch 5, which had the best accuracy on the training set: evaluate on the validation "
       "set (val_set), not on the training data",
    1: "the weights of epoch 1: the best weights were never updated after the first epoch (compare each "
       "epoch's validation accuracy with the best so far and keep a copy when it is higher)",
}


def returned_epoch(values: object) -> int | None:
    """The epoch whose scripted weights fit ended with: every parameter equal to that epoch's value."""
    if type(values) is not list or not values or len(values) > 10_000:
        return None
    found = set()
    for pair in values:
        if type(pair) is not list or len(pair) != 2 or any(type(v) is not float for v in pair) or pair[0] != pair[1]:
            return None
        found.add(pair[0])
    if len(found) != 1:
        return None
    (value,) = found
    epochs = [e for e in range(1, len(SCHEDULES["val_accuracy"]) + 1) if epoch_value(e) == value]
    return epochs[0] if epochs else None


@pytest.mark.points(3)
def test_fit_keeps_best_weights(student, credit):
    """fit returns a copy of the weights of its best validation epoch, chosen on the validation set"""
    with credit.case(f"validation accuracies {', '.join(map(str, SCHEDULES['val_accuracy']))}"):
        sets = subset_sets(student, 300, 100)
        run = trusted(student, "fit", fit_with_schedule, student.session.submission.module, sets["train"],
                      sets["val"], "cpu", SCHEDULES)
        if type(run) is not dict or type(run.get("trained")) is not int or type(run.get("values")) is not list:
            raise Mistake("fit's run could not be read back: fit must return the model it trained")
        epochs = len(SCHEDULES["val_accuracy"])
        if run["trained"] != epochs:
            raise Mistake(f"fit called train_epoch {run['trained']} times for epochs={epochs}: call your "
                          "train_epoch once per epoch and evaluate on the validation set after it")
        if not run["values"]:
            raise Mistake("the model fit returns has no parameters to train")
        # the grader set every parameter to a value of its own in each epoch: the values fit ends with say which
        epoch = returned_epoch(run["values"])
        if epoch == BEST:
            return
        evaluated = run.get("evaluated") if type(run.get("evaluated")) is list else []
        if "val" not in evaluated and "train" not in evaluated:
            raise Mistake("fit never called your evaluate on the validation set: call evaluate(model, val_loader, "
                          "device) after each train_epoch and keep the weights of the best epoch")
        if epoch in WRONG_EPOCHS:
            raise Mistake(f"fit returned {WRONG_EPOCHS[epoch]}")
        raise Mistake(f"the weights fit returned are those of no epoch; expected those of epoch {BEST}, which had "
                      "the best validation accuracy (load the saved state_dict back before returning)")


def clean_curve(history) -> dict | None:
    """The student's curve as finite floats, or None when it is not the documented shape."""
    if type(history) is not dict:
        return None
    curve = {}
    for key in ("train_loss", "val_accuracy"):
        values = finite_floats(history.get(key))
        if values is None:
            return None
        curve[key] = values
    return curve


@pytest.mark.points(1)
def test_fit_history(student, credit):
    """fit records model.history: train_loss and val_accuracy per epoch"""
    with credit.case("fit(..., epochs=2) on 300 samples"):
        sets = subset_sets(student, 300, 100)
        model = expect_object(call_fit(student, sets["train"], sets["val"], "cpu", epochs=2, seed=0), "fit", "model")
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
    sets = setup_of(student, tensor_datasets, {"train": (data.train_x, data.train_y), "val": (data.val_x, data.val_y)})
    started = time.perf_counter()
    try:
        model = call_fit(student, sets["train"], sets["val"], device, timeout=budget)
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
