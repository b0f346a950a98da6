"""Public checks for example_ops."""

import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_tensor, expect_unchanged


def sum_of(student, values):
    """A helper: the checks below reach the student through it."""
    return student.scaled_sum(torch.tensor(values))


def test_torch_is_there():
    """torch imports (a check that names no function)"""
    assert torch.zeros(1).sum().item() == 0.0
