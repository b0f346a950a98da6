"""A correct hw1 the way the storage lecture writes it: storage pointers, torch.as_tensor, out= for in place."""

import numpy as np
import torch


def same_storage(a, b):
    # the lecture compares the storages' pointers, not the tensors' own data pointers
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def numpy_shared(arr):
    return torch.as_tensor(arr)


def numpy_copy(arr):
    return torch.from_numpy(arr.copy())


def row_view(x, i):
    return x[i, :]


def as_matrix(x, cols):
    if cols < 1 or x.numel() % cols:
        raise ValueError("numel must be a multiple of cols")
    return x.view(x.numel() // cols, cols)


def cos_(x):
    torch.cos(x, out=x)
    return x


def standardize_(x):
    mean = x.mean()
    std = x.std()
    x -= mean
    x /= std
    return x


def shares_storage_quiz():
    # answered from the lecture's table of views and copies
    return {
        "x.t()": True, "x[::2]": True, "x[[0, 2]]": False, "x[x > 0]": False, "xt.reshape(-1)": False,
        "xt.contiguous()": False, "x.clone()": False, "x.detach()": True, "torch.tensor(arr)": False,
        "torch.from_numpy(arr)": True, "x.view(-1)": True, "x[1]": True,
    }


_ = np  # numpy is imported as in the lecture's cells
