"""A correct hw3 by a student who thinks in numpy: 1-D @ 2-D, reshape(-1, 1), axis=, expand_as."""

import torch


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    bad = [i for i in range(n) if a[i] != b[i] and a[i] != 1 and b[i] != 1]
    if bad:
        i = bad[0]
        raise ValueError(f"axis {i - n}: {a[i]} vs {b[i]}")
    return tuple(b[i] if a[i] == 1 else a[i] for i in range(n))


def pairwise_sq_distances(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=2)


def normalize_channels(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    C = img.shape[1]
    return (img - mean.reshape(1, C, 1, 1)) / std.reshape(1, C, 1, 1)


def vec_mat(v: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    return v @ A  # a 1-D vector times a matrix is already (L,)


def batched_matvec(A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (A @ v.unsqueeze(-1)).squeeze(-1)


def outer_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a.reshape(-1, 1) + b


def stable_softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    top = x.amax(axis=dim, keepdim=True)
    e = torch.exp(x - top)
    return e / e.sum(axis=dim, keepdim=True)
