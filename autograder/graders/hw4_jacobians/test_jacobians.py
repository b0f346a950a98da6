"""Hidden graders for hw4_jacobians. Expected values come from autograd here, in the trusted process.

The functions ``f`` handed to ``jacobian`` / ``numerical_jacobian`` are grader code too: their
source is shipped to the worker (``student.trusted``) and stays there behind a handle, while
the grader builds the same function locally for the expected Jacobian. Shapes always have
m ≠ n so a transposed answer cannot pass, and inputs stay away from kinks and poles.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograder.checks import (
    Mistake,
    expect_matrix,
    expect_tensor,
    expect_tensor_meta,
    expect_type,
    expect_unchanged,
)
from autograder.proxy import StudentError, StudentFault

# the temperature data of "Deep Learning with PyTorch", chapter 5 (Celsius, and an unknown unit)
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def make_f(kind, A):
    """A function Rⁿ → Rᵐ, built in the worker from this source and kept there behind a handle."""
    import torch

    def f(x):
        a = A.to(dtype=x.dtype, device=x.device)
        if kind == "linear":
            return a @ x
        if kind == "tanh":
            return torch.tanh(a @ x) + 0.5 * (a @ (x * x))
        return torch.stack([x.prod(), torch.sin(x).sum(), torch.exp(a[0] @ x), (x**3).sum()])

    return f


def autograd_calls(module_name, name, *args):
    """Run a student function in the worker and name the torch calls that involved tensors requiring grad."""
    import sys

    import torch
    from torch.overrides import TorchFunctionMode

    seen = []

    def tracked(value):
        if isinstance(value, torch.Tensor):
            return value.requires_grad
        if isinstance(value, (list, tuple)):
            return any(tracked(v) for v in value)
        return False

    class Watch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if tracked(args) or tracked(list(kwargs.values())) or tracked(out):
                seen.append(str(getattr(func, "__name__", func)))
            return out

    try:
        with Watch():
            getattr(sys.modules[module_name], name)(*args)
    except Exception:  # noqa: BLE001 - correctness is checked elsewhere; here only autograd use matters
        pass
    return sorted(set(seen))


def matrix(m: int, n: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(m, n, generator=generator, dtype=torch.float64) * 2 - 1).to(dtype)


def point(n: int, seed: int, dtype: torch.dtype = torch.float64, scale: float = 0.8) -> torch.Tensor:
    """Entries in ±[0.2, 1]·scale: away from 0, where products and powers have kinks of sign."""
    generator = torch.Generator().manual_seed(1000 + seed)
    magnitude = 0.2 + 0.8 * torch.rand(n, generator=generator, dtype=torch.float64)
    sign = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0).to(torch.float64)
    return (magnitude * sign * scale).to(dtype)


def true_jacobian(kind: str, A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.jacobian(make_f(kind, A), x)


def expect_tuple(value: object, length: int, what: str) -> tuple:
    expect_type(value, tuple, what)
    if len(value) != length:
        raise Mistake(f"{what} returned {len(value)} values, expected {length}")
    return value


def forbid_autograd(student, name: str, *args) -> None:
    used = student.trusted(autograd_calls, student.session.submission.module, name, *args)
    if used:
        used = [str(u) for u in used] if type(used) is list else [str(used)]
        named = [u for u in used if not u.startswith("_")] or used  # `__get__` (reading .grad) says little
        raise Mistake(f"{name} used autograd (tensors that require grad went through {', '.join(named[:3])}); "
                      "this exercise asks for the gradient by the formula you derive, without autograd")


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
    """jacobian_of_linear is the (m, n) Jacobian of x ↦ Ax"""
    for m, n in ((3, 5), (6, 2), (1, 4)):
        A, x = matrix(m, n, seed=m + 7 * n), point(n, seed=n + 3)
        with credit.case(f"A of shape ({m}, {n})"):
            call = student.call("jacobian_of_linear", A, x)
            expect_matrix(call.result, true_jacobian("linear", A, x), "jacobian_of_linear(A, x)", rtol=0, atol=0)
            expect_unchanged(call.args[0], A, "A")


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
            if type(result) is torch.Tensor and result.dtype != torch.float64:
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
            # only a tensor earns this point: a function that does nothing leaves x alone too (values and
            # dtype are test_numerical_jacobian's business, so one mistake is not charged twice)
            expect_type(call.result, torch.Tensor, "numerical_jacobian(f, x)")
            expect_unchanged(call.args[1], x, "x")


# ---------------------------------------------------------------- backprop by hand


def true_backprop(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    xg, yg = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
    f = 2 * torch.cos(xg * yg) ** 2 + torch.log(torch.cos(xg * yg))
    dx, dy = torch.autograd.grad(f.sum(), (xg, yg))
    return f.detach(), dx, dy


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


def true_linear_backward(x, W, b, dout):
    xg, Wg, bg = (t.clone().requires_grad_(True) for t in (x, W, b))
    (xg @ Wg.T + bg).backward(dout)
    return xg.grad, Wg.grad, bg.grad


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
