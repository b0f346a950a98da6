"""Hidden graders for hw4: backprop by hand, a linear layer's backward pass, and learning the temperature fit."""

from __future__ import annotations

import math

import pytest
import torch

from autograder.checks import Mistake, expect_matrix, expect_tensor, expect_type, expect_unchanged
from autograder.graders.hw4_jacobians.helpers import (
    T_C,
    T_U,
    matrix,
    point,
    true_backprop,
    true_linear_backward,
)
from autograder.proxy import StudentFault


def backprop_inputs() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """|xy| ≤ 1.2 keeps cos(xy) > 0.36, far from the pole of ln(cos(xy))."""
    x, y = point(6, seed=41, scale=1.1), point(6, seed=42, scale=1.0)
    return [("scalars x=0.5, y=1.2", torch.tensor(0.5, dtype=torch.float64), torch.tensor(1.2, dtype=torch.float64)),
            ("vectors of 6 float64 values", x, y),
            ("a (2, 3) float32 grid", x.reshape(2, 3).float(), y.reshape(2, 3).float())]


@pytest.mark.points(3)
def test_backprop_example(student, credit):
    """backprop_example gives f, ∂f/∂x and ∂f/∂y of 2cos²(xy) + ln(cos(xy))"""
    for label, x, y in backprop_inputs():
        with credit.case(label):
            result = student.backprop_example(x, y)
            expect_type(result, tuple, "backprop_example(x, y)")
            if len(result) != 3:
                raise Mistake(f"backprop_example(x, y) returned {len(result)} values, expected 3: (f, df_dx, df_dy)")
            tol = dict(rtol=1e-10, atol=1e-12) if x.dtype == torch.float64 else dict(rtol=1e-5, atol=1e-5)
            for value, truth, what in zip(result, true_backprop(x, y), ("f", "df_dx", "df_dy")):
                expect_tensor(value, truth.to(x.dtype), f"{what} of backprop_example(x, y)", **tol)


# ---------------------------------------------------------------- a linear layer backward


def student_linear(student):
    """A torch.autograd.Function whose backward is the student's linear_backward (for gradcheck here)."""

    class StudentLinear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, W, b):
            ctx.save_for_backward(x, W, b)
            return x @ W.T + b

        @staticmethod
        def backward(ctx, dout):
            x, W, b = (t.detach() for t in ctx.saved_tensors)
            return tuple(g.detach() for g in student.linear_backward(x, W, b, dout.detach()))

    return StudentLinear.apply


@pytest.mark.points(3)
def test_linear_backward(student, credit):
    """linear_backward gives dx, dW, db of x @ W.T + b"""
    for batch, n_in, n_out in ((4, 5, 3), (1, 2, 6), (7, 3, 2)):
        x, W = matrix(batch, n_in, seed=batch), matrix(n_out, n_in, seed=50 + n_out)
        b, dout = point(n_out, seed=60 + n_out), matrix(batch, n_out, seed=70 + batch)
        with credit.case(f"batch {batch}, {n_in} → {n_out}"):
            call = student.call("linear_backward", x, W, b, dout)
            expect_type(call.result, tuple, "linear_backward(x, W, b, dout)")
            if len(call.result) != 3:
                raise Mistake(f"linear_backward returned {len(call.result)} values, expected 3: (dx, dW, db)")
            dx, dW, db = call.result
            true_dx, true_dW, true_db = true_linear_backward(x, W, b, dout)
            tol = dict(rtol=1e-10, atol=1e-12)
            expect_matrix(dx, true_dx, "dx", rows="sample", **tol)
            expect_matrix(dW, true_dW, "dW", rows="output unit (the shape of W)", **tol)
            if type(db) is torch.Tensor and db.shape == true_db.shape and batch > 1 \
                    and torch.allclose(db, true_db / batch, rtol=1e-8, atol=1e-10):
                raise Mistake("db is the mean of dout over the batch; b is added to every row, so its gradient is "
                              "the sum over the batch: dout.sum(dim=0)")
            expect_tensor(db, true_db, "db", **tol)
            for after, before, name in zip(call.args, (x, W, b, dout), ("x", "W", "b", "dout")):
                expect_unchanged(after, before, name)
    with credit.case("torch.autograd.gradcheck with your backward"):
        inputs = tuple(t.clone().requires_grad_(True) for t in (matrix(2, 3, seed=90), matrix(4, 3, seed=91),
                                                                 point(4, seed=92)))
        try:
            agrees = torch.autograd.gradcheck(student_linear(student), inputs, raise_exception=False)
        except (StudentFault, Mistake):
            raise
        except Exception as exc:  # noqa: BLE001 - autograd refuses gradients of the wrong shape or type
            raise Mistake(f"gradcheck could not use your linear_backward: {str(exc)[:300]}") from None
        if not agrees:
            raise Mistake("torch.autograd.gradcheck disagrees with your linear_backward: the numerical "
                          "derivatives of x @ W.T + b do not match the gradients you return")


# ---------------------------------------------------------------- the temperature fit


def reference_fit(t_u: torch.Tensor, t_c: torch.Tensor, n_epochs: int, lr: float, zero: bool = True):
    w = torch.ones((), dtype=t_u.dtype, requires_grad=True)
    b = torch.zeros((), dtype=t_u.dtype, requires_grad=True)
    for _ in range(n_epochs):
        if zero and w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        ((w * t_u + b - t_c) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.item(), b.item()


def _same(actual: tuple, expected: tuple, rtol: float = 2e-3, atol: float = 2e-3) -> bool:
    def close(a: float, e: float) -> bool:
        if math.isnan(e) or math.isinf(e):
            return math.isnan(a) and math.isnan(e) or a == e
        return abs(a - e) <= atol + rtol * abs(e)

    return all(close(a, e) for a, e in zip(actual, expected))


@pytest.mark.points(3)
def test_fit_linear(student, credit):
    """fit_linear runs gradient descent with autograd, zeroing gradients each epoch"""
    t_u, t_c = torch.tensor(T_U), torch.tensor(T_C)
    for label, u, n_epochs, lr in (("t_un = 0.1·t_u, 1500 epochs, lr=1e-2", 0.1 * t_u, 1500, 1e-2),
                                   ("raw t_u, 100 epochs, lr=1e-4", t_u, 100, 1e-4),
                                   ("t_un in float64, 300 epochs, lr=2e-2", 0.1 * t_u.double(), 300, 2e-2)):
        c = t_c.to(u.dtype)
        with credit.case(label):
            call = student.call("fit_linear", u, c, n_epochs, lr)
            expect_type(call.result, tuple, "fit_linear(...)")
            if len(call.result) != 2 or any(type(v) is not float for v in call.result):
                raise Mistake("fit_linear should return (w, b) as two Python floats (use .item())")
            expected = reference_fit(u, c, n_epochs, lr)
            if not _same(call.result, expected):
                if _same(call.result, reference_fit(u, c, n_epochs, lr, zero=False)):
                    raise Mistake("fit_linear never zeroes the gradients: backward() adds into w.grad and b.grad, "
                                  "so each step used the sum of all earlier gradients; call .grad.zero_() (or "
                                  "set .grad = None) before each backward()")
                raise Mistake(f"fit_linear returned w={call.result[0]:.5g}, b={call.result[1]:.5g}; expected "
                              f"w={expected[0]:.5g}, b={expected[1]:.5g}")
            expect_unchanged(call.args[0], u, "t_u")
            expect_unchanged(call.args[1], c, "t_c")
    with credit.case("called twice with the same data"):
        u, c = 0.1 * t_u, t_c
        first, second = student.fit_linear(u, c, 100, 1e-2), student.fit_linear(u, c, 100, 1e-2)
        for result in (first, second):
            if type(result) is not tuple or len(result) != 2 or any(type(v) is not float for v in result):
                raise Mistake("fit_linear should return (w, b) as two Python floats (use .item())")
        if first != second:
            raise Mistake(f"fit_linear gave {first} the first time and {second} the second: every call must "
                          "start again from w=1, b=0 with fresh gradients (no parameters kept between calls)")
