"""Hidden graders for hw3_broadcasting: values, exact shapes and dtypes, errors, inputs, devices.

Expected values come from the loop-based specs in cases.py, computed in this process. The
student's result is never broadcast or reshaped before it is compared.
"""

from __future__ import annotations

import re

import pytest
import torch

from autograder.checks import (
    Mistake,
    describe_expected,
    expect_device,
    expect_tensor,
    expect_tensor_meta,
    expect_unchanged,
    expect_value,
    naming_mistakes,
)
from autograder.graders.hw3_broadcasting.answers import (
    answer,
    expect_answer,
    right_call,
    run,
    signature,
    trivial,
)
from autograder.graders.hw3_broadcasting.cases import LECTURE_TABLE, cases, near_duplicates, scaling_inputs
from autograder.graders.hw3_broadcasting.specs import (
    PARAMS,
    SPECS,
    TENSOR_FUNCTIONS,
    hints,
    spec_broadcast_shape,
)
from autograder.proxy import StudentError

META_TIMEOUT = 90.0  # the first meta operation in a worker imports torch's meta kernels (seconds)


def check_values(student, credit, name: str, case_set: str | None = None) -> None:
    for label, args in cases(case_set or name):
        with credit.case(label):
            expected = SPECS[name](*args)
            if trivial(expected):  # an empty or zero answer counts with a right answer to the first case
                first = cases(name)[0][1]
                right_call(student, name, first, describe_expected(SPECS[name](*first)))
            result = answer(student, name, args, expected)
            expect_answer(name, args, result)


# ---------------------------------------------------------------- broadcast_shape


@pytest.mark.points(2)
def test_broadcast_shape_lecture_table(student, credit):
    """broadcast_shape reproduces the lecture's shape tables"""
    for a, b, expected in LECTURE_TABLE:
        with credit.case(f"shapes {a} and {b}"):
            assert spec_broadcast_shape(a, b) == expected  # the table and the spec agree
            result = answer(student, "broadcast_shape", (a, b), expected)
            with naming_mistakes(result, hints("broadcast_shape", (a, b))):
                expect_value(result, expected, f"broadcast_shape({a}, {b})")


@pytest.mark.points(2)
def test_broadcast_shape_any_shapes(student, credit):
    """broadcast_shape for any compatible shapes, including 0- and 1-sized dimensions"""
    check_values(student, credit, "broadcast_shape")


def incompatible_sizes(a: tuple, b: tuple) -> tuple[int, int]:
    try:
        spec_broadcast_shape(a, b)
    except ValueError as clash:
        return clash.args
    raise AssertionError(f"grader bug: {a} and {b} broadcast")


@pytest.mark.points(2)
def test_broadcast_shape_rejects_incompatible(student, credit):
    """broadcast_shape raises ValueError for incompatible shapes"""
    for label, (a, b) in cases("broadcast_shape_incompatible"):
        with credit.case(label):
            incompatible_sizes(a, b)
            try:
                result = student.call("broadcast_shape", a, b).result
            except StudentError as exc:
                if exc.is_a("ValueError"):
                    continue  # the right answer
                if exc.is_a("NotImplementedError"):
                    raise
                raise Mistake(f"broadcast_shape({a}, {b}) raised {exc.type_name}, expected ValueError") from None
            raise Mistake(f"broadcast_shape({a}, {b}) returned {result!r}, expected ValueError: the shapes are "
                          "incompatible (rule 2: sizes that differ where neither is 1)")


def without_shapes(message: str, *shapes: tuple) -> str:
    """The message with the shapes themselves cut out, so that only sizes named on their own remain."""
    for shape in shapes:
        for text in (str(tuple(shape)), str(list(shape)), f"torch.Size({list(shape)})"):
            message = message.replace(text, " ").replace(text.replace(" ", ""), " ")
    return message


@pytest.mark.points(1)
def test_broadcast_shape_error_names_sizes(student, credit):
    """broadcast_shape's ValueError names both clashing sizes"""
    for label, (a, b) in cases("broadcast_shape_incompatible")[:6]:
        with credit.case(label):
            x, y = incompatible_sizes(a, b)
            try:
                result = student.call("broadcast_shape", a, b).result
            except StudentError as exc:
                if not exc.is_a("ValueError"):
                    raise
                message = str(exc.error.get("message", ""))
                rest = without_shapes(message, a, b)
                missing = [n for n in (x, y) if not re.search(rf"(?<![\d.]){n}(?![\d.])", rest)]
                if missing:
                    raise Mistake(f"the ValueError for shapes {a} and {b} says {message[:200]!r}; expected it to "
                                  f"name the clashing sizes {x} and {y} (printing the two shapes is not enough: "
                                  "say which dimension clashes)") from None
            else:
                raise Mistake(f"broadcast_shape({a}, {b}) returned {result!r}, expected a ValueError naming the "
                              f"clashing sizes {x} and {y}")


# ---------------------------------------------------------------- tensor functions


@pytest.mark.points(3)
def test_pairwise_sq_distances(student, credit):
    """pairwise_sq_distances returns the (N, M) squared distances"""
    check_values(student, credit, "pairwise_sq_distances")


@pytest.mark.points(1)
def test_pairwise_sq_distances_nonnegative(student, credit):
    """pairwise_sq_distances never returns a negative distance"""
    for seed in (7, 8, 11, 13):
        X, Y = near_duplicates(seed)
        with credit.case(f"rows of Y within 0.001 of rows of X, far from the origin (case {seed})"):
            expected = SPECS["pairwise_sq_distances"](X, Y)
            result = answer(student, "pairwise_sq_distances", (X, Y), expected)
            expect_tensor(result, expected, "pairwise_sq_distances(X, Y)", rtol=1e-4, atol=4.0)
            negative = (result < 0).nonzero()
            if len(negative):
                i, j = (int(v) for v in negative[0])
                raise Mistake(f"pairwise_sq_distances(X, Y)[{i}, {j}] is {result[i, j].item():.6g}, expected a "
                              f"distance >= 0 (the true value is {expected[i, j].item():.3g}): expanding the "
                              "square rounds below zero here; clamp the result with .clamp(min=0)")


@pytest.mark.points(2)
def test_normalize_channels(student, credit):
    """normalize_channels normalises each channel of (B, C, H, W)"""
    check_values(student, credit, "normalize_channels")


@pytest.mark.points(2)
def test_vec_mat(student, credit):
    """vec_mat returns vA with shape (L,)"""
    check_values(student, credit, "vec_mat")


@pytest.mark.points(2)
def test_batched_matvec(student, credit):
    """batched_matvec returns A[b] @ v[b] with shape (B, I)"""
    check_values(student, credit, "batched_matvec")


@pytest.mark.points(2)
def test_outer_sum(student, credit):
    """outer_sum returns a[i] + b[j] with shape (N, M)"""
    check_values(student, credit, "outer_sum")


@pytest.mark.points(2)
def test_stable_softmax(student, credit):
    """stable_softmax matches softmax along any dim"""
    check_values(student, credit, "stable_softmax")


@pytest.mark.points(1)
def test_stable_softmax_large_entries(student, credit):
    """stable_softmax stays finite for entries of +-1e4"""
    check_values(student, credit, "stable_softmax", "stable_softmax_large")


# ---------------------------------------------------------------- properties


@pytest.mark.points(1)
def test_inputs_unchanged(student, credit):
    """no function changes its inputs"""
    for name in TENSOR_FUNCTIONS:
        label, args = cases(name)[0]
        with credit.case(f"{name} on {label}"):
            call = right_call(student, name, args, "a result, with the inputs left as they were")
            for index, (after, before) in enumerate(zip(call.args, args)):
                if type(before) is torch.Tensor:
                    expect_unchanged(after, before, PARAMS[name][index])


@pytest.mark.points(1)
def test_device_agnostic(student, credit, device):
    """results stay on the input's device and are right there"""
    for name in TENSOR_FUNCTIONS:
        args = scaling_inputs(name, 4)
        with credit.case(name):
            moved = tuple(x.to(device) if type(x) is torch.Tensor else x for x in args)
            result = run(student, name, moved, f"a result on {device}").result
            expect_device(result, device, signature(name, args))
            expect_answer(name, args, result.cpu(), f"{signature(name, args)} on {device}")


@pytest.mark.points(1)
def test_meta_device(student, credit):
    """shapes on the meta device are right (no hard-coded device, no .item())"""
    for name in TENSOR_FUNCTIONS:
        args = scaling_inputs(name, 5)
        with credit.case(name):
            # points only for answers: the meta shape counts where the CPU answer of the same case is right
            right_call(student, name, args, "a tensor, to compare with the meta device")
            expected = SPECS[name](*args)
            meta_args = tuple(x.to("meta") if type(x) is torch.Tensor else x for x in args)
            on_meta = run(student, name, meta_args, f"a tensor on the meta device, {describe_expected(expected)}",
                          timeout=META_TIMEOUT).result
            expect_tensor_meta(on_meta, torch.empty(expected.shape, dtype=expected.dtype, device="meta"),
                               f"{signature(name, args)} on the meta device")
