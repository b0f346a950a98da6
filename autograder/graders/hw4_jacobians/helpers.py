"""What the hw4 graders share: test inputs, expected values by autograd, and helpers shipped to the worker.

The functions ``f`` handed to ``jacobian`` / ``numerical_jacobian`` are grader code too: their
source is shipped to the worker (``student.trusted``) and stays there behind a handle, while
the grader builds the same function locally for the expected Jacobian. Shapes always have
m ≠ n so a transposed answer cannot pass, and inputs stay away from kinks and poles.
"""

from __future__ import annotations

import torch

from autograder.checks import Mistake, expect_type

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
    """Run a student function in the worker and name the torch calls that involved tensors requiring grad.

    A TorchFunctionMode sees every torch call of the calling thread; it is thread-local, so threads the
    function starts (``threading``) get a profile hook that names calls into autograd's entry points
    (``torch.autograd.grad``/``backward``, ``autograd.functional``, ``torch.func``) and ``requires_grad_``.
    What the worker reports stays a claim (SECURITY.md, "Checks that remain claims").
    """
    import sys
    import threading

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

    entry_files = ("torch/autograd/__init__.py", "torch/autograd/functional.py", "torch/_functorch/eager_transforms.py",
                   "torch/_functorch/apis.py", "torch/_tensor.py")
    entry_names = {"grad", "backward", "jacobian", "hessian", "vjp", "jvp", "vhp", "hvp", "jacrev", "jacfwd",
                   "grad_and_value", "grad_impl", "grad_and_value_impl"}

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_name in entry_names and code.co_filename.replace("\\", "/").endswith(entry_files):
                seen.append(f"{code.co_name} (in a thread)")
        elif event == "c_call" and getattr(arg, "__name__", "") in ("requires_grad_", "run_backward"):
            seen.append(f"{arg.__name__} (in a thread)")

    threading.setprofile(profile)
    try:
        with Watch():
            getattr(sys.modules[module_name], name)(*args)
    except Exception:  # noqa: BLE001 - correctness is checked elsewhere; here only autograd use matters
        pass
    finally:
        threading.setprofile(None)
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
    # the worker's report, so exact types and bounded before use (an empty list is the claim of no autograd)
    if type(used) is not list or not all(type(u) is str for u in used[:1000]):
        raise Mistake(f"the grader could not watch {name}'s torch calls (its report was replaced): leave the "
                      "grader's helpers alone")
    if used:
        used = [u[:80] for u in used[:1000]]
        named = [u for u in used if not u.startswith("_")] or used  # `__get__` (reading .grad) says little
        raise Mistake(f"{name} used autograd (tensors that require grad went through {', '.join(named[:3])}); "
                      "this exercise asks for the gradient by the formula you derive, without autograd")


def true_backprop(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    xg, yg = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
    f = 2 * torch.cos(xg * yg) ** 2 + torch.log(torch.cos(xg * yg))
    dx, dy = torch.autograd.grad(f.sum(), (xg, yg))
    return f.detach(), dx, dy



def true_linear_backward(x, W, b, dout):
    xg, Wg, bg = (t.clone().requires_grad_(True) for t in (x, W, b))
    (xg @ Wg.T + bg).backward(dout)
    return xg.grad, Wg.grad, bg.grad

