"""hw3 specs: the reference answers, written with plain loops, and the classic wrong answers.

The specs loop over Python floats in double precision so they share no trick with a vectorised
answer; the hints predict what each named mistake returns, so feedback can name it.
"""

from __future__ import annotations

import math

import torch

PARAMS = {
    "broadcast_shape": ("a", "b"),
    "pairwise_sq_distances": ("X", "Y"),
    "normalize_channels": ("img", "mean", "std"),
    "vec_mat": ("v", "A"),
    "batched_matvec": ("A", "v"),
    "outer_sum": ("a", "b"),
    "stable_softmax": ("x", "dim"),
}

TENSOR_FUNCTIONS = tuple(name for name in PARAMS if name != "broadcast_shape")


# ---------------------------------------------------------------- specs (loops on purpose)


def spec_broadcast_shape(a: tuple, b: tuple) -> tuple[int, ...]:
    """The broadcast shape, or ValueError carrying the two clashing sizes."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise ValueError(x, y)
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def spec_pairwise_sq_distances(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    xs, ys = X.double().tolist(), Y.double().tolist()
    out = [[sum((p - q) ** 2 for p, q in zip(x, y)) for y in ys] for x in xs]
    return torch.tensor(out, dtype=torch.float64).reshape(len(xs), len(ys)).to(X.dtype)


def spec_normalize_channels(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    out = img.double().clone()
    for c in range(img.shape[1]):
        out[:, c] = (out[:, c] - float(mean[c])) / float(std[c])
    return out.to(img.dtype).contiguous()


def spec_vec_mat(v: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    rows = A.double().tolist()
    values = v.double().tolist()
    out = [sum(values[k] * rows[k][col] for k in range(len(values))) for col in range(A.shape[1])]
    return torch.tensor(out, dtype=torch.float64).reshape(A.shape[1]).to(A.dtype)


def spec_batched_matvec(A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    batch, rows, inner = A.shape
    out = torch.zeros(batch, rows, dtype=torch.float64)
    for b in range(batch):
        for i in range(rows):
            out[b, i] = sum(float(A[b, i, k]) * float(v[b, k]) for k in range(inner))
    return out.to(A.dtype)


def spec_outer_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = [[x + y for y in b.tolist()] for x in a.tolist()]
    return torch.tensor(out, dtype=torch.promote_types(a.dtype, b.dtype)).reshape(len(a), len(b))


def spec_stable_softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    moved = x.double().movedim(dim, -1)
    flat = moved.reshape(-1, moved.shape[-1]).tolist()
    rows = []
    for row in flat:
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        rows.append([e / sum(exps) for e in exps])
    out = torch.tensor(rows, dtype=torch.float64).reshape(moved.shape).movedim(-1, dim)
    return out.to(x.dtype).contiguous()


SPECS = {
    "broadcast_shape": spec_broadcast_shape,
    "pairwise_sq_distances": spec_pairwise_sq_distances,
    "normalize_channels": spec_normalize_channels,
    "vec_mat": spec_vec_mat,
    "batched_matvec": spec_batched_matvec,
    "outer_sum": spec_outer_sum,
    "stable_softmax": spec_stable_softmax,
}

# ---------------------------------------------------------------- known mistakes, for feedback that names them


def hints(name: str, args: tuple) -> list[tuple[str, object]]:
    """(message, lazily predicted result) of the classic wrong answers to ``name`` on ``args``."""
    if name == "broadcast_shape":
        a, b = args
        n = max(len(a), len(b))
        right_a, right_b = tuple(a) + (1,) * (n - len(a)), tuple(b) + (1,) * (n - len(b))
        return [
            ("Rule 1 pads the shorter shape with 1s on the *left* (align the shapes at their last dimension)",
             lambda: tuple(y if x == 1 else x for x, y in zip(right_a, right_b))),
            ("Rule 3 stretches only a size-1 dimension: 1 against 0 gives 0, not max(1, 0)",
             lambda: tuple(max(x, y) for x, y in zip((1,) * (n - len(a)) + tuple(a),
                                                      (1,) * (n - len(b)) + tuple(b)))),
        ]
    if name == "pairwise_sq_distances":
        X, Y = args
        return [("Your result is (M, N), the transpose: rows of X index the first dimension",
                 lambda: spec_pairwise_sq_distances(Y, X)),
                ("Both squared norms kept their dimension, so (N, 1) met (M, 1): the norms of Y must be a row, "
                 "(1, M), to broadcast against the (N, 1) norms of X",
                 lambda: ((X * X).sum(1, keepdim=True) + (Y * Y).sum(1, keepdim=True) - 2 * X @ Y.T).clamp(min=0))]
    if name == "normalize_channels":
        img, mean, std = args
        return [("The (C,) statistics lined up with the last dimension W, not with C: view them as (1, C, 1, 1)",
                 lambda: (img - mean) / std)]
    if name == "vec_mat":
        v, A = args
        return [
            ("torch.mm gave (1, L): squeeze dimension 0 away to return shape (L,)",
             lambda: spec_vec_mat(v, A).reshape(1, -1)),
            ("squeeze() without a dimension also removed L when L == 1: use squeeze(0)",
             lambda: spec_vec_mat(v, A).squeeze()),
        ]
    if name == "batched_matvec":
        A, v = args
        return [
            ("torch.bmm gave (B, I, 1): squeeze dimension 2 away to return shape (B, I)",
             lambda: spec_batched_matvec(A, v).unsqueeze(2)),
            ("squeeze() without a dimension also removed B or I when it is 1: use squeeze(2) (or squeeze(-1))",
             lambda: spec_batched_matvec(A, v).squeeze()),
        ]
    if name == "outer_sum":
        a, b = args
        return [("Your result is (M, N), the transpose: unsqueeze a to (N, 1) and b to (1, M); "
                 "(N,) against (M, 1) broadcasts to (M, N)", lambda: spec_outer_sum(b, a))]
    if name == "stable_softmax":
        x, dim = args
        return [
            ("exp() of a large entry overflowed to inf (inf / inf = NaN): subtract the maximum along dim, "
             "with keepdim=True, before exp()",
             lambda: x.exp() / x.exp().sum(dim=dim, keepdim=True)),
            ("Without keepdim=True the maximum (or the sum) lost its dimension and broadcast against the wrong "
             "one, the (4,) against (4, 1) mistake: use keepdim=True",
             lambda: (x - x.amax(dim=dim)).exp() / (x - x.amax(dim=dim)).exp().sum(dim=dim)),
            ("You subtracted the maximum of the whole tensor: a slice far below it underflows to 0 / 0 = NaN; "
             "subtract the maximum along dim (keepdim=True)",
             lambda: (x - x.max()).exp() / (x - x.max()).exp().sum(dim=dim, keepdim=True)),
        ]
    return []
