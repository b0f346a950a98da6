"""Hidden graders for hw5: one training epoch and one evaluation, judged by outcomes the grader recomputes.

The spies' records (optimizer calls, hooks) live in the student's process: they name what went
wrong, but points need outcomes computed here: the weights after one epoch of SGD with lr > 0,
the mean loss, the accuracy of a model whose output is wrong in training mode or with gradients on.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograder.checks import Mistake, expect_close
from autograder.graders.hw5_training.helpers import (
    linear_state,
    meta_setup,
    no_graph,
    setup_of,
    spy_setup,
    trusted,
)
from autograder.proxy import StudentError

# ---------------------------------------------------------------- train_epoch


RAGGED = dict(n=10, features=6, classes=3, batch_size=4)  # batches of 4, 4 and 2
LR = 0.5  # large enough that every step shows in the weights
MAX_EVENTS = 1000  # a record longer than this was not written by an epoch of three batches


def ragged_data(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(RAGGED["classes"], RAGGED["features"], generator=generator)
    bias = torch.randn(RAGGED["classes"], generator=generator)
    images = torch.randn(RAGGED["n"], RAGGED["features"], generator=generator)
    labels = torch.randint(0, RAGGED["classes"], (RAGGED["n"],), generator=generator)
    # a last batch far from the average, so weighting it wrongly shows
    images[-2:] *= 4
    return weight, bias, images, labels


def batches(labels: torch.Tensor) -> list[slice]:
    size = RAGGED["batch_size"]
    return [slice(i, i + size) for i in range(0, len(labels), size)]


def clean_events(value: object) -> list[tuple]:
    """The spy's record as tuples of exact types; anything else is a record the student's code rewrote."""
    shapes = {"forward": (bool, bool), "backward": (bool,), "step": (bool,), "zero_grad": ()}
    if type(value) is not list or len(value) > MAX_EVENTS:
        raise Mistake("the grader's record of the training loop was replaced or flooded: leave the optimizer's "
                      "attributes alone")
    events = []
    for item in value:
        if (type(item) is not list or not item or type(item[0]) is not str or item[0] not in shapes
                or len(item) != 1 + len(shapes[item[0]])
                or any(type(v) is not t for v, t in zip(item[1:], shapes[item[0]]))):
            raise Mistake("the grader's record of the training loop holds entries it never writes: leave the "
                          "optimizer's attributes alone")
        events.append(tuple(item))
    return events


def analyse_training(events: list[tuple], n_batches: int) -> None:
    """Name the first thing wrong in a recorded training epoch (the record is a claim: it only names)."""
    forwards = [e for e in events if e[0] == "forward"]
    if not forwards:
        raise Mistake("train_epoch never ran the model")
    if not all(e[1] for e in forwards):
        raise Mistake("the model ran in evaluation mode during training (it arrived in eval mode, as evaluate "
                      "leaves it): call model.train() at the start of train_epoch")
    if not all(e[2] for e in forwards):
        raise Mistake("gradients were disabled during training: do not wrap the training loop in torch.no_grad()")
    backward = [e for e in events if e[0] == "backward"]
    steps = [e for e in events if e[0] == "step"]
    if any(e[1] for e in backward):
        raise Mistake("loss.backward() ran while .grad still held the previous batch's gradients: call "
                      "optimizer.zero_grad() before backward() in every batch, or gradients accumulate")
    if len(backward) != n_batches:
        raise Mistake(f"loss.backward() ran {len(backward)} times for {n_batches} batches: once per batch")
    if len(steps) != n_batches:
        raise Mistake(f"optimizer.step() ran {len(steps)} times for {n_batches} batches: once per batch")
    order = [e[0] for e in events if e[0] in ("backward", "step")]
    if order != ["backward", "step"] * n_batches or not all(e[1] for e in steps):
        raise Mistake("optimizer.step() ran without fresh gradients: the order in each batch must be "
                      "zero_grad → backward → step")


def run_train_epoch(student, setup: dict, device: str):
    """The student's train_epoch on a grader setup; a loop run under no_grad is told so in words."""
    try:
        return student.train_epoch(setup["model"], setup["loader"], setup["loss_fn"], setup["optimizer"], device)
    except StudentError as exc:
        mistake = no_graph(exc, "train_epoch")
        if mistake is None:
            raise
        raise mistake from None


def sgd_epoch(weight, bias, images, labels, lr: float) -> dict[str, torch.Tensor]:
    """The weights after one right epoch (zero_grad → forward → loss → backward → step per batch), computed here."""
    w, b = weight.clone().requires_grad_(True), bias.clone().requires_grad_(True)
    for part in batches(labels):
        loss = torch.nn.functional.cross_entropy(images[part] @ w.T + b, labels[part])
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= lr * gw
            b -= lr * gb
    return {"weight": w.detach(), "bias": b.detach()}


def expect_trained(student, setup: dict, weight, bias, images, labels) -> None:
    """The weights after the student's epoch are those of a right epoch of SGD (outcome, not record)."""
    after = trusted(student, "train_epoch", linear_state, setup["linear"])
    expected = sgd_epoch(weight, bias, images, labels, LR)
    if type(after) is not dict or set(after) != {"weight", "bias"} or any(
            type(after[k]) is not torch.Tensor or after[k].shape != expected[k].shape
            or after[k].dtype != expected[k].dtype or after[k].device.type != "cpu" for k in after):
        raise Mistake("the model's weights after train_epoch could not be read back: do not replace the model's "
                      "layers or parameters")
    if all(torch.equal(after[k], v) for k, v in (("weight", weight), ("bias", bias))):
        raise Mistake("train_epoch did not change the model's weights: every batch needs zero_grad → forward → "
                      "loss → backward → step with the optimizer it was given")
    if not all(torch.allclose(after[k], expected[k], rtol=1e-4, atol=1e-5) for k in expected):
        raise Mistake("the weights after train_epoch are not those of one epoch of zero_grad → forward → loss → "
                      "backward → optimizer.step() per batch, in the loader's order, with the optimizer given")


def steps_case(student, seed: int, device: str = "cpu") -> None:
    weight, bias, images, labels = ragged_data(seed)
    setup = setup_of(student, spy_setup, weight, bias, images, labels, RAGGED["batch_size"], False, device, LR)
    run_train_epoch(student, setup, device)
    analyse_training(clean_events(setup["optimizer"].events), len(batches(labels)))
    expect_trained(student, setup, weight, bias, images, labels)


@pytest.mark.points(2)
def test_train_epoch_steps(student, credit):
    """train_epoch: model.train(), then zero_grad → backward → step for every batch (checked on the weights)"""
    with credit.case("3 batches (4, 4, 2), model handed over in eval mode"):
        steps_case(student, 1)


def loss_variants(weight, bias, images, labels) -> dict[str, float]:
    """The right mean loss per sample, and what known mistakes return instead."""
    ce = torch.nn.functional.cross_entropy
    logits = images @ weight.T + bias
    per_batch = [ce(logits[s], labels[s]).item() for s in batches(labels)]
    return {
        "right": ce(logits, labels).item(),
        "the mean of the per-batch means: the short last batch counts as much as a full one; add loss.item() × "
        "batch size and divide by the number of samples": sum(per_batch) / len(per_batch),
        "the sum of the per-batch means: divide by the number of samples": sum(per_batch),
        "the last batch's loss only: accumulate over the whole epoch": per_batch[-1],
        "a loss of softmax outputs: nn.CrossEntropyLoss applies log-softmax itself, so give it raw logits":
            ce(torch.softmax(logits, dim=1), labels).item(),
    }


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)


# a loader like split_loaders' validation loader: a SubsetRandomSampler over 7 of 10 samples, so the
# loader's dataset is larger than what it yields (batches of 4 and 3, in an order the grader does not know)
SAMPLED = [0, 2, 3, 5, 6, 8, 9]


@pytest.mark.points(2)
def test_train_epoch_loss(student, credit):
    """train_epoch returns the mean loss per sample, a short last batch weighted by its size"""
    for seed in (2, 3):
        weight, bias, images, labels = ragged_data(seed)
        with credit.case(f"10 samples in batches of 4, 4, 2 (data {seed})"):
            # lr 0: the loss of every batch is known here, whatever order the steps ran in
            setup = setup_of(student, spy_setup, weight, bias, images, labels, RAGGED["batch_size"], True, "cpu")
            result = run_train_epoch(student, setup, "cpu")
            variants = loss_variants(weight, bias, images, labels)
            if type(result) is torch.Tensor:
                raise Mistake("train_epoch returned a tensor; return a Python float (loss.item())")
            if type(result) is float and math.isfinite(result) and not close(result, variants["right"]):
                for mistake, value in list(variants.items())[1:]:
                    if close(result, value) and not close(value, variants["right"]):
                        raise Mistake(f"train_epoch returned {result:.5g}, {mistake}")
            expect_close(result, variants["right"], "train_epoch's mean loss")
    weight, bias, images, labels = ragged_data(5)
    with credit.case("a SubsetRandomSampler loader over 7 of 10 samples (as split_loaders makes)"):
        setup = setup_of(student, spy_setup, weight, bias, images, labels, RAGGED["batch_size"], True, "cpu", 0.0,
                                False, SAMPLED)
        result = run_train_epoch(student, setup, "cpu")
        logits = images[SAMPLED] @ weight.T + bias
        right = torch.nn.functional.cross_entropy(logits, labels[SAMPLED]).item()
        whole = torch.nn.functional.cross_entropy(logits, labels[SAMPLED], reduction="sum").item() / len(labels)
        if type(result) is float and close(result, whole) and not close(whole, right):
            raise Mistake(f"train_epoch returned {result:.5g}: it divided by len(loader.dataset) (10), but a "
                          "loader with a sampler yields only its sampler's 7 samples; count the samples you see")
        expect_close(result, right, "train_epoch's mean loss")


@pytest.mark.points(1)
def test_train_epoch_device(student, credit):
    """train_epoch moves each batch to `device` (checked with the model on the meta device)"""
    with credit.case("model on 'meta', batches arriving on CPU"):
        try:
            # points only for a train_epoch that trains: the same kind of epoch on CPU must be right first
            steps_case(student, 6)
        except Mistake as exc:
            raise Mistake(f"on CPU first: {exc}") from None
        setup = setup_of(student, meta_setup, 6, 3, 10, 4)
        try:
            run_train_epoch(student, setup, "meta")
        except StudentError as exc:
            if exc.type_name == "NotImplementedError":
                raise
            raise Mistake(f"train_epoch failed with the model on device 'meta': {exc}. Move every batch with "
                          ".to(device), never to a fixed device such as 'cpu' or 'cuda'") from None
        seen = setup["optimizer"].seen
        if type(seen) is not list or len(seen) > MAX_EVENTS or not all(
                type(s) is list and len(s) == 2 and all(type(d) is str for d in s) for s in seen):
            raise Mistake("the grader's record of the loss calls was replaced: leave the optimizer's attributes alone")
        if not seen:
            raise Mistake("train_epoch never called loss_fn")
        if any(s != ["meta", "meta"] for s in seen):
            raise Mistake(f"the loss received outputs and labels on {[d[:20] for d in seen[0]]} with the model on "
                          "'meta'; move both inputs and labels to `device`")


# ---------------------------------------------------------------- evaluate


def evaluation_data(device: str = "cpu"):
    """A fixed linear model and labels that make exactly 3/4, 2/4 and 0/2 of the batches right."""
    weight, bias, images, _ = ragged_data(4)
    predicted = (images @ weight.T + bias).argmax(dim=1)
    right = torch.tensor([1, 1, 1, 0, 1, 0, 1, 0, 0, 0], dtype=torch.bool)
    labels = torch.where(right, predicted, (predicted + 1) % RAGGED["classes"])
    return weight, bias, images, labels, right.float().mean().item()


@pytest.mark.points(2)
def test_evaluate_accuracy(student, credit, device):
    """evaluate returns the accuracy per sample over all batches"""
    weight, bias, images, labels, accuracy = evaluation_data()
    with credit.case("10 samples in batches of 4, 4, 2"):
        setup = setup_of(student, spy_setup, weight, bias, images, labels, RAGGED["batch_size"], False, device)
        result = student.evaluate(setup["model"], setup["loader"], device)
        if type(result) is torch.Tensor:
            raise Mistake("evaluate returned a tensor; return a Python float")
        if type(result) is float and math.isclose(result, (3 / 4 + 2 / 4 + 0 / 2) / 3, rel_tol=1e-6):
            raise Mistake("evaluate returned the mean of the per-batch accuracies: the short last batch counts as "
                          "much as a full one; count correct predictions and divide by the number of samples")
        if type(result) is float and math.isclose(result, 5.0, rel_tol=1e-6):
            raise Mistake("evaluate returned the number of correct predictions; divide by the number of samples")
        expect_close(result, accuracy, "evaluate's accuracy")
    with credit.case("a SubsetRandomSampler loader over 7 of 10 samples (as split_loaders makes)"):
        setup = setup_of(student, spy_setup, weight, bias, images, labels, RAGGED["batch_size"], False, device, 0.0,
                                False, SAMPLED)
        result = student.evaluate(setup["model"], setup["loader"], device)
        correct = int((images[SAMPLED] @ weight.T + bias).argmax(dim=1).eq(labels[SAMPLED]).sum())
        if type(result) is float and math.isclose(result, correct / len(labels), rel_tol=1e-6):
            raise Mistake(f"evaluate returned {result:.4g}: it divided by len(loader.dataset) (10), but a loader "
                          "with a sampler yields only its sampler's 7 samples; count the samples you see")
        expect_close(result, correct / len(SAMPLED), "evaluate's accuracy")


@pytest.mark.points(2)
def test_evaluate_modes(student, credit):
    """evaluate runs the model in eval mode with gradient recording off (its accuracy shows it)"""
    weight, bias, images, labels, accuracy = evaluation_data()
    with credit.case("model handed over in training mode"):
        # the last layer moves every prediction in training mode or with gradients on: the accuracy is
        # only right when both are off, whatever the spies' records say
        setup = setup_of(student, spy_setup, weight, bias, images, labels, RAGGED["batch_size"], True, "cpu", 0.0,
                                True)
        result = student.evaluate(setup["model"], setup["loader"], "cpu")
        events = clean_events(setup["optimizer"].events)
        forwards = [e for e in events if e[0] == "forward"]
        if not forwards:
            raise Mistake("evaluate never ran the model")
        if any(e[1] for e in forwards):
            raise Mistake("evaluate ran the model in training mode: call model.eval() first (dropout and batch "
                          "norm behave differently in training mode, and the model arrived in training mode)")
        if any(e[2] for e in forwards):
            raise Mistake("evaluate recorded gradients (torch.is_grad_enabled() was True): wrap the loop in "
                          "`with torch.no_grad():`")
        if any(e[0] in ("backward", "step") for e in events):
            raise Mistake("evaluate changed the model (backward or step ran): evaluation must not train")
        if type(result) is float and not math.isclose(result, accuracy, rel_tol=1e-6):
            raise Mistake(f"evaluate gave {result:.4g} with a model whose answers are right only in eval mode "
                          f"under torch.no_grad() (expected {accuracy:.4g}): call model.eval() and wrap the loop "
                          "in `with torch.no_grad():`")
        expect_close(result, accuracy, "evaluate's accuracy")
