"""Calls into the submission for hw3's graders, tolerances that follow the math, and the right-answer gate.

Points only for answers: a property (leaves its inputs unchanged, stays on the device, shapes on
the meta device, no loops, no ready-made broadcasting) earns its points only on a case where the
same function's result is right.

Tolerances are those of a correct float computation, not of one formula: the specs compute in
float64 with loops, a student in the input's dtype with whichever correct method they like
(``|x|^2 + |y|^2 - 2 x.y``, ``einsum``, ``logsumexp``...), so each bound scales with the dtype's
machine epsilon and with the magnitudes that method meets.
"""

from __future__ import annotations

import torch

from autograder.checks import Mistake, describe_expected, expect_tensor, expect_value, naming_mistakes
from autograder.graders.hw3_broadcasting.specs import PARAMS, SPECS, hints
from autograder.proxy import StudentError


def signature(name: str, args: tuple) -> str:
    """``stable_softmax(x, dim=1)``: tensors by name, everything else by value."""
    shown = [param if type(x) is torch.Tensor else f"{param}={x!r}" if type(x) is int else repr(x)
             for param, x in zip(PARAMS[name], args)]
    return f"{name}({', '.join(shown)})"


def _eps(t: torch.Tensor) -> float:
    return torch.finfo(t.dtype).eps if t.is_floating_point() else 0.0


def _largest(t: torch.Tensor) -> float:
    return float(t.detach().abs().max()) if t.numel() else 0.0


def tolerance(name: str, args: tuple) -> dict[str, float]:
    """rtol and atol for ``name`` on ``args``: a few roundings of the largest quantity each method handles."""
    if name == "pairwise_sq_distances":
        X, Y = args
        # |x|^2 + |y|^2 - 2 x.y cancels terms of size |x|^2 + |y|^2: its error is D roundings at that size,
        # however small the distance itself is
        norms = sum((t.double() ** 2).sum(-1).max().item() if t.numel() else 0.0 for t in (X, Y))
        return {"rtol": 1e-5, "atol": max(1e-6, 4 * _eps(X) * norms * max(X.shape[-1], 1))}
    if name in ("vec_mat", "batched_matvec"):
        a, b = args
        k = a.shape[-1] if a.dim() else 1
        # a dot product of k terms rounds k times, each time at the size of the largest partial sum
        return {"rtol": 1e-5, "atol": max(1e-4, 4 * k * _eps(a) * _largest(a) * _largest(b))}
    if name == "normalize_channels":
        return {"rtol": 1e-5, "atol": 1e-5}
    if name == "stable_softmax":
        x, _ = args
        # exp(x - m) with x - m rounded at |x| (or x - logsumexp(x), both rounded at |x|): a relative error of
        # a few eps * |x| in every probability; 1e4 in float32 allows ~5e-3, which a correct answer needs
        return {"rtol": 1e-5 + 4 * _eps(x) * _largest(x), "atol": 1e-6}
    return {}


def run(student, name: str, args: tuple, expectation: str, **options):
    """``student.call``; an exception other than NotImplementedError also says what was expected."""
    try:
        return student.call(name, *args, **options)
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        raise Mistake(f"{exc}; expected {expectation}") from None


def answer(student, name: str, args: tuple, expected) -> object:
    """The student's result; an exception other than NotImplementedError says what was expected instead."""
    try:
        return student.call(name, *args).result
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        advice = ""
        if "must match the size of tensor" in str(exc.error.get("message", "")):
            advice = (". That is a broadcasting error: two dimensions of different sizes met; line them up with "
                      "unsqueeze, view(1, -1, 1, 1) or keepdim=True")
        raise Mistake(f"{exc}; expected {describe_expected(expected)}{advice}") from None


def expect_answer(name: str, args: tuple, result: object, what: str | None = None) -> None:
    """``result`` must be the spec's answer for ``args`` (CPU values), naming a known mistake if it is one."""
    expected = SPECS[name](*args)
    what = what or signature(name, args)
    with naming_mistakes(result, hints(name, args)):
        if type(expected) is tuple:
            expect_value(result, expected, what)
        else:
            expect_tensor(result, expected, what, **tolerance(name, args))


def clone_args(args: tuple) -> tuple:
    return tuple(x.clone() if type(x) is torch.Tensor else x for x in args)


def right_call(student, name: str, args: tuple, expectation: str, **options):
    """The call on a copy of ``args``, once its result is right: the gate before a property is checked."""
    expected = SPECS[name](*args)
    try:
        call = student.call(name, *clone_args(args), **options)
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        advice = ""
        if "must match the size of tensor" in str(exc.error.get("message", "")):
            advice = ". That is a broadcasting error: two dimensions of different sizes met"
        raise Mistake(f"{exc}; expected {describe_expected(expected)} ({expectation}){advice}") from None
    expect_answer(name, args, call.result)
    return call


def trivial(expected: object) -> bool:
    """An answer a constant could give: empty, all zeros, or the number 0."""
    if type(expected) is torch.Tensor:
        return expected.numel() == 0 or not bool(expected.any())
    return type(expected) is int and expected == 0
