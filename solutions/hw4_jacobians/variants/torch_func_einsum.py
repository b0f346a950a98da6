"""Correct variant: torch.func.jacrev for the Jacobian, einsum for the closed forms."""

import torch
from torch.func import jacrev


def grad_half_sq_norm(A, x):
    return torch.einsum("ij,i->j", A, torch.einsum("ij,j->i", A, x))


def jacobian_of_linear(A, x):
    return torch.einsum("ij->ij", A).clone()


def jacobian(f, x):
    return jacrev(f)(x.detach().clone())


def numerical_jacobian(f, x, eps=1e-6):
    x64 = x.detach().double()
    eye = torch.eye(x64.numel(), dtype=torch.float64)
    return torch.stack([(f(x64 + eps * e) - f(x64 - eps * e)).double() / (2 * eps) for e in eye], dim=1)


def backprop_example(x, y):
    c = torch.cos(x * y)
    s = torch.sin(x * y)
    f = 2 * c**2 + torch.log(c)
    common = -(4 * c * s + s / c)
    return f, common * y, common * x


def linear_backward(x, W, b, dout):
    return torch.einsum("bo,oi->bi", dout, W), torch.einsum("bo,bi->oi", dout, x), torch.einsum("bo->o", dout)


def fit_linear(t_u, t_c, n_epochs, lr):
    params = torch.tensor([1.0, 0.0], dtype=t_u.dtype, requires_grad=True)
    for _ in range(n_epochs):
        if params.grad is not None:
            params.grad.zero_()
        w, b = params
        loss = ((w * t_u + b - t_c) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            params -= lr * params.grad
    return params[0].item(), params[1].item()
