"""A correct hw1 of one-liners (lambdas included)."""

import numpy as np
import torch

same_storage = lambda a, b: a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()  # noqa: E731
numpy_shared = torch.from_numpy
numpy_copy = lambda arr: torch.tensor(arr)  # noqa: E731


def row_view(x, i): return x[i]  # noqa: E704


def as_matrix(x, cols):
    if cols <= 0 or x.numel() % cols: raise ValueError("bad cols")  # noqa: E701
    return x.view(-1, cols)


def cos_(x): return x.cos_()  # noqa: E704


def standardize_(x): return x.sub_(x.mean()).div_(x.std())  # noqa: E704


def shares_storage_quiz():
    x, arr = torch.arange(12.0).reshape(3, 4), np.arange(4.0)
    xt = x.t()
    env = {"x": x, "xt": xt, "arr": arr, "torch": torch}
    base = lambda e: torch.from_numpy(arr) if "arr" in e else xt if e.startswith("xt") else x  # noqa: E731
    quiz = ("x.t()", "x[::2]", "x[[0, 2]]", "x[x > 0]", "xt.reshape(-1)", "xt.contiguous()", "x.clone()",
            "x.detach()", "torch.tensor(arr)", "torch.from_numpy(arr)", "x.view(-1)", "x[1]")
    return {e: same_storage(eval(e, env), base(e)) for e in quiz}  # noqa: S307
