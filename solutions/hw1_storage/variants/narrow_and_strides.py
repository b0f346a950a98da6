"""A correct hw1 that works with narrow(), flatten-then-view and explicit strides."""

import numpy as np
import torch


def same_storage(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def numpy_shared(arr):
    tensor = torch.from_numpy(arr)
    assert tensor.data_ptr() == arr.ctypes.data  # no copy was made
    return tensor


def numpy_copy(arr):
    return torch.tensor(arr, dtype=torch.from_numpy(arr[:0]).dtype)


def row_view(x, i):
    return x.narrow(0, i, 1).squeeze(0)


def as_matrix(x, cols):
    try:
        return x.view(-1).view(-1, cols)
    except RuntimeError as error:  # view() refuses shapes that do not fit
        raise ValueError(str(error)) from None


def cos_(x):
    return x.cos_()


def standardize_(x):
    n = x.numel()
    mean = x.sum() / n
    var = ((x - mean) ** 2).sum() / (n - 1)  # the unbiased estimator, as x.std() uses
    return x.sub_(mean).div_(var.sqrt())


def shares_storage_quiz():
    answers = dict.fromkeys(["x.t()", "x[::2]", "x.detach()", "torch.from_numpy(arr)", "x.view(-1)", "x[1]"], True)
    answers.update(dict.fromkeys(["x[[0, 2]]", "x[x > 0]", "xt.reshape(-1)", "xt.contiguous()", "x.clone()",
                                  "torch.tensor(arr)"], False))
    return answers


_ = np
