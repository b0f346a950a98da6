"""A correct hw3 as a seed-notebook student writes it: the shape table in comments, step by step."""

import torch


def broadcast_shape(a, b):
    # rule 1: pad the shorter shape with 1s on the left
    length = max(len(a), len(b))
    a = [1] * (length - len(a)) + list(a)
    b = [1] * (length - len(b)) + list(b)
    shape = []
    for position in range(length):
        size_a, size_b = a[position], b[position]
        # rule 2: sizes that differ where neither is 1 are incompatible
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise ValueError(f"incompatible at dimension {position}: {size_a} != {size_b}")
        # rule 3: a size-1 dimension stretches to the other size
        shape.append(size_b if size_a == 1 else size_a)
    return tuple(shape)


def pairwise_sq_distances(X, Y):
    # X: (N, D) -> (N, 1, D); Y: (M, D) -> (1, M, D); difference: (N, M, D)
    X3 = X.unsqueeze(1)
    Y3 = Y.unsqueeze(0)
    difference = X3 - Y3
    return difference.pow(2).sum(dim=2)


def normalize_channels(img, mean, std):
    # img: (B, C, H, W); mean, std: (C,) -> (1, C, 1, 1)
    mean4 = mean.unsqueeze(0).unsqueeze(-1).unsqueeze(-1)
    std4 = std.unsqueeze(0).unsqueeze(-1).unsqueeze(-1)
    return (img - mean4) / std4


def vec_mat(v, A):
    # (K,) -> (1, K); (1, K) x (K, L) = (1, L) -> (L,)
    row = v.unsqueeze(0)
    product = torch.mm(row, A)
    return product[0]


def batched_matvec(A, v):
    # (B, I, K) x (B, K, 1) = (B, I, 1) -> (B, I)
    column = v.unsqueeze(-1)
    return torch.matmul(A, column).squeeze(-1)


def outer_sum(a, b):
    # (N, 1) + (1, M) = (N, M)
    return a.unsqueeze(1) + b.unsqueeze(0)


def stable_softmax(x, dim):
    biggest, _ = torch.max(x, dim=dim, keepdim=True)
    exps = torch.exp(x - biggest)
    total = torch.sum(exps, dim=dim, keepdim=True)
    return exps / total
