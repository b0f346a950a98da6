"""Hidden graders for example_ops (a fixture of the release tests: text that must never reach students)."""

import pytest
import torch

from autograder.checks import expect_close, expect_tensor


@pytest.mark.points(2)
def test_double_hidden_cases(student):
    """double on a hidden integer tensor"""
    secret_input = torch.arange(-7, 9, 3)
    expect_tensor(student.double(secret_input), secret_input * 2, "double(hidden integer tensor)")


@pytest.mark.points(2)
def test_scaled_sum_hidden_cases(student):
    """scaled_sum on a hidden tensor"""
    hidden_values = torch.linspace(-1.5, 4.25, steps=11)
    expect_close(student.scaled_sum(hidden_values), 2.0 * float(hidden_values.sum()), "scaled_sum(hidden)")
