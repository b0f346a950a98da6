"""What the hw5 graders share: the grading data, and the spies and helpers shipped to the worker.

Models, loaders, loss functions and optimizers handed to the student's functions are grader
code shipped to the worker (``student.trusted``) and recorded there: a spy optimizer logs
zero_grad/step, hooks log backward passes (and whether stale gradients were still in .grad),
forward hooks log ``model.training`` and ``torch.is_grad_enabled()``. Every decision on what
was recorded is made in the grader. The held-out test labels never leave the grader.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import torch

from autograder.assignment import load_assignment
from autograder.checks import Mistake
from autograder.datasets import Split, data_root, grading_split
from autograder.proxy import RemoteObject, StudentError, describe_error

SETTINGS = load_assignment(Path(__file__).resolve().parent.name).extra.get("fit", {})


def split() -> Split:
    """The grading data: digits, unless the data root given to the grader holds MNIST/FashionMNIST files."""
    root = data_root()
    return _split(str(root) if root is not None else None)


@functools.lru_cache(maxsize=2)
def _split(root: str | None) -> Split:
    prefer = tuple(SETTINGS.get("prefer", ()))
    data = grading_split(prefer, Path(root) if root else None)
    limit = SETTINGS.get(data.name, {}).get("max_train")
    if limit and len(data.train_y) > limit:
        data = replace(data, train_x=data.train_x[:limit], train_y=data.train_y[:limit])
    return data


def student_said(exc: StudentError, what: str) -> Mistake:
    """Reword an error raised under a grader helper as what the student's own function did."""
    return Mistake(describe_error(exc.error, what))


def expect_object(value: object, what: str, kind: str) -> RemoteObject:
    """A student object that lives in the worker (a dataset, a model), not plain data."""
    if not isinstance(value, RemoteObject):
        raise Mistake(f"{what} should give a {kind}, but it gave {type(value).__name__} {str(value)[:60]}")
    return value


def trusted(student, what: str, fn, *args, **kwargs):
    try:
        return student.trusted(fn, *args, **kwargs)
    except StudentError as exc:
        raise student_said(exc, what) from None


# ---------------------------------------------------------------- helpers shipped to the worker


def tensor_datasets(parts):
    """TensorDatasets from {name: (images, labels)}; they stay in the worker."""
    from torch.utils.data import TensorDataset

    return {name: TensorDataset(x, y) for name, (x, y) in parts.items()}


def index_dataset(n):
    """Item i is (tensor([i.]), i): which samples a loader yields can be read off the labels."""
    import torch
    from torch.utils.data import TensorDataset

    return TensorDataset(torch.arange(n, dtype=torch.float32).unsqueeze(1), torch.arange(n))


def scale_transform(factor):
    """A transform that records the type and dtype it receives."""
    import torch

    def transform(image):
        transform.seen.append([type(image).__name__, str(getattr(image, "dtype", ""))])
        return image * factor if isinstance(image, torch.Tensor) else image

    transform.seen = []
    return transform


def spy_setup(weight, bias, images, labels, batch_size, training, device):
    """A linear model, loader, loss and spy optimizer that log every step of a training loop."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    events = []
    model = nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    model.to(device).train(training)
    model.register_forward_hook(lambda m, args, out: events.append(["forward", m.training, torch.is_grad_enabled()]))

    def stale(param):
        return param.grad is not None and bool(param.grad.abs().sum() > 0)

    # a tensor hook runs before the new gradient is added to .grad: what .grad holds then is left over
    model.weight.register_hook(lambda grad: events.append(["backward", stale(model.weight)]))

    class SpyOptimizer(torch.optim.SGD):
        def zero_grad(self, set_to_none=True):
            events.append(["zero_grad"])
            return super().zero_grad(set_to_none)

        def step(self, closure=None):
            events.append(["step", stale(model.weight)])
            return super().step(closure)

    optimizer = SpyOptimizer(model.parameters(), lr=0.0)  # lr 0: the loss of every batch is known here
    optimizer.events = events
    loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=False)
    return {"model": model, "loader": loader, "loss_fn": nn.CrossEntropyLoss(), "optimizer": optimizer}


def meta_setup(in_features, classes, n, batch_size):
    """A model on the meta device; the loader yields CPU batches; the loss records where they went."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    seen = []
    model = nn.Linear(in_features, classes).to("meta")

    def loss_fn(logits, labels):
        seen.append([str(logits.device), str(labels.device)])
        # meta tensors hold no values: a real scalar stands in so .item() and backward() still work
        return torch.zeros((), requires_grad=True) * 1.0

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.seen = seen
    data = TensorDataset(torch.rand(n, in_features), torch.randint(0, classes, (n,)))
    return {"model": model, "loader": DataLoader(data, batch_size=batch_size), "loss_fn": loss_fn,
            "optimizer": optimizer}


def module_facts(obj):
    import torch

    is_module = isinstance(obj, torch.nn.Module)
    params = list(obj.parameters()) if is_module else []
    return {"is_module": is_module, "trainable": sum(p.numel() for p in params if p.requires_grad)}


def predict(model, images, device):
    """Logits of the student's model in evaluation mode, computed where it lives, returned on CPU."""
    import torch

    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(images), 1024):
            outputs.append(model(images[start:start + 1024].to(device)).detach().to("cpu", torch.float32))
    return torch.cat(outputs)


def fit_with_schedule(module_name, train_set, val_set, device, schedule):
    """Run the student's fit with evaluate scripted to ``schedule`` and a snapshot after each train_epoch."""
    import sys

    module = sys.modules[module_name]
    real_train, real_evaluate = module.train_epoch, module.evaluate
    snapshots = []

    def train_epoch(model, *args, **kwargs):
        loss = real_train(model, *args, **kwargs)
        snapshots.append({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()})
        return loss

    def evaluate(model, *args, **kwargs):
        return float(schedule[min(max(len(snapshots) - 1, 0), len(schedule) - 1)])

    module.train_epoch, module.evaluate = train_epoch, evaluate
    try:
        model = module.fit(train_set, val_set, device, epochs=len(schedule), seed=0)
    finally:
        module.train_epoch, module.evaluate = real_train, real_evaluate
    returned = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    return {"snapshots": snapshots, "returned": returned}


def digits_sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    data = split()
    return data.train_x[:n] * 16 if data.name == "digits" else data.train_x[:n], data.train_y[:n]


def subset_sets(student, n_train: int, n_val: int):
    data = split()
    return student.trusted(tensor_datasets, {"train": (data.train_x[:n_train], data.train_y[:n_train]),
                                             "val": (data.val_x[:n_val], data.val_y[:n_val])})
