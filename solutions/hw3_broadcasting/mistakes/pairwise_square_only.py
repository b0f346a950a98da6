"""Example mistake (pairwise_square_only) for hw3_broadcasting; tests/test_hw3_broadcasting.py lists what it loses.

The mistake: keepdim on both squared norms, so (N, 1) meets (M, 1): right only when N == M is never
the case, it is the classic (4,) against (4, 1) confusion.
"""

from __future__ import annotations

import torch


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of ``x + y`` for tensors of shapes ``a`` and ``b``, by the lecture's three rules.

    1. pad the shorter shape with 1s on the left until both have the same length;
    2. they are incompatible if, in one dimension, the sizes differ and neither is 1: then raise
       ``ValueError`` with a message naming that dimension and both sizes;
    3. a size-1 dimension is stretched to the other size (so 1 against 0 gives 0).

    Returns a tuple of ints. Uses neither torch nor numpy (no ``torch.broadcast_shapes``, no
    tensors made to be added): work from the two tuples alone.
    """
    ndim = max(len(a), len(b))
    padded_a = (1,) * (ndim - len(a)) + tuple(a)
    padded_b = (1,) * (ndim - len(b)) + tuple(b)
    result = []
    for dim, (x, y) in enumerate(zip(padded_a, padded_b)):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"shapes {tuple(a)} and {tuple(b)} are incompatible at dimension {dim - ndim} "
                             f"(counting from the right): sizes {x} and {y}")
        result.append(y if x == 1 else x)
    return tuple(result)


def pairwise_sq_distances(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between the rows of X (N, D) and of Y (M, D): shape (N, M).

    ``out[i, j] = sum_d (X[i, d] - Y[j, d]) ** 2``, every entry >= 0 (if you expand the square,
    rounding can make a zero distance slightly negative: clamp it).
    """
    xx = (X * X).sum(dim=1, keepdim=True)
    yy = (Y * Y).sum(dim=1, keepdim=True)
    return (xx + yy - 2 * X @ Y.T).clamp(min=0)


def normalize_channels(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(img - mean) / std`` per channel: img is (B, C, H, W), mean and std are (C,). Shape (B, C, H, W)."""
    return (img - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)


def vec_mat(v: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """The row vector times matrix product ``(vA)_l = sum_k v_k A_kl`` for v (K,) and A (K, L): shape (L,).

    As in the lecture: ``torch.mm`` needs 2-D inputs, so unsqueeze v to (1, K), multiply to get
    (1, L), and squeeze that dimension away (only that one: L may be 1).
    """
    return torch.mm(v.unsqueeze(0), A).squeeze(0)


def batched_matvec(A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``out[b] = A[b] @ v[b]`` for A (B, I, K) and v (B, K): shape (B, I), with one ``torch.bmm``."""
    return torch.bmm(A, v.unsqueeze(2)).squeeze(2)


def outer_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``out[i, j] = a[i] + b[j]`` for a (N,) and b (M,): shape (N, M)."""
    return a.unsqueeze(1) + b.unsqueeze(0)


def stable_softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Softmax of ``x`` along ``dim``, finite even for entries of +-1e4: same shape and dtype as x.

    ``exp(x)`` overflows to inf for large x. Subtracting the maximum along ``dim`` first
    (keeping the dimension, so that it broadcasts back) changes nothing mathematically and
    keeps every exponent <= 0. The slices along ``dim`` sum to 1. Do not call torch.softmax.
    """
    shifted = x - x.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)
