"""Hidden graders for hw2_indexing: values, exact shapes and dtypes, views versus copies, inputs, devices.

Expected values come from the loop-based specs in cases.py, computed in this process. The
student's result is never broadcast or reshaped before it is compared.
"""

from __future__ import annotations

import pytest
import torch

from autograder.checks import (
    Mistake,
    describe_expected,
    expect_device,
    expect_not_shared,
    expect_tensor,
    expect_tensor_meta,
    expect_unchanged,
    expect_value,
    expect_view_of,
    naming_mistakes,
)
from autograder.graders.hw2_indexing.answers import expect_answer, right_call, run, signature, trivial
from autograder.graders.hw2_indexing.cases import cases, scaling_inputs
from autograder.graders.hw2_indexing.specs import PARAMS, SPECS, hints
from autograder.proxy import StudentError


def with_data(name: str, count: int = 5) -> list[tuple[str, tuple]]:
    """Cases whose first input has elements: sharing memory means nothing for an empty tensor."""
    return [(label, args) for label, args in cases(name) if args[0].numel()][:count]


def answer(student, name: str, args: tuple, expected) -> object:
    """The student's result; an exception other than NotImplementedError says what was expected instead."""
    try:
        return student.call(name, *args).result
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        raise Mistake(f"{exc}; expected {describe_expected(expected)}") from None


def check_values(student, credit, name: str, spec_name: str | None = None, **tolerance) -> None:
    """Each case: the result must equal the spec exactly in type, shape and dtype, values within tolerance."""
    spec = SPECS[name]
    for label, args in cases(spec_name or name):
        with credit.case(label):
            expected = spec(*args)
            if trivial(expected):  # an empty or zero answer counts with a right answer to the first case
                right_call(student, name, cases(name)[0][1], describe_expected(spec(*cases(name)[0][1])))
            result = answer(student, name, args, expected)
            what = signature(name, args)
            with naming_mistakes(result, hints(name, args)):
                if type(expected) is int:
                    expect_value(result, expected, what)
                else:
                    expect_tensor(result, expected, what, **tolerance)


@pytest.mark.points(3)
def test_top_right_quadrant(student, credit):
    """top_right_quadrant returns rows 0..r//2-1 and columns c//2..c-1 for any (r, c)"""
    check_values(student, credit, "top_right_quadrant")


@pytest.mark.points(1)
def test_top_right_quadrant_is_view(student, credit):
    """top_right_quadrant returns a view of its input"""
    for label, args in with_data("top_right_quadrant"):
        with credit.case(label):
            call = right_call(student, "top_right_quadrant", args, "a view of a")
            expect_view_of(call.result, call.args[0], "top_right_quadrant(a)", "a")


@pytest.mark.points(3)
def test_multiples_of_4_in_column(student, credit):
    """multiples_of_4_in_column masks one column, in row order"""
    check_values(student, credit, "multiples_of_4_in_column")


@pytest.mark.points(2)
def test_replace_where(student, credit):
    """replace_where puts value where the mask is True"""
    check_values(student, credit, "replace_where")


@pytest.mark.points(1)
def test_replace_where_returns_new_tensor(student, credit):
    """replace_where returns a new tensor and leaves a unchanged"""
    for label, args in with_data("replace_where"):
        with credit.case(label):
            call = right_call(student, "replace_where", args, "a new tensor")
            expect_unchanged(call.args[0], args[0], "a")
            expect_not_shared(call.result, call.args[0], "replace_where(a, mask, value)", "a")


@pytest.mark.points(3)
def test_rows_with_negative(student, credit):
    """rows_with_negative keeps whole rows with a negative entry, shape (k, c)"""
    check_values(student, credit, "rows_with_negative")


@pytest.mark.points(2)
def test_every_other(student, credit):
    """every_other takes elements 0, 2, 4, ... of the last dimension"""
    check_values(student, credit, "every_other")


@pytest.mark.points(1)
def test_every_other_is_view(student, credit):
    """every_other returns a view of its input"""
    for label, args in with_data("every_other"):
        with credit.case(label):
            call = right_call(student, "every_other", args, "a view of a")
            expect_view_of(call.result, call.args[0], "every_other(a)", "a")


@pytest.mark.points(2)
def test_count_in_range(student, credit):
    """count_in_range counts lo <= v < hi and returns a Python int"""
    check_values(student, credit, "count_in_range")


@pytest.mark.points(2)
def test_masked_row_mean(student, credit):
    """masked_row_mean averages each row over its mask"""
    check_values(student, credit, "masked_row_mean", rtol=1e-5, atol=1e-5)


@pytest.mark.points(1)
def test_masked_row_mean_empty_rows(student, credit):
    """masked_row_mean gives 0.0 (not NaN) for a row with an empty mask"""
    regular = cases("masked_row_mean")[0][1]
    for label, args in cases("masked_row_mean_empty_rows"):
        with credit.case(label):
            # zeros are the whole answer where every row is empty: they count only with the means of rows that
            # have entries right too (points only for answers)
            right_call(student, "masked_row_mean", regular, "the mean of each row over its mask")
            result = answer(student, "masked_row_mean", args, SPECS["masked_row_mean"](*args))
            expect_answer("masked_row_mean", args, result)


@pytest.mark.points(2)
def test_one_hot(student, credit):
    """one_hot returns float32 (N, num_classes) rows"""
    check_values(student, credit, "one_hot")


@pytest.mark.points(1)
def test_inputs_unchanged(student, credit):
    """no function changes its inputs"""
    for name in SPECS:
        label, args = cases(name)[1]
        with credit.case(f"{name} on {label}"):
            call = right_call(student, name, args, "a result, with the inputs left as they were")
            for index, (after, before) in enumerate(zip(call.args, args)):
                if type(before) is torch.Tensor:
                    expect_unchanged(after, before, PARAMS[name][index])


TENSOR_FUNCTIONS = [name for name in SPECS if name != "count_in_range"]


@pytest.mark.points(1)
def test_device_agnostic(student, credit, device):
    """results stay on the input's device and are right there"""
    for name in SPECS:
        args = scaling_inputs(name, 4)
        with credit.case(name):
            moved = tuple(x.to(device) if type(x) is torch.Tensor else x for x in args)
            result = run(student, name, moved, f"a result on {device}").result
            what = signature(name, args)
            if name != "count_in_range":  # a count is a Python number on every device
                expect_device(result, device, what)
                result = result.cpu()
            expect_answer(name, args, result, f"{what} on {device}")


META_TIMEOUT = 90.0
META_FUNCTIONS = ("top_right_quadrant", "replace_where", "every_other", "masked_row_mean", "one_hot")


@pytest.mark.points(1)
def test_meta_device(student, credit):
    """shapes on the meta device are right (no hard-coded device, no .item())"""
    for name in META_FUNCTIONS:
        args = scaling_inputs(name, 5)
        with credit.case(name):
            # points only for answers: the meta shape counts where the CPU answer of the same case is right
            right_call(student, name, args, "a tensor, to compare with the meta device")
            expected = SPECS[name](*args)
            meta_args = tuple(x.to("meta") if type(x) is torch.Tensor else x for x in args)
            # the first meta operation in a process imports torch's meta kernels: seconds, not a slow answer
            on_meta = run(student, name, meta_args, f"a tensor on the meta device, {describe_expected(expected)}",
                          timeout=META_TIMEOUT).result
            expect_tensor_meta(on_meta, torch.empty(expected.shape, dtype=expected.dtype, device="meta"),
                               f"{signature(name, args)} on the meta device")
