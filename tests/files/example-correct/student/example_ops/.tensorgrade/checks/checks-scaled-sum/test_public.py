"""Public checks for example_ops."""

import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_tensor, expect_unchanged


def sum_of(student, values):
    """A helper: the checks below reach the student through it."""
    return student.scaled_sum(torch.tensor(values))


@pytest.mark.points(2)
def test_scaled_sum(student):
    """scaled_sum returns SCALE times the sum"""
    expect_close(sum_of(student, [1.0, 2.0]), 6.0, "scaled_sum([1, 2])")
