"""hw4_jacobians: derivatives by hand, by finite differences and by autograd.

Shapes matter here: for f: Rⁿ → Rᵐ the Jacobian has shape (m, n), one row per output.
Functions marked "no autograd" must compute their result by the formulas you derive
(the grader watches for tensors that require grad). Read INSTRUCTIONS.md first; the
public checks are in test_public.py.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def grad_half_sq_norm(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The gradient of f(x) = ½‖Ax‖² with respect to x, shape (n,), by the closed form (no autograd).

    A has shape (m, n) and x shape (n,); the result has x's dtype and device.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def jacobian_of_linear(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of x ↦ Ax at x, shape (m, n), by the closed form (no autograd).

    A new tensor, not A itself: changing the result must not change A.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of f: Rⁿ → Rᵐ at x, shape (m, n), computed with autograd.

    f takes a tensor of shape (n,) and returns one of shape (m,); the result has x's dtype.
    The caller's x must be left exactly as it was (its values, and requires_grad).
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def numerical_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """The Jacobian of f at x by central differences, computed in float64, shape (m, n) (no autograd).

    Column j is (f(x + eps·e_j) − f(x − eps·e_j)) / (2·eps). The result is float64 whatever
    x's dtype; x itself must be exactly the same afterwards.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def backprop_example(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """f(x, y) = 2cos²(xy) + ln(cos(xy)) and its partial derivatives, by hand (no autograd).

    Forward pass through the nodes w1..w8 of the lecture's computational graph, then the
    backward pass with the adjoints w̄8..w̄1. Works elementwise on tensors of one shape and
    returns (f, ∂f/∂x, ∂f/∂y), each of that shape.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def linear_backward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
                    dout: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of out = x @ W.T + b given dout = ∂L/∂out (no autograd).

    x: (B, n_in), W: (n_out, n_in), b: (n_out,), dout: (B, n_out). Returns (dx, dW, db) with
    the shapes of x, W and b.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def fit_linear(t_u: torch.Tensor, t_c: torch.Tensor, n_epochs: int, lr: float) -> tuple[float, float]:
    """Fit t_c ≈ w·t_u + b by gradient descent on the mean squared error, with autograd.

    Start from w = 1, b = 0 (tensors of t_u's dtype that require grad). Each epoch: zero the
    gradients, compute the loss, call backward(), and update w and b in place under
    torch.no_grad(). Returns (w, b) as Python floats; t_u and t_c are left unchanged.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")
