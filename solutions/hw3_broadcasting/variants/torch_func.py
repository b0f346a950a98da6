"""A correct hw3 with torch.func.vmap, torch.cdist and torch.mv where the reference broadcasts by hand."""

import torch
from torch.func import vmap


def broadcast_shape(a, b):
    n = max(len(a), len(b))
    pa, pb = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for k, (x, y) in enumerate(zip(pa, pb)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(f"dimension {k} has sizes {x} and {y}")
    return tuple(out)


def pairwise_sq_distances(X, Y):
    return torch.cdist(X, Y).square()


def normalize_channels(img, mean, std):
    return (img - mean.reshape(-1, 1, 1)) / std.reshape(-1, 1, 1)


def vec_mat(v, A):
    return vmap(torch.dot, in_dims=(None, 1))(v, A)


def batched_matvec(A, v):
    return vmap(torch.mv)(A, v)


def outer_sum(a, b):
    return torch.add(a.unsqueeze(-1), b)


def stable_softmax(x, dim):
    return (x - x.logsumexp(dim, keepdim=True)).exp()
