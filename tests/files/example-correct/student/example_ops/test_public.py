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


@pytest.mark.points(2)
def test_clamp_positive(student, credit):
    """clamp_positive zeroes negatives and leaves x alone"""
    for values in ([1.0, -1.0], [-3.0, 0.0, 2.0]):
        with credit.case(f"x = {values}"):
            x = torch.tensor(values)
            call = student.call("clamp_positive", x)
            expect_tensor(call.result, x.clamp(min=0), "clamp_positive(x)")
            expect_unchanged(call.args[0], x, "x")


@pytest.mark.points(2)
def test_scaled_sum(student):
    """scaled_sum returns SCALE times the sum"""
    expect_close(sum_of(student, [1.0, 2.0]), 6.0, "scaled_sum([1, 2])")


def test_double_then_clamp(student):
    """double and clamp_positive compose"""
    doubled = student.double(torch.tensor([-1.0, 3.0]))
    result = student.clamp_positive(doubled)
    if result.tolist() != [0.0, 6.0]:
        raise Mistake(f"clamp_positive(double(x)) is {result.tolist()}, expected [0.0, 6.0]")


def test_torch_is_there():
    """torch imports (a check that names no function)"""
    assert torch.zeros(1).sum().item() == 0.0
