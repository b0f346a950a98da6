"""hw3_broadcasting: broadcasting, unsqueeze/squeeze and batched products, without loops over elements.

Rules for every function here (the grader checks each one, for separate points):

- No Python loops in the tensor functions: no ``for``, ``while``, comprehension, ``map`` or
  recursion. Broadcasting and built-in operations do the work ("it is MUCHHH faster than
  nested for-loops"). ``broadcast_shape`` is the exception: it works on tuples of ints, and
  may loop over their few dimensions, but must not use torch or numpy at all.
- Exact shapes and dtypes, as stated: ``(N, M)`` is not ``(M, N)`` and ``(L,)`` is not ``(1, L)``.
- Inputs are never changed.
- Any device: a new tensor is created on the input's device.

Read INSTRUCTIONS.md for the lecture's shape tables; run the public checks with
``tensorgrade check hw3_broadcasting broadcasting.py``.
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
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def pairwise_sq_distances(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between the rows of X (N, D) and of Y (M, D): shape (N, M).

    ``out[i, j] = sum_d (X[i, d] - Y[j, d]) ** 2``, every entry >= 0 (if you expand the square,
    rounding can make a zero distance slightly negative: clamp it).
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def normalize_channels(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(img - mean) / std`` per channel: img is (B, C, H, W), mean and std are (C,). Shape (B, C, H, W)."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def vec_mat(v: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """The row vector times matrix product ``(vA)_l = sum_k v_k A_kl`` for v (K,) and A (K, L): shape (L,).

    As in the lecture: ``torch.mm`` needs 2-D inputs, so unsqueeze v to (1, K), multiply to get
    (1, L), and squeeze that dimension away (only that one: L may be 1).
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def batched_matvec(A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``out[b] = A[b] @ v[b]`` for A (B, I, K) and v (B, K): shape (B, I), with one ``torch.bmm``."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def outer_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``out[i, j] = a[i] + b[j]`` for a (N,) and b (M,): shape (N, M)."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def stable_softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Softmax of ``x`` along ``dim``, finite even for entries of +-1e4: same shape and dtype as x.

    ``exp(x)`` overflows to inf for large x. Subtracting the maximum along ``dim`` first
    (keeping the dimension, so that it broadcasts back) changes nothing mathematically and
    keeps every exponent <= 0. The slices along ``dim`` sum to 1. Do not call torch.softmax.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")
