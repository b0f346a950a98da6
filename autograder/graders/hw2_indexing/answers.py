"""Calls into the submission for hw2's graders, and the right-answer gate of every property check.

Points only for answers: a property (is a view, leaves its input unchanged, stays on the device,
has no loops) earns its points only on a case where the same function's result is right, so a
function whose answers are all wrong earns nothing for being, say, a view of its input.
"""

from __future__ import annotations

import torch

from autograder.checks import expect_tensor, expect_value, naming_mistakes
from autograder.graders.hw2_indexing.specs import PARAMS, SPECS, hints
from autograder.proxy import StudentError

TOLERANCE = {"masked_row_mean": {"rtol": 1e-5, "atol": 1e-5}}


def signature(name: str, args: tuple) -> str:
    """``count_in_range(a, lo=2, hi=5)``: tensors by name, numbers by value."""
    shown = [param if type(x) is torch.Tensor else f"{param}={x!r}" for param, x in zip(PARAMS[name], args)]
    return f"{name}({', '.join(shown)})"


def clone_args(args: tuple) -> tuple:
    return tuple(x.clone() if type(x) is torch.Tensor else x for x in args)


def run(student, name: str, args: tuple, expectation: str, **options):
    """``student.call``; an exception other than NotImplementedError also says what was expected."""
    from autograder.checks import Mistake

    try:
        return student.call(name, *args, **options)
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        raise Mistake(f"{exc}; expected {expectation}") from None


def expect_answer(name: str, args: tuple, result: object, what: str | None = None) -> None:
    """``result`` must be the spec's answer for ``args`` (CPU tensors), naming a known mistake if it is one."""
    expected = SPECS[name](*args)
    what = what or signature(name, args)
    with naming_mistakes(result, hints(name, args)):
        if type(expected) is int:
            expect_value(result, expected, what)
        else:
            expect_tensor(result, expected, what, **TOLERANCE.get(name, {}))


def right_call(student, name: str, args: tuple, expectation: str, **options):
    """The call on a copy of ``args``, once its result is right: the gate before a property is checked."""
    call = run(student, name, clone_args(args), expectation, **options)
    expect_answer(name, args, call.result)
    return call


def trivial(expected: object) -> bool:
    """An answer a constant could give: empty, all zeros, or the number 0."""
    if type(expected) is torch.Tensor:
        return expected.numel() == 0 or not bool(expected.any())
    return type(expected) is int and expected == 0
