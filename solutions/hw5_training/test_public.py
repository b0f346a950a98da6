"""Public checks for hw5_training: run them with `tensorgrade check hw5_training training.py`.

Quick sanity checks on tiny data. The hidden grader records much more (the order of
zero_grad/backward/step, train and eval modes, the best weights) and trains on real digits.
"""

import numpy as np
import pytest
import torch

from autograder.checks import Mistake, expect_tensor, expect_tensor_meta, expect_type


def tiny_problem():
    """Two well separated classes of 4×4 images, a linear model and a loader, built where your code runs."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(40) % 2
    images = torch.rand(40, 4, 4, generator=generator) * 0.1 + labels.view(-1, 1, 1).float()
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    return {"model": model, "loader": DataLoader(TensorDataset(images, labels), batch_size=16),
            "set": TensorDataset(images, labels), "loss_fn": nn.CrossEntropyLoss(),
            "optimizer": torch.optim.SGD(model.parameters(), lr=0.5)}


@pytest.mark.points(1)
def test_dataset_item(student):
    """DigitsDataset items are (float32 tensor, int)"""
    images, labels = np.arange(48, dtype=np.float64).reshape(3, 4, 4), np.array([2, 0, 1])
    dataset = student.DigitsDataset(images, labels)
    if len(dataset) != 3:
        raise Mistake(f"len(dataset) is {len(dataset)}, expected 3")
    image, label = dataset.call_method("__getitem__", 1)
    expect_tensor(image, torch.from_numpy(images[1]).float(), "the image of dataset[1]")
    expect_type(label, int, "the label of dataset[1]")


@pytest.mark.points(1)
def test_split_sizes(student):
    """split_loaders puts int(n × val_fraction) samples in validation"""
    problem = student.trusted(tiny_problem)
    train, val = student.split_loaders(problem["set"], 8, 0.25, 0)
    n_train = sum(len(batch[1]) for batch in train)
    n_val = sum(len(batch[1]) for batch in val)
    if (n_train, n_val) != (30, 10):
        raise Mistake(f"the loaders hold {n_train} training and {n_val} validation samples, expected 30 and 10")


@pytest.mark.points(1)
def test_mlp_shapes(student):
    """MLP(64, 32, 10) gives (B, 10) logits for batches of 1 and 5"""
    model = student.MLP(64, 32, 10)
    for batch in (1, 5):
        expect_tensor_meta(model(torch.rand(batch, 8, 8)), torch.empty(batch, 10), f"the output for a batch of {batch}")


@pytest.mark.points(1)
def test_train_then_evaluate(student):
    """train_epoch returns a float and learns; evaluate returns an accuracy in [0, 1]"""
    problem = student.trusted(tiny_problem)
    args = (problem["model"], problem["loader"], problem["loss_fn"], problem["optimizer"], "cpu")
    losses = [student.train_epoch(*args) for _ in range(5)]
    for loss in losses:
        expect_type(loss, float, "train_epoch(...)")
    if not losses[-1] < losses[0]:
        raise Mistake(f"the loss did not go down over 5 epochs on an easy problem: {losses}")
    accuracy = student.evaluate(problem["model"], problem["loader"], "cpu")
    expect_type(accuracy, float, "evaluate(...)")
    if not 0.9 <= accuracy <= 1.0:
        raise Mistake(f"evaluate gave {accuracy} on an easy problem after training; expected close to 1.0")


@pytest.mark.points(1)
def test_fit_runs(student):
    """fit trains for the given epochs and records model.history"""
    problem = student.trusted(tiny_problem)
    model = student.fit(problem["set"], problem["set"], "cpu", epochs=2, seed=0)
    history = model.history
    expect_type(history, dict, "model.history")
    for key in ("train_loss", "val_accuracy"):
        if type(history.get(key)) is not list or len(history[key]) != 2:
            raise Mistake(f"model.history[{key!r}] should be a list with one value per epoch (2 epochs)")
