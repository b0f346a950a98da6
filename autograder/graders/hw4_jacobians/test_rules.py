"""Hidden graders for hw4: rules across functions (no autograd where forbidden, devices, meta shapes)."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import Mistake, expect_matrix, expect_tensor, expect_tensor_meta
from autograder.graders.hw4_jacobians.helpers import (
    expect_tuple,
    forbid_autograd,
    make_f,
    matrix,
    point,
    true_backprop,
    true_linear_backward,
)
from autograder.proxy import StudentError

# ---------------------------------------------------------------- rules across functions


@pytest.mark.points(2)
def test_no_autograd_where_forbidden(student, credit):
    """the by-hand functions do not use autograd"""
    A, x = matrix(3, 5, seed=1), point(5, seed=2)
    f = student.trusted(make_f, "tanh", A)
    # each function with its arguments and how many tensors it returns
    cases = {
        "grad_half_sq_norm": ((A, x), 1),
        "jacobian_of_linear": ((A, x), 1),
        "numerical_jacobian": ((f, x, 1e-6), 1),
        "backprop_example": ((point(4, seed=3), point(4, seed=4)), 3),
        "linear_backward": ((matrix(2, 5, seed=5), A, point(3, seed=6), matrix(2, 3, seed=7)), 3),
    }
    for name, (args, count) in cases.items():
        with credit.case(name):
            try:
                result = getattr(student, name)(*args)
            except StudentError as exc:
                raise Mistake(f"{name} does not run yet, so it cannot be checked: {exc}") from None
            # only tensors earn this point: a function that does nothing uses no autograd either (shapes and
            # values are other tests' business, so one mistake is not charged twice)
            results = result if count > 1 and type(result) is tuple else (result,)
            if len(results) != count or any(type(r) is not torch.Tensor for r in results):
                raise Mistake(f"{name} does not return {count if count > 1 else 'a'} tensor{'s' * (count > 1)} yet, "
                              "so its use of autograd cannot be checked")
            forbid_autograd(student, name, *args)


@pytest.mark.points(1)
def test_device_agnostic(student, credit, device):
    """results stay on the input's device"""
    A, x = matrix(3, 5, seed=8).to(device), point(5, seed=9).to(device)
    with credit.case("grad_half_sq_norm"):
        expect_tensor(student.grad_half_sq_norm(A, x), A.T @ (A @ x), "grad_half_sq_norm(A, x)", rtol=1e-10)
    with credit.case("backprop_example"):
        u, v = point(4, seed=10).to(device), point(4, seed=11).to(device)
        result = expect_tuple(student.backprop_example(u, v), 3, "backprop_example(x, y)")
        for value, truth, what in zip(result, true_backprop(u, v), ("f", "df_dx", "df_dy")):
            expect_tensor(value, truth, what, rtol=1e-10)
    with credit.case("linear_backward"):
        args = [matrix(2, 5, seed=12), matrix(3, 5, seed=13), point(3, seed=14), matrix(2, 3, seed=15)]
        args = [t.to(device) for t in args]
        result = expect_tuple(student.linear_backward(*args), 3, "linear_backward(...)")
        for value, truth, what in zip(result, true_linear_backward(*args), ("dx", "dW", "db")):
            expect_tensor(value, truth, what, rtol=1e-10)


@pytest.mark.points(1)
def test_meta_device(student, credit):
    """shapes are right on the meta device (no hard-coded device or .item())"""
    A, x = torch.empty(3, 5, device="meta"), torch.empty(5, device="meta")
    with credit.case("grad_half_sq_norm on meta"):
        expect_tensor_meta(student.grad_half_sq_norm(A, x), x, "grad_half_sq_norm(A, x) on meta tensors")
    with credit.case("jacobian_of_linear on meta"):
        expect_matrix(student.jacobian_of_linear(A, x), A, "jacobian_of_linear(A, x) on meta tensors")
    with credit.case("linear_backward on meta"):
        args = (torch.empty(2, 5, device="meta"), A, torch.empty(3, device="meta"), torch.empty(2, 3, device="meta"))
        result = expect_tuple(student.linear_backward(*args), 3, "linear_backward(...)")
        for value, like, what in zip(result, args[:3], ("dx", "dW", "db")):
            expect_tensor_meta(value, like, f"{what} on meta tensors")
