"""Hidden graders for hw1_storage. Expected values are computed here, never in the worker."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.checks import (
    Mistake,
    expect_not_shared,
    expect_tensor,
    expect_tensor_meta,
    expect_type,
    expect_unchanged,
    expect_value,
    expect_view_of,
    same_storage,
)
from autograder.proxy import StudentError

QUIZ_BASES = {"x": lambda: torch.arange(12.0).reshape(3, 4)}


def grid(rows: int, cols: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Distinct values, so a wrong row or a transpose cannot pass by accident."""
    return (torch.arange(rows * cols, dtype=torch.float64).reshape(rows, cols) * 1.5 - 4).to(dtype)


@pytest.mark.points(3)
def test_same_storage(student, credit):
    """same_storage compares storages (views, offsets, copies)"""
    x, y = grid(3, 5), grid(3, 5)
    # each case pairs tensors that share a storage with look-alikes that do not: a constant answer earns nothing
    cases = {
        "x and x.t() / x and x.clone()": [("x and x.t()", x, x.t(), True), ("x and x.clone()", x, x.clone(), False)],
        "x and x[1], a view that starts later in memory / x[1] and x.clone()[1]": [
            ("x and x[1]", x, x[1], True),
            ("x[1] and x.clone()[1] (equal values and offsets, other storage)", x[1], x.clone()[1], False)],
        "x[2] and x[:, 1] / two separate tensors of zeros": [
            ("x[2] and x[:, 1]", x[2], x[:, 1], True),
            ("two separate tensors of zeros", torch.zeros(4), torch.zeros(4), False)],
        "x.view(-1)[3:] and x / x.view(-1)[3:] and y, an equal tensor": [
            ("x.view(-1)[3:] and x", x.view(-1)[3:], x, True), ("x.view(-1)[3:] and y", x.view(-1)[3:], y, False)],
        # same storage, no element in common: a test of *overlapping memory* is not a test of storage
        "x[0] and x[2], rows with no element in common / x[0] and y[2]": [
            ("x[0] and x[2] (no element in common)", x[0], x[2], True), ("x[0] and y[2]", x[0], y[2], False)],
        "x[:, 0] and x[:, 1], interleaved columns / x[:, 0] and y[:, 1]": [
            ("x[:, 0] and x[:, 1] (no element in common)", x[:, 0], x[:, 1], True),
            ("x[:, 0] and y[:, 1]", x[:, 0], y[:, 1], False)],
    }
    for label, pairs in cases.items():
        with credit.case(label):
            for pair, a, b, expected in pairs:
                what = f"same_storage({pair.split(' (')[0]})"
                try:
                    expect_value(student.same_storage(a, b), expected, what)
                except Mistake as exc:
                    if "no element in common" in pair:
                        raise Mistake(f"{exc}: the two share x's storage without sharing an element, so comparing "
                                      "where their memory overlaps is not the test; compare their storages") from None
                    raise


@pytest.mark.points(2)
def test_numpy_shared(student, credit):
    """numpy_shared shares the array's memory"""
    arrays = [(f"array of {np.dtype(dtype).name}", (np.arange(6, dtype=dtype) * 3 - 5).reshape(2, 3))
              for dtype in (np.float32, np.int64, np.float64)]
    # a strided array: torch.from_numpy shares it as it is; anything that makes it contiguous copies
    arrays.append(("every other column of a (3, 4) array", (np.arange(12.0) - 4).reshape(3, 4)[:, ::2]))
    for label, arr in arrays:
        with credit.case(label):
            call = student.call("numpy_shared", arr)
            expected = torch.from_numpy(arr.copy())
            expect_tensor(call.result, expected, "numpy_shared(arr)")
            if not same_storage(call.result, call.args[0]):
                raise Mistake("numpy_shared(arr) copied the data; torch.tensor(arr) always copies, "
                              "torch.from_numpy(arr) (or torch.as_tensor) shares the array's memory")


@pytest.mark.points(2)
def test_numpy_copy(student, credit):
    """numpy_copy returns an independent tensor of the same dtype"""
    for dtype in (np.float32, np.int32, np.float64):
        arr = (np.arange(6, dtype=dtype) * 2 - 3).reshape(3, 2)
        with credit.case(f"array of {np.dtype(dtype).name}"):
            call = student.call("numpy_copy", arr)
            expect_tensor(call.result, torch.from_numpy(arr.copy()), "numpy_copy(arr)")
            expect_not_shared(call.result, call.args[0], "numpy_copy(arr)", "arr")
            expect_unchanged(call.args[0], arr, "arr")


@pytest.mark.points(2)
def test_row_view(student, credit):
    """row_view returns row i as a view"""
    inputs = [(f"x of shape ({rows}, {cols}), i={i}", grid(rows, cols), i)
              for rows, cols, i in ((3, 5, 1), (4, 2, 0), (5, 7, 4), (1, 3, 0))]
    # rows of a transposed tensor are not contiguous: a row made contiguous is a copy
    inputs.append(("x = a (4, 3) grid transposed, i=2", grid(4, 3).t(), 2))
    for label, x, i in inputs:
        with credit.case(label):
            call = student.call("row_view", x, i)
            expect_tensor(call.result, x[i], f"row_view(x, {i})")
            expect_view_of(call.result, call.args[0], f"row_view(x, {i})", "x")
            expect_unchanged(call.args[0], x, "x")


@pytest.mark.points(2)
def test_as_matrix(student, credit):
    """as_matrix views x as (-1, cols) sharing storage"""
    inputs = [(f"{n} elements, cols={cols}", torch.arange(n, dtype=torch.float32) * 0.5, cols)
              for n, cols in ((12, 4), (12, 3), (10, 5), (7, 1), (6, 6))]
    # inputs of more than one dimension: len(x) is not x.numel()
    inputs += [("x of shape (3, 4), cols=6", grid(3, 4), 6),
               ("x of shape (2, 3, 2), cols=4", grid(2, 6).view(2, 3, 2), 4)]
    for label, x, cols in inputs:
        with credit.case(label):
            try:
                call = student.call("as_matrix", x, cols)
            except StudentError as exc:
                if x.dim() > 1 and exc.is_a("ValueError"):
                    raise Mistake(f"as_matrix(x, {cols}) raised ValueError for x of shape {tuple(x.shape)}, whose "
                                  f"{x.numel()} elements do fill rows of {cols}: count elements with x.numel(); "
                                  "len(x) is only the size of the first dimension") from None
                raise
            expect_tensor(call.result, x.view(-1, cols), f"as_matrix(x, {cols})")
            expect_view_of(call.result, call.args[0], f"as_matrix(x, {cols})", "x")


@pytest.mark.points(1)
def test_as_matrix_rejects_bad_cols(student, credit):
    """as_matrix raises ValueError when numel is not a multiple of cols"""
    for n, cols in ((10, 4), (7, 2), (5, 3), (6, 0)):
        with credit.case(f"{n} elements, cols={cols}"):
            try:
                result = student.as_matrix(torch.arange(float(n)), cols)
            except StudentError as exc:
                if exc.is_a("NotImplementedError"):
                    raise
                if not exc.is_a("ValueError"):
                    raise Mistake(f"as_matrix(x, {cols}) raised {exc.type_name}, expected ValueError") from None
            else:
                raise Mistake(f"as_matrix(x, {cols}) returned {type(result).__name__} for {n} elements; "
                              "it must raise ValueError when numel is not a multiple of cols")


def _in_place(student, credit, name: str, reference, inputs) -> None:
    for label, x in inputs:
        with credit.case(label):
            call = student.call(name, x.clone())
            after = call.args[0]
            expected = reference(x.clone())
            expect_tensor(call.result, expected, f"{name}(x)")
            if not same_storage(call.result, after):
                raise Mistake(f"{name}(x) returned a new tensor; it must modify x in place and return x itself "
                              f"(`x = torch.cos(x)` only rebinds the local name)")
            if not torch.allclose(after, expected, rtol=1e-5, atol=1e-6):
                raise Mistake(f"after {name}(x) the tensor x itself does not hold the result: the operation "
                              "was not done in place")


@pytest.mark.points(2)
def test_cos_in_place(student, credit):
    """cos_ works in place and returns x itself"""
    inputs = [("zeros (3, 2) from the lecture", torch.zeros(3, 2)),
              ("a (2, 5) grid", grid(2, 5) / 3),
              ("a transposed (4, 3) view", grid(3, 4).t())]
    _in_place(student, credit, "cos_", torch.cos, inputs)


@pytest.mark.points(2)
def test_standardize_in_place(student, credit):
    """standardize_ works in place with the unbiased std"""
    inputs = [("a (2, 5) grid", grid(2, 5)), ("a (6,) vector", torch.tensor([3.0, -1.0, 4.0, 1.0, -5.0, 9.0])),
              ("a (3, 4) float64 grid", grid(3, 4, torch.float64)),
              ("a transposed (5, 2) view", grid(2, 5).t())]
    _in_place(student, credit, "standardize_", lambda x: (x - x.mean()) / x.std(), inputs)


def expected_quiz(expressions: tuple) -> dict[str, bool]:
    """The true answers, computed in the grader."""
    x = torch.arange(12.0).reshape(3, 4)
    xt = x.t()
    arr = np.arange(4.0)
    answers = {}
    for expression in expressions:
        result = eval(expression, {"torch": torch, "np": np, "x": x, "xt": xt, "arr": arr})  # noqa: S307
        base = arr if "arr" in expression else xt if expression.startswith("xt") else x
        answers[expression] = same_storage(result, base)
    return answers


QUIZ = ("x.t()", "x[::2]", "x[[0, 2]]", "x[x > 0]", "xt.reshape(-1)", "xt.contiguous()", "x.clone()",
        "x.detach()", "torch.tensor(arr)", "torch.from_numpy(arr)", "x.view(-1)", "x[1]")


@pytest.mark.points(3)
def test_shares_storage_quiz(student, credit):
    """shares_storage_quiz answers every expression"""
    answers = student.shares_storage_quiz()
    expect_type(answers, dict, "shares_storage_quiz()")
    for expression, truth in expected_quiz(QUIZ).items():
        with credit.case(expression):
            if expression not in answers:
                raise Mistake(f"no answer for {expression!r}")
            expect_type(answers[expression], bool, f"the answer for {expression!r}")
            if answers[expression] != truth:
                raise Mistake(f"{expression!r}: you said {'shares' if answers[expression] else 'copies'}, "
                              f"but it {'shares storage' if truth else 'makes a copy'}")


@pytest.mark.points(1)
def test_device_agnostic(student, credit, device):
    """views and in-place ops keep the input's device"""
    x = grid(3, 4).to(device)
    with credit.case("row_view"):
        expect_tensor(student.row_view(x, 2), x[2], "row_view(x, 2)")
    with credit.case("as_matrix"):
        expect_tensor(student.as_matrix(x.reshape(-1), 6), x.reshape(-1).view(-1, 6), "as_matrix(x, 6)")
    with credit.case("cos_"):
        expect_tensor(student.cos_(x.clone()), torch.cos(x), "cos_(x)")


@pytest.mark.points(1)
def test_meta_device(student, credit):
    """shapes are right on the meta device (no hard-coded device)"""
    # points only for answers: each meta case counts only where the same call is right on a CPU tensor
    x = torch.empty(6, 4, device="meta")
    real = grid(6, 4)
    with credit.case("row_view on meta"):
        expect_tensor(student.row_view(real, 1), real[1], "row_view(x, 1) on a CPU tensor")
        expect_tensor_meta(student.row_view(x, 1), x[1], "row_view(x, 1) on a meta tensor")
    with credit.case("as_matrix on meta"):
        expect_tensor(student.as_matrix(real.reshape(-1), 8), real.reshape(-1, 8), "as_matrix(x, 8) on a CPU tensor")
        expect_tensor_meta(student.as_matrix(x.reshape(-1), 8), x.reshape(-1, 8), "as_matrix(x, 8) on a meta tensor")
    with credit.case("standardize_ on meta"):
        expect_tensor(student.standardize_(real.clone()), (real - real.mean()) / real.std(),
                      "standardize_(x) on a CPU tensor")
        expect_tensor_meta(student.standardize_(x), x, "standardize_(x) on a meta tensor")
