"""Hidden graders for hw5: the dataset, the training/validation split and the MLP."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import Mistake, expect_tensor, expect_tensor_meta, expect_type
from autograder.graders.hw5_training.helpers import (
    digits_sample,
    expect_object,
    index_dataset,
    module_facts,
    scale_transform,
    trusted,
)
from autograder.proxy import RemoteObject

# ---------------------------------------------------------------- data


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
        transform = expect_object(student.trusted(scale_transform, 1 / 16), "the grader's transform", "function")
        dataset = expect_object(student.DigitsDataset(images.numpy(), labels.numpy(), transform),
                                "DigitsDataset(images, labels, transform)", "Dataset")
        item = dataset.call_method("__getitem__", 3)
        if type(item) is not tuple or len(item) != 2:
            raise Mistake("dataset[3] should be a pair (image, label)")
        image = item[0]
        expect_tensor(image, images[3].float() / 16, "the transformed image of dataset[3]")
        seen = transform.seen  # the transform's own record, in the worker: exact types before use
        last = seen[-1] if type(seen) is list and seen else None
        if (type(last) is list and len(last) == 2 and all(type(v) is str for v in last)
                and last != ["Tensor", "torch.float32"]):
            raise Mistake(f"the transform received a {last[0][:40]} {last[1][:40]}; give it the image as a float32 "
                          "tensor")


def loader_indices(loader, what: str, n: int) -> list[int]:
    """The sample indices an index_dataset loader yields, read off its labels (at most n + 1 batches, n labels)."""
    if not isinstance(loader, RemoteObject):
        raise Mistake(f"{what} should be a DataLoader, but it is a {type(loader).__name__}")
    indices: list[int] = []
    for count, batch in enumerate(loader):
        if count > n:
            raise Mistake(f"{what} yields more batches than the dataset has samples")
        labels = batch[1] if type(batch) in (list, tuple) and len(batch) == 2 else None
        if (type(labels) is not torch.Tensor or labels.device.type != "cpu" or labels.dtype != torch.int64
                or labels.dim() != 1):
            raise Mistake(f"a batch of {what} is not (inputs, labels) with a 1-D int64 tensor of labels")
        if len(indices) + labels.numel() > n:
            raise Mistake(f"{what} yields more samples than the dataset holds ({n}): sample without replacement")
        indices += labels.tolist()
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
            train, val = (loader_indices(loader, name, n) for loader, name in zip(result, ("train_loader",
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
            if (type(facts) is not dict or type(facts.get("is_module")) is not bool
                    or type(facts.get("trainable")) is not int):
                raise Mistake("the grader could not read MLP's parameters (its helper's report was replaced)")
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
        # points only for a model that answers on CPU: the same MLP must give (B, 10) logits there first
        model = expect_object(student.MLP(64, 32, 10), "MLP(64, 32, 10)", "module")
        x = torch.randn(5, 8, 8, generator=torch.Generator().manual_seed(64))
        try:
            out = model(x)
            expect_tensor_meta(out, torch.empty(5, 10), "the output for a CPU batch of 5")
            if all(torch.allclose(out[0], row) for row in out[1:]):
                raise Mistake("MLP gives the same output for five different inputs")
        except Mistake as exc:
            raise Mistake(f"MLP does not answer right on CPU yet ({exc}), so its meta shapes earn nothing") from None
        model = model.call_method("to", "meta")
        model = expect_object(model, "MLP(64, 32, 10).to('meta')", "module")
        for batch in (1, 5):
            expect_tensor_meta(model(torch.empty(batch, 8, 8, device="meta")),
                               torch.empty(batch, 10, device="meta"), f"the output for a meta batch of {batch}")
