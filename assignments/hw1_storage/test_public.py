"""Public checks for hw1_storage: run them with `tensorgrade check hw1_storage storage.py`."""

import numpy as np
import pytest
import torch

from autograder.checks import Mistake, expect_tensor, expect_value


@pytest.mark.points(1)
def test_same_storage_lecture_example(student):
    """same_storage on the lecture's example"""
    a = torch.zeros(3, 2)
    expect_value(student.same_storage(a, a.t()), True, "same_storage(a, a.t())")
    expect_value(student.same_storage(a, a + 1), False, "same_storage(a, a + 1)")


@pytest.mark.points(1)
def test_numpy_shared_shares(student):
    """numpy_shared shares memory with the array"""
    arr = np.arange(4.0)
    call = student.call("numpy_shared", arr)
    expect_tensor(call.result, torch.arange(4.0, dtype=torch.float64), "numpy_shared(arr)")
    call.result[0] = 100.0  # shared memory: the write shows in the array
    if call.args[0][0] != 100.0:
        raise Mistake("numpy_shared(arr) copied the array; it must share its memory")


@pytest.mark.points(1)
def test_row_view_is_a_view(student):
    """row_view returns a view"""
    x = torch.arange(12.0).reshape(3, 4)
    call = student.call("row_view", x, 1)
    expect_tensor(call.result, x[1], "row_view(x, 1)")
    call.result[0] = -1.0  # a view: the write shows in x
    if call.args[0][1, 0].item() != -1.0:
        raise Mistake("row_view(x, 1) is a copy; it must be a view of x")


@pytest.mark.points(1)
def test_cos_in_place(student):
    """cos_ changes x in place"""
    call = student.call("cos_", torch.zeros(3, 2))
    expect_tensor(call.args[0], torch.ones(3, 2), "x after cos_(x)")
