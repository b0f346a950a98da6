"""What the hw5 graders share: the grading data, and the spies and helpers shipped to the worker.

Models, loaders, loss functions and optimizers handed to the student's functions are grader
code shipped to the worker (``student.trusted``) and recorded there: a spy optimizer logs
zero_grad/step, hooks log backward passes (and whether stale gradients were still in .grad),
forward hooks log ``model.training`` and ``torch.is_grad_enabled()``. Those records live in
the student's process, so they only *name* a mistake: points come from outcomes the grader
computes itself (the weights one right epoch of SGD gives, the accuracy of a model whose
output changes in training mode or with gradients on, weights the grader sets per epoch).
The held-out data is disguised from a secret seed (``autograder.datasets``) and its labels
never leave the grader.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from pathlib import Path

import torch

from autograder.assignment import load_assignment
from autograder.checks import Mistake
from autograder.datasets import Split, data_root, held_out_split
from autograder.faults import describe_error
from autograder.proxy import RemoteObject, StudentError

SETTINGS = load_assignment(Path(__file__).resolve().parent.name).extra.get("fit", {})


def split() -> Split:
    """The grading data, disguised for this grading run: digits, unless the data root holds MNIST/FashionMNIST."""
    root = data_root()
    return _split(str(root) if root is not None else None)


@functools.lru_cache(maxsize=2)
def _split(root: str | None) -> Split:
    prefer = tuple(SETTINGS.get("prefer", ()))
    data = held_out_split(prefer, Path(root) if root else None)
    limit = SETTINGS.get(data.name, {}).get("max_train")
    if limit and len(data.train_y) > limit:
        data = replace(data, train_x=data.train_x[:limit], train_y=data.train_y[:limit])
    return data


def student_said(exc: StudentError, what: str) -> Mistake:
    """Reword an error raised under a grader helper as what the student's own function did."""
    return Mistake(describe_error(exc.error, what))


NO_GRAPH = "does not require grad and does not have a grad_fn"


def no_graph(exc: StudentError, what: str) -> Mistake | None:
    """A loss.backward() that found no graph, in words: the training loop ran under torch.no_grad()."""
    message = exc.error.get("message") if type(exc.error) is dict else None
    if type(message) is str and NO_GRAPH in message[:2000]:
        return Mistake(f"{what}'s loss.backward() found no computation graph: gradients were disabled while the "
                       "loss was computed. The training loop must not run under torch.no_grad() (only evaluation "
                       "does)")
    return None


def expect_object(value: object, what: str, kind: str) -> RemoteObject:
    """A student object that lives in the worker (a dataset, a model), not plain data."""
    if not isinstance(value, RemoteObject):
        # the type only: str() of a student value can be huge or raise (ints past Python's digit limit)
        raise Mistake(f"{what} should give a {kind}, but it gave a {type(value).__name__}")
    return value


def trusted(student, what: str, fn, *args, **kwargs):
    try:
        return student.trusted(fn, *args, **kwargs)
    except StudentError as exc:
        raise (no_graph(exc, what) or student_said(exc, what)) from None


def setup_of(student, fn, *args) -> dict:
    """Run a setup helper in the worker; what comes back must be a dict of handles (the worker could send anything)."""
    setup = student.trusted(fn, *args)
    if type(setup) is not dict or not all(type(k) is str and isinstance(v, RemoteObject) for k, v in setup.items()):
        raise Mistake(f"the grader's {fn.__name__} came back changed from the worker: leave the grader's helpers alone")
    return setup


def call_fit(student, *args, **kwargs):
    """The student's fit; a training loop run under no_grad is told so in words."""
    try:
        return student.call("fit", *args, **kwargs).result
    except StudentError as exc:
        mistake = no_graph(exc, "train_epoch (called by fit)")
        if mistake is None:
            raise
        raise mistake from None


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


def spy_setup(weight, bias, images, labels, batch_size, training, device, lr=0.0, probe=False, sampler=None):
    """A linear model, loader, loss and spy optimizer that log every step of a training loop.

    ``lr`` > 0 makes the weights after one epoch say how the epoch ran (the grader recomputes
    them); ``probe`` appends a layer whose output is wrong in training mode or with gradients
    on, so an evaluation that is not in eval mode under no_grad gets a wrong accuracy;
    ``sampler``: indices for a SubsetRandomSampler, as split_loaders builds its loaders.
    """
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, SubsetRandomSampler, TensorDataset

    events = []
    linear = nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    with torch.no_grad():
        linear.weight.copy_(weight)
        linear.bias.copy_(bias)

    class Probe(nn.Module):
        def forward(self, logits):
            # in training mode, or recording gradients, every prediction moves to the next class
            return logits.roll(1, dims=-1) if self.training or torch.is_grad_enabled() else logits

    model = nn.Sequential(linear, Probe()) if probe else linear
    model.to(device).train(training)
    model.register_forward_hook(lambda m, args, out: events.append(["forward", m.training, torch.is_grad_enabled()]))

    def stale(param):
        return param.grad is not None and bool(param.grad.abs().sum() > 0)

    # a tensor hook runs before the new gradient is added to .grad: what .grad holds then is left over
    linear.weight.register_hook(lambda grad: events.append(["backward", stale(linear.weight)]))

    class SpyOptimizer(torch.optim.SGD):
        def zero_grad(self, set_to_none=True):
            events.append(["zero_grad"])
            return super().zero_grad(set_to_none)

        def step(self, closure=None):
            events.append(["step", stale(linear.weight)])
            return super().step(closure)

    optimizer = SpyOptimizer(model.parameters(), lr=lr)
    optimizer.events = events
    data = TensorDataset(images, labels)
    if sampler is None:
        loader = DataLoader(data, batch_size=batch_size, shuffle=False)
    else:
        loader = DataLoader(data, batch_size=batch_size, sampler=SubsetRandomSampler(list(sampler)))
    return {"model": model, "loader": loader, "loss_fn": nn.CrossEntropyLoss(), "optimizer": optimizer,
            "linear": linear}


def linear_state(linear):
    """The weight and bias of the spy's linear layer, as plain CPU tensors."""
    import torch

    with torch.no_grad():
        return {name: getattr(linear, name).detach().to("cpu", copy=True) for name in ("weight", "bias")}


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


def fit_with_schedule(module_name, train_set, val_set, device, schedules):
    """Run the student's fit with train_epoch and evaluate scripted by the grader.

    The scripted train_epoch sets every floating parameter to ``epoch_value(e)`` (in place, as
    training does) and returns ``schedules["train_loss"][e]``; the scripted evaluate returns
    ``schedules["val_accuracy"][e]`` for the validation set and ``schedules["train_accuracy"][e]``
    for the training set. Which epoch's weights fit returned is read off the values it ends with.
    """
    import sys

    import torch

    module = sys.modules[module_name]
    real_train, real_evaluate = module.train_epoch, module.evaluate
    epochs = len(schedules["val_accuracy"])
    state = {"epoch": 0, "evaluated": []}

    def train_epoch(model, *args, **kwargs):
        state["epoch"] += 1
        with torch.no_grad():
            for param in model.parameters():
                if param.is_floating_point():
                    param.fill_(0.25 * state["epoch"] + 0.125)
        return float(schedules["train_loss"][min(state["epoch"], epochs) - 1])

    def evaluate(model, loader, *args, **kwargs):
        epoch = min(max(state["epoch"], 1), epochs) - 1
        dataset = getattr(loader, "dataset", None)
        if dataset is train_set:
            state["evaluated"].append("train")
            return float(schedules["train_accuracy"][epoch])
        state["evaluated"].append("val" if dataset is val_set else "other")
        return float(schedules["val_accuracy"][epoch])

    module.train_epoch, module.evaluate = train_epoch, evaluate
    try:
        model = module.fit(train_set, val_set, device, epochs=epochs, seed=0)
    finally:
        module.train_epoch, module.evaluate = real_train, real_evaluate
    values = []
    with torch.no_grad():
        for param in model.parameters():
            if param.is_floating_point() and param.numel() and param.device.type != "meta":
                values.append([float(param.min()), float(param.max())])
    return {"trained": state["epoch"], "evaluated": state["evaluated"][:100], "values": values}


def epoch_value(epoch: int) -> float:
    """What the scripted train_epoch sets every parameter to in epoch ``epoch`` (counted from 1)."""
    return 0.25 * epoch + 0.125


def finite_floats(value: object, limit: int = 10_000) -> list[float] | None:
    """A list of finite numbers from the worker as floats, or None (wrong types, huge ints, NaN, too long)."""
    if type(value) is not list or len(value) > limit:
        return None
    out = []
    for v in value:
        if type(v) is int and abs(v) < 2**53:
            v = float(v)
        if type(v) is not float or not math.isfinite(v):
            return None
        out.append(v)
    return out


def digits_sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    data = split()
    return data.train_x[:n] * 16 if data.name == "digits" else data.train_x[:n], data.train_y[:n]


def subset_sets(student, n_train: int, n_val: int):
    data = split()
    return setup_of(student, tensor_datasets, {"train": (data.train_x[:n_train], data.train_y[:n_train]),
                                               "val": (data.val_x[:n_val], data.val_y[:n_val])})
