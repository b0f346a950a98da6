"""Hidden graders for hw5_training. Spies and hooks run in the worker; every decision is made here.

Models, loaders, loss functions and optimizers handed to the student's functions are grader
code shipped to the worker (``student.trusted``) and recorded there: a spy optimizer logs
zero_grad/step, hooks log backward passes (and whether stale gradients were still in .grad),
forward hooks log ``model.training`` and ``torch.is_grad_enabled()``. The final model is
judged on a held-out test set whose labels never leave this process.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from autograder.assignment import load_assignment
from autograder.checks import Mistake, expect_close, expect_tensor, expect_tensor_meta, expect_type
from autograder.datasets import Split, data_root, grading_split
from autograder.proxy import RemoteObject, StudentError, StudentFault, StudentTimeout, describe_error

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


def history_of(model):
    return getattr(model, "history", None)


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


# ---------------------------------------------------------------- data


def digits_sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    data = split()
    return data.train_x[:n] * 16 if data.name == "digits" else data.train_x[:n], data.train_y[:n]


@pytest.mark.points(2)
def test_dataset(student, credit):
    """DigitsDataset: len, items as (float32 tensor, int), transform applied"""
    images, labels = digits_sample(12)
    for label, args in (("numpy images and labels", (images.double().numpy(), labels.numpy())),
                        ("tensor images and labels", (images, labels))):
        with credit.case(label):
            dataset = expect_object(student.DigitsDataset(*args), "DigitsDataset(images, labels)", "Dataset")
            if len(dataset) != 12:
                raise Mistake(f"len(dataset) is {len(dataset)} for 12 images")
            for i in (0, 5, 11):
                item = dataset.call_method("__getitem__", i)
                expect_type(item, tuple, f"dataset[{i}]")
                if len(item) != 2:
                    raise Mistake(f"dataset[{i}] should be a pair (image, label), but it has {len(item)} items")
                image, target = item
                expect_tensor(image, images[i].float(), f"the image of dataset[{i}]")
                if type(target) is not int:
                    kind = "a float" if type(target) is float or (type(target) is torch.Tensor
                                                                   and target.is_floating_point()) else \
                        f"a {type(target).__name__}"
                    raise Mistake(f"the label of dataset[{i}] should be a Python int (the class index, "
                                  f"int(labels[i])), but it is {kind}: CrossEntropyLoss needs integer class "
                                  "indices, and float labels are read as class probabilities")
                if target != int(labels[i]):
                    raise Mistake(f"the label of dataset[{i}] is {target}, expected {int(labels[i])}")
    with credit.case("with a transform"):
        transform = student.trusted(scale_transform, 1 / 16)
        dataset = expect_object(student.DigitsDataset(images.numpy(), labels.numpy(), transform),
                                "DigitsDataset(images, labels, transform)", "Dataset")
        item = dataset.call_method("__getitem__", 3)
        if type(item) is not tuple or len(item) != 2:
            raise Mistake("dataset[3] should be a pair (image, label)")
        image = item[0]
        expect_tensor(image, images[3].float() / 16, "the transformed image of dataset[3]")
        seen = transform.seen
        if seen and seen[-1] != ["Tensor", "torch.float32"]:
            raise Mistake(f"the transform received a {seen[-1][0]} {seen[-1][1]}; give it the image as a float32 "
                          "tensor")


def loader_indices(loader, what: str) -> list[int]:
    if not isinstance(loader, RemoteObject):
        raise Mistake(f"{what} should be a DataLoader, but it is a {type(loader).__name__}")
    indices = []
    for batch in loader:
        if type(batch) not in (list, tuple) or len(batch) != 2 or type(batch[1]) is not torch.Tensor:
            raise Mistake(f"a batch of {what} is not (inputs, labels)")
        indices += [int(i) for i in batch[1].reshape(-1)]
    return indices


@pytest.mark.points(2)
def test_split_loaders(student, credit):
    """split_loaders: disjoint, covering, sized, reproducible for a seed"""
    splits = {}
    for n, batch_size, fraction, seed in ((20, 4, 0.25, 7), (30, 8, 0.2, 3), (20, 4, 0.25, 7), (20, 4, 0.25, 8)):
        with credit.case(f"{n} samples, batch {batch_size}, val_fraction {fraction}, seed {seed}"):
            result = student.split_loaders(student.trusted(index_dataset, n), batch_size, fraction, seed)
            expect_type(result, tuple, "split_loaders(...)")
            if len(result) != 2:
                raise Mistake(f"split_loaders should return (train_loader, val_loader), not {len(result)} items")
            train, val = (loader_indices(loader, name) for loader, name in zip(result, ("train_loader",
                                                                                       "val_loader")))
            if len(set(train)) != len(train) or len(set(val)) != len(val):
                raise Mistake("a loader yields some samples twice in one epoch: sample without replacement")
            if set(train) & set(val):
                raise Mistake(f"{len(set(train) & set(val))} samples are in both loaders: the split must be disjoint")
            if set(train) | set(val) != set(range(n)):
                raise Mistake(f"{n - len(set(train) | set(val))} samples are in neither loader: the two must cover "
                              "the dataset")
            if len(val) != int(n * fraction):
                raise Mistake(f"the validation loader has {len(val)} samples, expected int({n} × {fraction}) = "
                              f"{int(n * fraction)}")
            for loader, name in zip(result, ("train_loader", "val_loader")):
                if loader.batch_size != batch_size:
                    raise Mistake(f"{name} has batch_size {loader.batch_size}, expected {batch_size}")
                sampler = loader.sampler
                if not isinstance(sampler, RemoteObject) or sampler.type_name != "SubsetRandomSampler":
                    kind = sampler.type_name if isinstance(sampler, RemoteObject) else type(sampler).__name__
                    raise Mistake(f"{name} uses a {kind}; use SubsetRandomSampler(indices), as in the lecture")
            splits[(n, fraction, seed, len(splits))] = sorted(val)
    with credit.case("the same seed gives the same split; another seed, another"):
        same = [v for k, v in splits.items() if k[:3] == (20, 0.25, 7)]
        other = [v for k, v in splits.items() if k[:3] == (20, 0.25, 8)]
        if len(same) != 2 or not other:
            raise Mistake("split_loaders failed above, so reproducibility cannot be checked")
        if same[0] != same[1]:
            raise Mistake("two calls with seed 7 gave different splits: draw the permutation from "
                          "torch.Generator().manual_seed(seed)")
        if same[0] == other[0]:
            raise Mistake("seeds 7 and 8 gave the same validation samples: the split must be random for each seed")


# ---------------------------------------------------------------- the model


@pytest.mark.points(2)
def test_mlp(student, credit):
    """MLP flattens its input and returns (B, num_classes) logits for batch sizes 1, 2 and 5"""
    for in_features, hidden, classes, shape in ((64, 32, 10, (8, 8)), (20, 16, 7, (20,)), (12, 8, 3, (1, 3, 4))):
        dims = ", ".join(map(str, shape))
        with credit.case(f"MLP({in_features}, {hidden}, {classes}) on inputs of shape (B, {dims})"):
            model = student.MLP(in_features, hidden, classes)
            facts = trusted(student, f"MLP({in_features}, {hidden}, {classes})", module_facts, model)
            if not facts["is_module"]:
                raise Mistake("MLP(...) is not a torch.nn.Module: subclass nn.Module and call super().__init__()")
            if facts["trainable"] < in_features * hidden:
                raise Mistake(f"MLP({in_features}, {hidden}, {classes}) has {facts['trainable']} trainable parameters, "
                              f"fewer than a Linear({in_features}, {hidden}) alone")
            generator = torch.Generator().manual_seed(in_features)
            for batch in (1, 2, 5):
                x = torch.randn(batch, *shape, generator=generator)
                out = model(x)
                expect_tensor_meta(out, torch.empty(batch, classes), f"the output for a batch of {batch}")
                out = out.detach()
                if bool((out >= 0).all()) and torch.allclose(out.sum(dim=1), torch.ones(batch), atol=1e-4):
                    raise Mistake("MLP returns probabilities (each row sums to 1): return raw logits; "
                                  "nn.CrossEntropyLoss applies log-softmax itself, so a softmax before it "
                                  "squashes the gradients and slows learning")
                if batch == 5 and all(torch.allclose(out[0], row) for row in out[1:]):
                    raise Mistake("MLP gives the same output for five different inputs")


@pytest.mark.points(1)
def test_mlp_meta(student, credit):
    """MLP runs on the meta device (no hard-coded device)"""
    with credit.case("MLP(64, 32, 10) moved to meta"):
        model = expect_object(student.MLP(64, 32, 10), "MLP(64, 32, 10)", "module").call_method("to", "meta")
        model = expect_object(model, "MLP(64, 32, 10).to('meta')", "module")
        for batch in (1, 5):
            expect_tensor_meta(model(torch.empty(batch, 8, 8, device="meta")),
                               torch.empty(batch, 10, device="meta"), f"the output for a meta batch of {batch}")


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


# ---------------------------------------------------------------- fit


def subset_sets(student, n_train: int, n_val: int):
    data = split()
    return student.trusted(tensor_datasets, {"train": (data.train_x[:n_train], data.train_y[:n_train]),
                                             "val": (data.val_x[:n_val], data.val_y[:n_val])})


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
