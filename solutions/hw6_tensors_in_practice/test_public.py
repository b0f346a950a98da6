"""Public checks for hw6_tensors_in_practice: run them with `tensorgrade check hw6_tensors_in_practice practice.py`.

A few quick cases from INSTRUCTIONS.md. The hidden graders try more inputs, dtypes and devices.
"""

import numpy as np
import pytest
import torch

from autograder.checks import Mistake, broadcasting, expect_tensor, expect_type


@pytest.mark.points(1)
def test_to_numpy_shares(student):
    """to_numpy shares memory with a tensor that requires grad"""
    t = torch.arange(4.0).requires_grad_()
    call = student.call("to_numpy", t)
    expect_type(call.result, np.ndarray, "to_numpy(t)")
    call.result[0] = 100.0  # shared memory: the write shows in t
    if call.args[0][0].item() != 100.0:
        raise Mistake("to_numpy(t) copied the data; it must share t's memory")


@pytest.mark.points(1)
def test_as_float32_no_copy(student):
    """as_float32 returns a float32 tensor itself"""
    x = torch.arange(6.0).view(2, 3)
    call = student.call("as_float32", x)
    expect_tensor(call.result, x, "as_float32(x)")
    call.result.view(-1)[0] = -1.0  # x itself or a view of it: the write shows in x
    if call.args[0].view(-1)[0].item() != -1.0:
        raise Mistake("as_float32(x) is a copy, but it must be x itself (or a view of x) when x is already float32")


@pytest.mark.points(1)
def test_to_tensor_example(student):
    """to_tensor of a (2, 3, 2) uint8 image"""
    image = np.arange(12, dtype=np.uint8).reshape(2, 3, 2) * 20
    expected = torch.from_numpy(image.astype(np.float32)).permute(2, 0, 1) / 255
    expect_tensor(student.to_tensor(image), expected, "to_tensor(image)")


@pytest.mark.points(1)
def test_normalize_example(student):
    """normalize a (3, 2, 4) image with one mean and std per channel"""
    image = torch.linspace(0, 1, 24).view(3, 2, 4)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]
    expected = (image - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    with broadcasting("normalize(image, mean, std)", {"image": image.shape, "mean": (3,)}):
        expect_tensor(student.normalize(image, mean, std), expected, "normalize(image, mean, std)")


@pytest.mark.points(1)
def test_cosine_similarity_is_0d(student):
    """cosine_similarity returns a 0-d tensor"""
    a, b = torch.tensor([1.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 0.0])
    expect_tensor(student.cosine_similarity(a, b), torch.tensor(0.5), "cosine_similarity(a, b)")


@pytest.mark.points(1)
def test_split_sizes(student):
    """split_indices(10, 0.3, 0) gives 7 train and 3 validation indices"""
    result = student.split_indices(10, 0.3, 0)
    expect_type(result, tuple, "split_indices(10, 0.3, 0)")
    sizes = [part.numel() if type(part) is torch.Tensor else None for part in result]
    if sizes != [7, 3]:
        raise Mistake(f"split_indices(10, 0.3, 0) gave parts of sizes {sizes}, expected 7 and 3 index tensors")


@pytest.mark.points(1)
def test_to_device_meta(student):
    """to_device moves a batch to the meta device"""
    result = student.to_device((torch.zeros(2, 3), torch.tensor([0, 1])), "meta")
    expect_type(result, tuple, "to_device(batch, 'meta')")
    if [getattr(getattr(part, "device", None), "type", None) for part in result if type(part) is torch.Tensor] != [
            "meta", "meta"]:
        raise Mistake("to_device(batch, 'meta') should return (inputs, labels), both on 'meta'")
