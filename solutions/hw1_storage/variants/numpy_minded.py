"""A correct hw1 by a student who thinks in numpy: np.array copies, select(), copy_ back, std_mean."""

import numpy as np
import torch


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    left, right = a.untyped_storage(), b.untyped_storage()
    return left.data_ptr() == right.data_ptr()


def numpy_shared(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(arr)


def numpy_copy(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(arr, copy=True))


def row_view(x: torch.Tensor, i: int) -> torch.Tensor:
    return x.select(0, i)


def as_matrix(x: torch.Tensor, cols: int) -> torch.Tensor:
    rows, rest = divmod(x.numel(), cols) if cols > 0 else (0, 1)
    if rest:
        raise ValueError(f"{x.numel()} elements do not fill rows of {cols}")
    return x.reshape(rows, cols)  # x is contiguous, so reshape returns a view


def cos_(x: torch.Tensor) -> torch.Tensor:
    x.copy_(x.cos())  # copy_ writes into x's own memory
    return x


def standardize_(x: torch.Tensor) -> torch.Tensor:
    std, mean = torch.std_mean(x)
    x.sub_(mean)
    x.div_(std)
    return x


def shares_storage_quiz() -> dict[str, bool]:
    x = torch.arange(12.0).reshape(3, 4)
    xt = x.t()
    arr = np.arange(4.0)
    results = {
        "x.t()": (x.t(), x), "x[::2]": (x[::2], x), "x[[0, 2]]": (x[[0, 2]], x), "x[x > 0]": (x[x > 0], x),
        "xt.reshape(-1)": (xt.reshape(-1), xt), "xt.contiguous()": (xt.contiguous(), xt),
        "x.clone()": (x.clone(), x), "x.detach()": (x.detach(), x), "torch.tensor(arr)": (torch.tensor(arr), arr),
        "torch.from_numpy(arr)": (torch.from_numpy(arr), arr), "x.view(-1)": (x.view(-1), x), "x[1]": (x[1], x),
    }
    answers = {}
    for expression, (result, base) in results.items():
        base_ptr = base.ctypes.data if isinstance(base, np.ndarray) else base.untyped_storage().data_ptr()
        start = result.untyped_storage().data_ptr()
        answers[expression] = bool(start == base_ptr)
    return answers
