"""A correct hw3 with einsum and max(...).values instead of the reference's functions."""

import itertools

import torch


def broadcast_shape(a, b):
    result = []
    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x != y and 1 not in (x, y):
            raise ValueError(f"cannot broadcast size {x} with size {y}")
        result.append(y if x == 1 else x)
    return tuple(reversed(result))


def pairwise_sq_distances(X, Y):
    diff = X[:, None, :] - Y[None, :, :]
    return torch.einsum("nmd,nmd->nm", diff, diff)


def normalize_channels(img, mean, std):
    # (C, 1, 1) lines up with (B, C, H, W) from the right
    return img.sub(mean.view(-1, 1, 1)).div(std.view(-1, 1, 1))


def vec_mat(v, A):
    return torch.einsum("k,kl->l", v, A)


def batched_matvec(A, v):
    return torch.einsum("bik,bk->bi", A, v)


def outer_sum(a, b):
    return a.view(-1, 1) + b.view(1, -1)


def stable_softmax(x, dim):
    e = (x - x.max(dim=dim, keepdim=True).values).exp()
    return e / e.sum(dim, keepdim=True)
