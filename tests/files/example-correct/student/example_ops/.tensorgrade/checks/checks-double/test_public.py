"""Public checks for example_ops."""

import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_tensor, expect_unchanged


def sum_of(student, values):
    """A helper: the checks below reach the student through it."""
    return student.scaled_sum(torch.tensor(values))


@pytest.mark.points(1)
def test_double(student):
    """double doubles"""
    expect_tensor(student.double(torch.tensor([1.0, -2.0])), torch.tensor([2.0, -4.0]), "double(x)")
