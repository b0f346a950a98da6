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
    true_jacobian,
    true_linear_backward,
)
from autograder.proxy import StudentError

# ---------------------------------------------------------------- rules across functions


@pytest.mark.points(1)
def test_no_autograd_where_forbidden(student, credit):
    """the by-hand functions do not use autograd (a claim of the worker's: worth one point)"""
    A, x = matrix(3, 5, seed=1), point(5, seed=2)
    f = student.trusted(make_f, "tanh", A)
    u, v = point(4, seed=3), point(4, seed=4)
    lin = (matrix(2, 5, seed=5), A, point(3, seed=6), matrix(2, 3, seed=7))
    # each function with its arguments and the right answer there, computed here
    cases = {
        "grad_half_sq_norm": ((A, x), (A.T @ (A @ x),)),
        "jacobian_of_linear": ((A, x), (A,)),
        "numerical_jacobian": ((f, x, 1e-6), (true_jacobian("tanh", A, x),)),
        "backprop_example": ((u, v), true_backprop(u, v)),
        "linear_backward": (lin, true_linear_backward(*lin)),
    }
    for name, (args, truths) in cases.items():
        with credit.case(name):
            try:
                result = getattr(student, name)(*args)
            except StudentError as exc:
                raise Mistake(f"{name} does not run yet, so it cannot be checked: {exc}") from None
            # points only for answers: a function that does nothing (or the wrong thing) uses no autograd
            # either; its values are the other tests' business, so the message only points there
            results = result if len(truths) > 1 and type(result) is tuple else (result,)
            try:
                if len(results) != len(truths):
                    raise Mistake(f"{name} returns {len(results)} values, expected {len(truths)}")
                rtol = 1e-7 if name == "numerical_jacobian" else 1e-10
                for value, truth in zip(results, truths):
                    expect_tensor(value, truth, name, rtol=rtol, atol=1e-8)
            except Mistake as exc:
                raise Mistake(f"{name}'s answer is not right yet ({exc}), so its use of autograd is not "
                              "checked") from None
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
    """shapes are right on the meta device (no hard-coded device or .item()), for answers right on CPU"""
    shapes = {"A": (3, 5), "x": (5,), "xb": (2, 5), "b": (3,), "dout": (2, 3)}
    cpu = {"A": matrix(3, 5, seed=16), "x": point(5, seed=17), "xb": matrix(2, 5, seed=18), "b": point(3, seed=19),
           "dout": matrix(2, 3, seed=20)}
    meta = {k: torch.empty(v, dtype=torch.float64, device="meta") for k, v in shapes.items()}

    def right_on_cpu(name: str, check) -> None:
        # points only for answers: the same call with values on CPU must be right first
        try:
            check()
        except Mistake as exc:
            raise Mistake(f"{name} is not right on CPU yet ({exc}), so its meta shapes earn nothing") from None

    with credit.case("grad_half_sq_norm on meta"):
        right_on_cpu("grad_half_sq_norm", lambda: expect_tensor(
            student.grad_half_sq_norm(cpu["A"], cpu["x"]), cpu["A"].T @ (cpu["A"] @ cpu["x"]),
            "grad_half_sq_norm(A, x)", rtol=1e-10))
        expect_tensor_meta(student.grad_half_sq_norm(meta["A"], meta["x"]), meta["x"],
                           "grad_half_sq_norm(A, x) on meta tensors")
    with credit.case("jacobian_of_linear on meta"):
        right_on_cpu("jacobian_of_linear", lambda: expect_matrix(
            student.jacobian_of_linear(cpu["A"], cpu["x"]), cpu["A"], "jacobian_of_linear(A, x)", rtol=0, atol=0))
        expect_matrix(student.jacobian_of_linear(meta["A"], meta["x"]), meta["A"],
                      "jacobian_of_linear(A, x) on meta tensors")
    with credit.case("linear_backward on meta"):
        names = ("xb", "A", "b", "dout")

        def cpu_check() -> None:
            result = expect_tuple(student.linear_backward(*(cpu[k] for k in names)), 3, "linear_backward(...)")
            for value, truth, what in zip(result, true_linear_backward(*(cpu[k] for k in names)), ("dx", "dW", "db")):
                expect_tensor(value, truth, what, rtol=1e-10)

        right_on_cpu("linear_backward", cpu_check)
        result = expect_tuple(student.linear_backward(*(meta[k] for k in names)), 3, "linear_backward(...)")
        for value, like, what in zip(result, (meta["xb"], meta["A"], meta["b"]), ("dx", "dW", "db")):
            expect_tensor_meta(value, like, f"{what} on meta tensors")
