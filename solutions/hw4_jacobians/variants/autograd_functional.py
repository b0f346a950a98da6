"""Correct variant: torch.autograd.functional.jacobian, the matrix forms spelled with .T, an optimizer for the fit."""

import torch


def grad_half_sq_norm(A, x):
    y = A @ x
    return A.T @ y


def jacobian_of_linear(A, x):
    return A.detach().clone()


def jacobian(f, x):
    return torch.autograd.functional.jacobian(f, x.detach())


def numerical_jacobian(f, x, eps=1e-6):
    x = x.detach().to(torch.float64)
    n = x.shape[0]
    cols = []
    for j in range(n):
        h = torch.zeros(n, dtype=torch.float64)
        h[j] = eps
        cols.append((f(x + h).to(torch.float64) - f(x - h).to(torch.float64)) / (2 * eps))
    return torch.stack(cols).T


def backprop_example(x, y):
    xy = x * y
    f = 2 * torch.cos(xy) ** 2 + torch.log(torch.cos(xy))
    d_xy = -4 * torch.cos(xy) * torch.sin(xy) - torch.tan(xy)
    return f, d_xy * y, d_xy * x


def linear_backward(x, W, b, dout):
    return dout @ W, dout.T @ x, dout.sum(0)


def fit_linear(t_u, t_c, n_epochs, lr):
    w = torch.ones((), dtype=t_u.dtype, requires_grad=True)
    b = torch.zeros((), dtype=t_u.dtype, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for _ in range(n_epochs):
        optimizer.zero_grad()
        loss = torch.mean((w * t_u + b - t_c) ** 2)
        loss.backward()
        optimizer.step()
    return float(w), float(b)
