"""Hidden graders for hw4: ½‖Ax‖², the Jacobian of Ax, Jacobians by autograd and by central differences."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import Mistake, expect_matrix, expect_not_shared, expect_tensor, expect_unchanged
from autograder.graders.hw4_jacobians.helpers import make_f, matrix, point, true_jacobian

# ---------------------------------------------------------------- ½‖Ax‖² and the Jacobian of Ax


@pytest.mark.points(2)
def test_grad_half_sq_norm(student, credit):
    """grad_half_sq_norm matches autograd's gradient of ½‖Ax‖²"""
    for m, n, dtype in ((3, 5, torch.float64), (6, 2, torch.float64), (1, 4, torch.float64), (4, 7, torch.float32)):
        A, x = matrix(m, n, seed=m * 10 + n, dtype=dtype), point(n, seed=n, dtype=dtype)
        with credit.case(f"A of shape ({m}, {n}), {str(dtype).removeprefix('torch.')}"):
            call = student.call("grad_half_sq_norm", A, x)
            xg = x.clone().requires_grad_(True)
            (expected,) = torch.autograd.grad(0.5 * (A @ xg).pow(2).sum(), xg)
            tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
            if type(call.result) is torch.Tensor and call.result.shape == (m,) and m != n:
                raise Mistake(f"grad_half_sq_norm(A, x) has shape ({m},), the shape of Ax; the gradient with "
                              f"respect to x has x's shape ({n},): it is Aᵀ(Ax)")
            expect_tensor(call.result, expected, "grad_half_sq_norm(A, x)", **tol)
            expect_unchanged(call.args[0], A, "A")
            expect_unchanged(call.args[1], x, "x")


@pytest.mark.points(2)
def test_jacobian_of_linear(student, credit):
    """jacobian_of_linear is the (m, n) Jacobian of x ↦ Ax, a new tensor"""
    for m, n in ((3, 5), (6, 2), (1, 4)):
        A, x = matrix(m, n, seed=m + 7 * n), point(n, seed=n + 3)
        with credit.case(f"A of shape ({m}, {n})"):
            call = student.call("jacobian_of_linear", A, x)
            expect_matrix(call.result, true_jacobian("linear", A, x), "jacobian_of_linear(A, x)", rtol=0, atol=0)
            expect_unchanged(call.args[0], A, "A")
            # A itself would be right by value, but a caller who changes "the Jacobian" would change A too
            expect_not_shared(call.result, call.args[0], "jacobian_of_linear(A, x)", "A (return a copy: A.clone())")


# ---------------------------------------------------------------- Jacobians of any f


def _accumulated(actual: object, expected: torch.Tensor) -> bool:
    """Row i equal to rows 0..i summed: x.grad kept the earlier rows' gradients."""
    if type(actual) is not torch.Tensor or actual.shape != expected.shape or expected.shape[0] < 2:
        return False
    summed = expected.cumsum(dim=0).to(actual.dtype)
    return bool(torch.allclose(actual, summed, rtol=1e-5, atol=1e-6)) and not torch.allclose(summed, expected)


@pytest.mark.points(3)
def test_jacobian(student, credit):
    """jacobian(f, x) equals torch.autograd.functional.jacobian, shape (m, n), x untouched"""
    cases = [("linear", 3, 5, torch.float64), ("tanh", 6, 2, torch.float64), ("mixed", 4, 3, torch.float64),
             ("tanh", 2, 5, torch.float32)]
    for kind, m, n, dtype in cases:
        A, x = matrix(m if kind != "mixed" else 1, n, seed=31 * m + n), point(n, seed=5 * n + m, dtype=dtype)
        label = f"f: R^{n} → R^{m} ({kind}, {str(dtype).removeprefix('torch.')})"
        with credit.case(label):
            f = student.trusted(make_f, kind, A)
            call = student.call("jacobian", f, x)
            expected = true_jacobian(kind, A, x)
            if _accumulated(call.result, expected):
                raise Mistake("jacobian(f, x): each row holds the sum of all rows so far: gradients accumulate in "
                              "x.grad between backward() calls; zero x.grad before each row, or use "
                              "torch.autograd.grad, which returns fresh gradients")
            tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
            expect_matrix(call.result, expected, "jacobian(f, x)", **tol)
            expect_unchanged(call.args[1], x, "x")
            if call.args[1].requires_grad:
                raise Mistake("jacobian(f, x) switched on requires_grad of the caller's x (requires_grad_() works "
                              "in place); work on x.detach().clone().requires_grad_()")
    with credit.case("called twice on the same f and x"):
        A, x = matrix(3, 4, seed=77), point(4, seed=77)
        f = student.trusted(make_f, "tanh", A)
        first, second = student.jacobian(f, x), student.jacobian(f, x)
        expect_matrix(second, true_jacobian("tanh", A, x), "the second call of jacobian(f, x)", rtol=1e-10,
                      atol=1e-12)
        if type(first) is torch.Tensor and first.shape == second.shape and not torch.equal(first, second):
            raise Mistake("jacobian(f, x) gave a different answer the second time: state from the first call "
                          "(an accumulated .grad?) leaked into the second")


def _forward_differences(kind: str, A: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    f, base = make_f(kind, A), x.to(torch.float64)
    columns = [(f(base + eps * torch.eye(len(base), dtype=base.dtype)[j]) - f(base)) / eps for j in range(len(base))]
    return torch.stack(columns, dim=1)


NUMERICAL_CASES = [("tanh", 6, 2, torch.float64), ("mixed", 4, 3, torch.float64), ("tanh", 3, 5, torch.float32),
                   ("linear", 2, 4, torch.float64)]


@pytest.mark.points(3)
def test_numerical_jacobian(student, credit):
    """numerical_jacobian uses central differences in float64"""
    for kind, m, n, dtype in NUMERICAL_CASES:
        A, x = matrix(m if kind != "mixed" else 1, n, seed=13 * m + n), point(n, seed=3 * n + m, dtype=dtype)
        with credit.case(f"f: R^{n} → R^{m} ({kind}), x in {str(dtype).removeprefix('torch.')}"):
            f = student.trusted(make_f, kind, A)
            result = student.numerical_jacobian(f, x, 1e-6)
            expected = true_jacobian(kind, A, x.to(torch.float64))
            # the dtype advice only for an answer of the right shape (an empty or misshapen one has other troubles)
            if type(result) is torch.Tensor and result.shape == expected.shape and result.dtype != torch.float64:
                raise Mistake(f"numerical_jacobian returned {result.dtype}; compute in float64: with eps=1e-6, "
                              "float32 (about 7 significant digits) loses most of f(x+eps) − f(x−eps) to rounding")
            if (type(result) is torch.Tensor and result.shape == expected.shape and kind != "linear"
                    and torch.allclose(result, _forward_differences(kind, A, x, 1e-6), rtol=1e-9, atol=1e-10)):
                raise Mistake("numerical_jacobian matches forward differences (f(x+eps) − f(x))/eps, whose error "
                              "is of order eps; use central differences (f(x+eps) − f(x−eps))/(2·eps)")
            expect_matrix(result, expected, "numerical_jacobian(f, x)", rtol=1e-7, atol=1e-8)


@pytest.mark.points(1)
def test_numerical_jacobian_leaves_x(student, credit):
    """numerical_jacobian leaves x exactly as it was"""
    for kind, m, n, dtype in NUMERICAL_CASES:
        A, x = matrix(m if kind != "mixed" else 1, n, seed=13 * m + n), point(n, seed=3 * n + m, dtype=dtype)
        with credit.case(f"x of {n} {str(dtype).removeprefix('torch.')} values"):
            call = student.call("numerical_jacobian", student.trusted(make_f, kind, A), x, 1e-6)
            # points only for answers: a function that does nothing (or the wrong thing) leaves x alone too
            try:
                expect_matrix(call.result, true_jacobian(kind, A, x.to(torch.float64)), "numerical_jacobian(f, x)",
                              rtol=1e-7, atol=1e-8)
            except Mistake as exc:
                raise Mistake(f"numerical_jacobian's answer is not right yet ({exc}), so leaving x unchanged "
                              "earns nothing") from None
            expect_unchanged(call.args[1], x, "x")
