"""Mistake: jacobian_of_linear returns A itself, so changing the Jacobian changes A."""

from __future__ import annotations

from collections.abc import Callable

import torch


def grad_half_sq_norm(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The gradient of f(x) = ½‖Ax‖² with respect to x, shape (n,), by the closed form (no autograd).

    A has shape (m, n) and x shape (n,); the result has x's dtype and device.
    """
    # chain rule: ∂f/∂y = y = Ax and J_y = A, so ∇f = J_yᵀ y = Aᵀ(Ax); never form AᵀA (n×n)
    return A.mT @ (A @ x)


def jacobian_of_linear(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of x ↦ Ax at x, shape (m, n), by the closed form (no autograd).

    A new tensor, not A itself: changing the result must not change A.
    """
    # row i is ∂y_i/∂x = a_iᵀ: the rows of A are the rows of the Jacobian, whatever x is
    return A  # the values are right, but this is A itself


def jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of f: Rⁿ → Rᵐ at x, shape (m, n), computed with autograd.

    f takes a tensor of shape (n,) and returns one of shape (m,); the result has x's dtype.
    The caller's x must be left exactly as it was (its values, and requires_grad).
    """
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.shape[0]):
        # autograd.grad returns fresh gradients: nothing accumulates in x.grad between rows
        (row,) = torch.autograd.grad(y[i], x, retain_graph=True, allow_unused=True)
        rows.append(torch.zeros_like(x) if row is None else row)
    return torch.stack(rows).detach() if rows else x.new_zeros((0, x.shape[0]))


def numerical_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """The Jacobian of f at x by central differences, computed in float64, shape (m, n) (no autograd).

    Column j is (f(x + eps·e_j) − f(x − eps·e_j)) / (2·eps). The result is float64 whatever
    x's dtype; x itself must be exactly the same afterwards.
    """
    base = x.detach().to(torch.float64).clone()  # a float64 copy: x is never touched
    columns = []
    for j in range(base.shape[0]):
        step = torch.zeros_like(base)
        step[j] = eps
        columns.append((f(base + step) - f(base - step)).to(torch.float64) / (2 * eps))
    return torch.stack(columns, dim=1)


def backprop_example(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """f(x, y) = 2cos²(xy) + ln(cos(xy)) and its partial derivatives, by hand (no autograd).

    Forward pass through the nodes w1..w8 of the lecture's computational graph, then the
    backward pass with the adjoints w̄8..w̄1. Works elementwise on tensors of one shape and
    returns (f, ∂f/∂x, ∂f/∂y), each of that shape.
    """
    # forward
    w1, w2 = x, y
    w3 = w1 * w2
    w4 = torch.cos(w3)
    w5 = w4**2
    w6 = 2 * w5
    w7 = torch.log(w4)
    w8 = w6 + w7
    # backward: each adjoint collects (successor's adjoint) × (∂successor/∂node)
    w8_bar = torch.ones_like(w8)
    w7_bar = w8_bar
    w6_bar = w8_bar
    w5_bar = 2 * w6_bar
    w4_bar = w7_bar / w4 + w5_bar * 2 * w4
    w3_bar = -w4_bar * torch.sin(w3)
    w1_bar = w3_bar * w2
    w2_bar = w3_bar * w1
    return w8, w1_bar, w2_bar


def linear_backward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
                    dout: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of out = x @ W.T + b given dout = ∂L/∂out (no autograd).

    x: (B, n_in), W: (n_out, n_in), b: (n_out,), dout: (B, n_out). Returns (dx, dW, db) with
    the shapes of x, W and b.
    """
    dx = dout @ W
    dW = dout.mT @ x
    db = dout.sum(dim=0)  # b was broadcast over the batch, so its gradient sums over it
    return dx, dW, db


def fit_linear(t_u: torch.Tensor, t_c: torch.Tensor, n_epochs: int, lr: float) -> tuple[float, float]:
    """Fit t_c ≈ w·t_u + b by gradient descent on the mean squared error, with autograd.

    Start from w = 1, b = 0 (tensors of t_u's dtype that require grad). Each epoch: zero the
    gradients, compute the loss, call backward(), and update w and b in place under
    torch.no_grad(). Returns (w, b) as Python floats; t_u and t_c are left unchanged.
    """
    w = torch.ones((), dtype=t_u.dtype, device=t_u.device, requires_grad=True)
    b = torch.zeros((), dtype=t_u.dtype, device=t_u.device, requires_grad=True)
    for _ in range(n_epochs):
        # backward() adds into .grad: without zeroing, every step would use the sum of all past gradients
        for p in (w, b):
            if p.grad is not None:
                p.grad.zero_()
        loss = ((w * t_u + b - t_c) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.item(), b.item()
