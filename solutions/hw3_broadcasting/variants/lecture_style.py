"""A correct hw3 the way the broadcasting lecture writes it: |x|^2 + |y|^2 - 2 x.y, None-indexing, logsumexp."""

import torch


def broadcast_shape(a, b):
    a, b = list(a), list(b)
    while len(a) < len(b):
        a.insert(0, 1)
    while len(b) < len(a):
        b.insert(0, 1)
    out = []
    for i in range(len(a)):
        if a[i] == b[i] or b[i] == 1:
            out.append(a[i])
        elif a[i] == 1:
            out.append(b[i])
        else:
            raise ValueError(f"dimension {i}: sizes {a[i]} and {b[i]} do not broadcast")
    return tuple(out)


def pairwise_sq_distances(X, Y):
    # the lecture's expansion: |x|^2 + |y|^2 - 2 x.y, clamped because rounding can go below zero
    x_sq = (X ** 2).sum(dim=1, keepdim=True)  # (N, 1)
    y_sq = (Y ** 2).sum(dim=1)  # (M,)
    return (x_sq + y_sq - 2 * X @ Y.T).clamp(min=0)


def normalize_channels(img, mean, std):
    return (img - mean[None, :, None, None]) / std[None, :, None, None]


def vec_mat(v, A):
    return (v.unsqueeze(0) @ A).squeeze(0)


def batched_matvec(A, v):
    return torch.bmm(A, v[:, :, None])[:, :, 0]


def outer_sum(a, b):
    return a[:, None] + b[None, :]


def stable_softmax(x, dim):
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))
