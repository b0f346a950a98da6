"""Hidden graders for hw5: one training epoch and one evaluation, watched by spies and hooks."""

from __future__ import annotations

import math

import pytest
import torch

from autograder.checks import Mistake, expect_close
from autograder.graders.hw5_training.helpers import meta_setup, spy_setup
from autograder.proxy import StudentError

# ---------------------------------------------------------------- train_epoch


RAGGED = dict(n=10, features=6, classes=3, batch_size=4)  # batches of 4, 4 and 2


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


def analyse_training(events: list, n_batches: int) -> None:
    """Name the first thing wrong in a recorded training epoch."""
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


@pytest.mark.points(2)
def test_train_epoch_steps(student, credit):
    """train_epoch: model.train(), then zero_grad → backward → step for every batch"""
    weight, bias, images, labels = ragged_data(1)
    with credit.case("3 batches (4, 4, 2), model handed over in eval mode"):
        setup = student.trusted(spy_setup, weight, bias, images, labels, RAGGED["batch_size"], False, "cpu")
        student.train_epoch(setup["model"], setup["loader"], setup["loss_fn"], setup["optimizer"], "cpu")
        analyse_training(setup["optimizer"].events, len(batches(labels)))


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


@pytest.mark.points(2)
def test_train_epoch_loss(student, credit):
    """train_epoch returns the mean loss per sample, a short last batch weighted by its size"""
    for seed in (2, 3):
        weight, bias, images, labels = ragged_data(seed)
        with credit.case(f"10 samples in batches of 4, 4, 2 (data {seed})"):
            setup = student.trusted(spy_setup, weight, bias, images, labels, RAGGED["batch_size"], True, "cpu")
            result = student.train_epoch(setup["model"], setup["loader"], setup["loss_fn"], setup["optimizer"], "cpu")
            variants = loss_variants(weight, bias, images, labels)
            if type(result) is torch.Tensor:
                raise Mistake("train_epoch returned a tensor; return a Python float (loss.item())")
            if type(result) is float and not math.isclose(result, variants["right"], rel_tol=1e-5, abs_tol=1e-6):
                for mistake, value in list(variants.items())[1:]:
                    if math.isclose(result, value, rel_tol=1e-5, abs_tol=1e-6):
                        raise Mistake(f"train_epoch returned {result:.5g}, {mistake}")
            expect_close(result, variants["right"], "train_epoch's mean loss")


@pytest.mark.points(1)
def test_train_epoch_device(student, credit):
    """train_epoch moves each batch to `device` (checked with the model on the meta device)"""
    with credit.case("model on 'meta', batches arriving on CPU"):
        setup = student.trusted(meta_setup, 6, 3, 10, 4)
        try:
            student.train_epoch(setup["model"], setup["loader"], setup["loss_fn"], setup["optimizer"], "meta")
        except StudentError as exc:
            if exc.type_name == "NotImplementedError":
                raise
            raise Mistake(f"train_epoch failed with the model on device 'meta': {exc}. Move every batch with "
                          ".to(device), never to a fixed device such as 'cpu' or 'cuda'") from None
        seen = setup["optimizer"].seen
        if not seen:
            raise Mistake("train_epoch never called loss_fn")
        if any(s != ["meta", "meta"] for s in seen):
            raise Mistake(f"the loss received outputs and labels on {seen[0]} with the model on 'meta'; move both "
                          "inputs and labels to `device`")


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
        setup = student.trusted(spy_setup, weight, bias, images, labels, RAGGED["batch_size"], False, device)
        result = student.evaluate(setup["model"], setup["loader"], device)
        if type(result) is torch.Tensor:
            raise Mistake("evaluate returned a tensor; return a Python float")
        if type(result) is float and math.isclose(result, (3 / 4 + 2 / 4 + 0 / 2) / 3, rel_tol=1e-6):
            raise Mistake("evaluate returned the mean of the per-batch accuracies: the short last batch counts as "
                          "much as a full one; count correct predictions and divide by the number of samples")
        if type(result) is float and math.isclose(result, 5.0, rel_tol=1e-6):
            raise Mistake("evaluate returned the number of correct predictions; divide by the number of samples")
        expect_close(result, accuracy, "evaluate's accuracy")


@pytest.mark.points(2)
def test_evaluate_modes(student, credit):
    """evaluate runs the model in eval mode with gradient recording off"""
    weight, bias, images, labels, _ = evaluation_data()
    with credit.case("model handed over in training mode"):
        setup = student.trusted(spy_setup, weight, bias, images, labels, RAGGED["batch_size"], True, "cpu")
        student.evaluate(setup["model"], setup["loader"], "cpu")
        forwards = [e for e in setup["optimizer"].events if e[0] == "forward"]
        if not forwards:
            raise Mistake("evaluate never ran the model")
        if any(e[1] for e in forwards):
            raise Mistake("evaluate ran the model in training mode: call model.eval() first (dropout and batch "
                          "norm behave differently in training mode, and the model arrived in training mode)")
        if any(e[2] for e in forwards):
            raise Mistake("evaluate recorded gradients (torch.is_grad_enabled() was True): wrap the loop in "
                          "`with torch.no_grad():`")
        if any(e[0] in ("backward", "step") for e in setup["optimizer"].events):
            raise Mistake("evaluate changed the model (backward or step ran): evaluation must not train")
