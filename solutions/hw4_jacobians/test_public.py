"""Public checks for hw4_jacobians: run them with `tensorgrade check hw4_jacobians jacobians.py`.

They use the worked examples of INSTRUCTIONS.md. The hidden grader checks many more cases.
"""

import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_matrix, expect_tensor, expect_type, expect_unchanged


def small_f():
    """f(v) = (v0·v1, v1² + v2): R³ → R², built where your code runs."""
    import torch

    return lambda v: torch.stack([v[0] * v[1], v[1] ** 2 + v[2]])


@pytest.mark.points(1)
def test_grad_half_sq_norm_example(student):
    """grad_half_sq_norm on the worked example"""
    A = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
    x = torch.tensor([1.0, -1.0, 2.0])
    expect_tensor(student.grad_half_sq_norm(A, x), torch.tensor([-1.0, -5.0, 3.0]), "grad_half_sq_norm(A, x)")


@pytest.mark.points(1)
def test_jacobian_of_linear_shape(student):
    """jacobian_of_linear has shape (m, n)"""
    A = torch.arange(6.0).reshape(2, 3)
    expect_matrix(student.jacobian_of_linear(A, torch.ones(3)), A, "jacobian_of_linear(A, x)")


@pytest.mark.points(1)
def test_jacobian_example(student):
    """jacobian(f, x) on the worked example, x untouched"""
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    call = student.call("jacobian", student.trusted(small_f), x)
    expected = torch.tensor([[2.0, 1.0, 0.0], [0.0, 4.0, 1.0]], dtype=torch.float64)
    expect_matrix(call.result, expected, "jacobian(f, x)")
    expect_unchanged(call.args[1], x, "x")


@pytest.mark.points(1)
def test_numerical_jacobian_example(student):
    """numerical_jacobian on the worked example: float64, x untouched"""
    x = torch.tensor([1.0, 2.0, 3.0])
    call = student.call("numerical_jacobian", student.trusted(small_f), x)
    expected = torch.tensor([[2.0, 1.0, 0.0], [0.0, 4.0, 1.0]], dtype=torch.float64)
    expect_matrix(call.result, expected, "numerical_jacobian(f, x)", rtol=1e-7, atol=1e-7)
    expect_unchanged(call.args[1], x, "x")


@pytest.mark.points(1)
def test_backprop_example_point(student):
    """backprop_example at x=0.5, y=1.2"""
    x, y = torch.tensor(0.5, dtype=torch.float64), torch.tensor(1.2, dtype=torch.float64)
    result = student.backprop_example(x, y)
    expect_type(result, tuple, "backprop_example(x, y)")
    if len(result) != 3:
        raise Mistake("backprop_example should return three tensors: (f, df_dx, df_dy)")
    for value, truth, what in zip(result, (1.1704, -3.0579, -1.2741), ("f", "df_dx", "df_dy")):
        expect_tensor(value, torch.tensor(truth, dtype=torch.float64), what, rtol=1e-4, atol=1e-4)


@pytest.mark.points(1)
def test_linear_backward_shapes(student):
    """linear_backward returns dx, dW, db with the shapes of x, W, b"""
    x, W, b = torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), torch.zeros(3)
    result = student.linear_backward(x, W, b, torch.tensor([[1.0, 2.0, 3.0]]))
    expect_type(result, tuple, "linear_backward(...)")
    expected = (torch.tensor([[4.0, 5.0]]), torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]),
                torch.tensor([1.0, 2.0, 3.0]))
    for value, truth, what in zip(result, expected, ("dx", "dW", "db")):
        expect_tensor(value, truth, what)


@pytest.mark.points(1)
def test_fit_linear_book(student):
    """fit_linear reproduces the book's w ≈ 5.367, b ≈ −17.30"""
    t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
    t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
    result = student.fit_linear(0.1 * t_u, t_c, 5000, 1e-2)
    expect_type(result, tuple, "fit_linear(...)")
    if len(result) != 2:
        raise Mistake("fit_linear should return (w, b)")
    expect_close(result[0], 5.3671, "w", rtol=1e-3)
    expect_close(result[1], -17.3012, "b", rtol=1e-3)
