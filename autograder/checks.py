"""Assertions for graders, each failing with a message that names the mistake.

Every check looks at values that already crossed into the trusted process; nothing here
trusts an object's own methods (``__eq__``, ``__bool__``) when the object came from a
student: types are checked exactly first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

try:
    from autograder import diagrams
except ImportError:  # notebooks embed this file alone (release/harness_runtime.py): checks work, pictures are off
    diagrams = None  # type: ignore[assignment]


class Mistake(AssertionError):
    """A failed check; its message is the feedback the student reads.

    ``diagram``: a spec of :mod:`autograder.diagrams` (shapes, broadcasting, storage) drawn next to
    the message; built from values the grader holds, never sent anywhere but the results.
    """

    def __init__(self, message: str = "", *, diagram: dict | None = None) -> None:
        super().__init__(message)
        self.diagrams: list[dict] = [diagram] if diagram else []


def attach(exc: BaseException, spec: dict | None) -> None:
    """Add a diagram to a failure (a Mistake, or a StudentFault the grader saw), at most a few per failure."""
    if spec is None or diagrams is None:
        return
    found = diagrams_of(exc)
    if spec not in found and len(found) < diagrams.MAX_PER_TEST:
        found.append(spec)
    with contextlib.suppress(AttributeError, TypeError):
        exc.diagrams = found  # type: ignore[attr-defined]


def diagrams_of(exc: BaseException) -> list[dict]:
    """The diagrams a failure carries (cleaned again: the list is only ever ours, but stay strict)."""
    found = exc.__dict__.get("diagrams") if hasattr(exc, "__dict__") else None
    if type(found) is not list or diagrams is None:
        return []
    return [s for s in (diagrams.clean(d) for d in found[: diagrams.MAX_PER_TEST]) if s is not None]


def _drawn(build: str, *args: Any, **kwargs: Any) -> dict | None:
    """``diagrams.<build>(...)``, or None when the values cannot be drawn: a picture never becomes a grader error."""
    if diagrams is None:
        return None
    try:
        return getattr(diagrams, build)(*args, **kwargs)
    except Exception:  # noqa: BLE001 - odd student values (meta, sparse, huge) just get no picture
        return None


def fmt_shape(shape: Any) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def type_name(value: Any) -> str:
    kind = type(value)
    if kind.__name__ == "RemoteObject":
        return f"a {value.type_name} object"
    return f"a {kind.__module__ + '.' if kind.__module__ not in ('builtins',) else ''}{kind.__qualname__}"


MAX_SHOWN = 200  # characters of a student value shown in a message


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """A student value as a message shows it, at most ``limit`` characters, bounded *before* it is built.

    ``repr()`` of an 8 MiB string, of a list of a million items or of nested shared lists would be
    built whole (and echoed in every case); here strings are cut first, containers show their first
    items until the budget is spent, ints of thousands of digits and tensors are described instead.
    """
    text = _shown(value, max(limit, 8), 0)
    return text if len(text) <= limit else text[:limit] + "…"


def _shown(value: Any, budget: int, depth: int) -> str:
    kind = type(value)
    if kind in (str, bytes):
        return repr(value[:budget]) + ("…" if len(value) > budget else "")
    if kind is int:
        return repr(value) if value.bit_length() <= 512 else f"an int of {value.bit_length():,} bits"
    if kind in (bool, float, complex) or value is None:
        return repr(value)
    if kind in (list, tuple, dict):
        if depth >= 8:
            return "[…]" if kind is list else "(…)" if kind is tuple else "{…}"
        items = list(value.items()) if kind is dict else value
        parts, used = [], 2
        for i, item in enumerate(items):
            if used >= budget:
                parts.append("…")
                break
            if kind is dict:
                part = f"{_shown(item[0], budget - used, depth + 1)}: {_shown(item[1], budget - used, depth + 1)}"
            else:
                part = _shown(item, budget - used, depth + 1)
            parts.append(part)
            used += len(part) + 2
            if i >= 50:
                parts.append("…")
                break
        inner = ", ".join(parts)
        if kind is tuple and len(value) == 1:
            inner += ","
        return "[" + inner + "]" if kind is list else "(" + inner + ")" if kind is tuple else "{" + inner + "}"
    if kind is torch.Tensor:
        if value.device.type != "meta" and value.layout == torch.strided and value.numel() <= 8 and value.dim() <= 1:
            return f"tensor({_shown(value.detach().cpu().tolist(), budget, depth + 1)})"
        return f"a {str(value.dtype).removeprefix('torch.')} tensor of shape {fmt_shape(value.shape)}"
    if kind is np.ndarray:
        return f"a numpy {value.dtype} array of shape {fmt_shape(value.shape)}"
    return type_name(value)


def expect_type(value: Any, kind: type, what: str) -> None:
    """Exact type: subclasses (tensor subclasses, always-equal objects, bool for int) fail."""
    if type(value) is not kind:
        raise Mistake(f"{what} should be a {kind.__module__ + '.' if kind.__module__ != 'builtins' else ''}"
                      f"{kind.__qualname__}, but it is {type_name(value)}")


def expect_tensor_meta(actual: Any, expected: torch.Tensor, what: str, *, check_device: bool = True) -> None:
    """Type, shape, dtype and device, in that order; never broadcasts."""
    expect_type(actual, torch.Tensor, what)
    if actual.shape != expected.shape:
        raise Mistake(f"{what} has shape {fmt_shape(actual.shape)}, expected {fmt_shape(expected.shape)}",
                      diagram=_drawn("shape_spec", what, actual.shape, expected.shape))
    if actual.dtype != expected.dtype:
        raise Mistake(f"{what} has dtype {actual.dtype}, expected {expected.dtype}")
    if check_device and actual.device.type != expected.device.type:
        raise Mistake(f"{what} is on device '{actual.device}', expected '{expected.device}' "
                      "(create tensors with device=input.device instead of a fixed device)")


def first_difference(actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> tuple | None:
    """Index of the first element that differs (NaN equal only to NaN), or None."""
    a, e = actual.detach().cpu(), expected.detach().cpu()
    if a.is_floating_point() or a.is_complex() or e.is_floating_point():
        close = torch.isclose(a.to(torch.float64), e.to(torch.float64), rtol=rtol, atol=atol, equal_nan=True)
    else:
        close = a == e
    bad = (~close).nonzero()
    return tuple(int(i) for i in bad[0]) if len(bad) else None


def expect_tensor(actual: Any, expected: torch.Tensor, what: str, *, rtol: float = 1e-5, atol: float = 1e-6,
                  check_device: bool = True) -> None:
    """Exact type, shape, dtype and device, then values, reporting the first bad index."""
    expect_tensor_meta(actual, expected, what, check_device=check_device)
    if actual.device.type == "meta":
        return
    index = first_difference(actual, expected, rtol, atol)
    if index is not None:
        yours = actual.detach().cpu()[index].item()
        true = expected.detach().cpu()[index].item()
        at = f" at index {index if len(index) != 1 else index[0]}" if index else ""
        raise Mistake(f"{what} is wrong{at}: yours {yours:.6g} vs expected {true:.6g}"
                      if isinstance(yours, float) else f"{what} is wrong{at}: yours {yours} vs expected {true}")


def expect_value(actual: Any, expected: Any, what: str) -> None:
    """Exact type and equality for plain Python values (int, bool, str, tuples of these)."""
    expect_type(actual, type(expected), what)
    if isinstance(expected, (tuple, list)):
        if len(actual) != len(expected):
            raise Mistake(f"{what} has {len(actual)} items, expected {len(expected)}: yours {shown(actual)} vs "
                          f"expected {shown(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            expect_value(a, e, f"{what}[{i}]")
        return
    if actual != expected:
        raise Mistake(f"{what} is {shown(actual)}, expected {shown(expected)}")


def expect_close(actual: Any, expected: float, what: str, *, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """A Python float (exact type) close to the expected number."""
    expect_type(actual, float, what)
    if not abs(actual - expected) <= atol + rtol * abs(expected):
        raise Mistake(f"{what} is {actual:.6g}, expected {expected:.6g}")


def same_storage(a: Any, b: Any) -> bool:
    """True iff two received tensors/arrays share memory (decided here, in the grader); anything else shares nothing."""
    kinds = (torch.Tensor, np.ndarray)
    if type(a) not in kinds or type(b) not in kinds:
        return False
    if any(type(v) is torch.Tensor and (v.layout != torch.strided or v.device.type == "meta") for v in (a, b)):
        return False  # sparse layouts have no single storage to share; meta tensors have no memory at all
    if type(a) is np.ndarray or type(b) is np.ndarray:
        try:
            as_np = (lambda v: v if type(v) is np.ndarray else v.detach().cpu().numpy())
            # overlapping bounds, not np.shares_memory's exact answer (exponential work on crafted strides)
            return bool(np.may_share_memory(as_np(a), as_np(b)))
        except (TypeError, RuntimeError):
            return False  # a dtype numpy has no type for (bfloat16): it cannot be the array's memory
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def storage_diagram(what: str, result: Any, base: Any, base_name: str, shares: bool, must_share: bool,
                    expected: Any = None) -> dict | None:
    """The storage strip of ``base`` with the elements ``result`` (and the expected view) cover; tensors only."""
    tensors = (result, base) + ((expected,) if expected is not None else ())
    if any(type(t) is not torch.Tensor or t.device.type == "meta" or t.layout != torch.strided for t in tensors):
        return None
    return _drawn("storage_spec", what, base, base_name, result, shares, must_share, expected)


def expect_view_of(result: torch.Tensor, base: Any, what: str, base_name: str = "the input", *,
                   expected: torch.Tensor | None = None) -> None:
    """The result must use the input's storage (a view), not a copy.

    ``expected``: the right view, made by the grader of a tensor laid out like ``base``; the
    diagram then shows which elements of the storage it covers.
    """
    if not same_storage(result, base):
        raise Mistake(f"{what} is a copy, but it must be a view of {base_name} (share its storage); "
                      "use slicing, view() or t() rather than clone(), indexing with a list, or torch.tensor()",
                      diagram=storage_diagram(what, result, base, base_name, False, True, expected))


def expect_not_shared(result: torch.Tensor, base: Any, what: str, base_name: str = "the input") -> None:
    """The result must own its memory."""
    if same_storage(result, base):
        raise Mistake(f"{what} shares memory with {base_name}, but it must be an independent copy",
                      diagram=storage_diagram(what, result, base, base_name, True, False))


@contextlib.contextmanager
def broadcasting(what: str, operands: dict[str, Any], yours: Any = None) -> Iterator[None]:
    """Around the call and checks of a broadcasting operation: a failure inside draws the operands' shapes.

    ``operands`` maps names to the shapes the grader passed (``{"x": x.shape, "mean": m.shape}``).
    A shape diagram already on the failure (yours vs expected) is folded into the broadcast one.
    """
    try:
        yield
    except Exception as exc:  # a Mistake or a StudentFault; on a grader bug the picture is never shown
        found = diagrams_of(exc)
        shapes = [d for d in found if d["kind"] == "shape"]
        spec = _drawn("broadcast_spec", what, operands,
                      shapes[0]["yours"] if shapes and yours is None else yours)
        if spec is not None:
            with contextlib.suppress(AttributeError, TypeError):
                exc.diagrams = [d for d in found if d["kind"] != "shape"]  # type: ignore[attr-defined]
            attach(exc, spec)
        raise


def expect_unchanged(after: Any, before: torch.Tensor | np.ndarray, name: str) -> None:
    """An argument must be exactly as it was before the call."""
    if type(after) is not type(before) or type(after) not in (torch.Tensor, np.ndarray):
        # the arguments after a call are what the worker reports: one that is not even the same kind of value
        # was replaced (or the report forged); it is not the input left unchanged
        raise Mistake(f"your function's argument `{name}` came back as {type_name(after)}, not the "
                      f"{type_name(before).removeprefix('a ')} it was given; it must leave inputs unchanged")
    a = torch.from_numpy(after) if type(after) is np.ndarray else after
    b = torch.from_numpy(before) if type(before) is np.ndarray else before
    if a.device.type != b.device.type:  # no in-place operation moves a tensor (a meta one would hide any change)
        raise Mistake(f"your function's argument `{name}` came back on device '{a.device}', not '{b.device}'; it "
                      "must leave inputs unchanged")
    if a.device.type == "meta":
        return
    if a.shape != b.shape or not torch.equal(a.cpu(), b.cpu()):
        index = first_difference(a, b, 0, 0) if a.shape == b.shape else None
        where = f" (first change at index {index})" if index else ""
        raise Mistake(f"your function changed its argument `{name}`{where}; it must leave inputs unchanged "
                      "(work on a copy or use out-of-place operations)")


def matches(actual: Any, predicted: Any) -> bool:
    """True iff ``actual`` is exactly what ``predicted`` is (tensors: type, shape, dtype, values; NaN == NaN)."""
    if type(predicted) is torch.Tensor:
        if type(actual) is not torch.Tensor or actual.device.type == "meta":
            return False
        if actual.shape != predicted.shape or actual.dtype != predicted.dtype:
            return False
        return first_difference(actual, predicted, 1e-5, 1e-6) is None
    if type(predicted) in (tuple, list):  # element by element: a student's tuple may hold tensors
        return (type(actual) is type(predicted) and len(actual) == len(predicted)
                and all(matches(a, p) for a, p in zip(actual, predicted)))
    return type(actual) is type(predicted) and actual == predicted


def diagnose(actual: Any, hints: Any) -> str | None:
    """The message of the one known mistake whose prediction equals ``actual``, or None.

    ``hints`` holds (message, predicted) pairs; a callable prediction is computed lazily and a
    prediction that raises is skipped (that mistake would have crashed instead). When several
    mistakes would give this same answer the input cannot tell them apart, so none is named.
    """
    found = []
    for message, predicted in hints:
        if callable(predicted):
            try:
                predicted = predicted()
            except Exception:  # noqa: BLE001 - that mistake would have crashed, so it is not this one
                continue
        if matches(actual, predicted):
            found.append(message)
    return found[0] if len(found) == 1 else None


@contextlib.contextmanager
def naming_mistakes(actual: Any, hints: Any) -> Iterator[None]:
    """Around checks of ``actual``: when one fails and ``actual`` is what a known mistake gives, name it too."""
    try:
        yield
    except Mistake as exc:
        hint = diagnose(actual, hints)
        if hint:
            named = Mistake(f"{exc}. {hint}")
            named.diagrams = diagrams_of(exc)
            raise named from None
        raise


def expect_device(actual: Any, device: str | torch.device, what: str) -> None:
    """A tensor (exact type) on the given device type."""
    expect_type(actual, torch.Tensor, what)
    wanted = torch.device(device).type
    if actual.device.type != wanted:
        raise Mistake(f"{what} is on device '{actual.device}' for an input on '{wanted}', expected '{wanted}' "
                      "(create new tensors with device=input.device and avoid .cpu(), .numpy() and .item())")


def expect_matrix(actual: Any, expected: torch.Tensor, what: str, *, rtol: float = 1e-5, atol: float = 1e-6,
                  rows: str = "output") -> None:
    """A 2-D result such as a Jacobian (m, n): an answer that is the transpose is named as such."""
    if (type(actual) is torch.Tensor and expected.dim() == 2 and actual.dim() == 2
            and expected.shape[0] != expected.shape[1] and actual.shape == expected.mT.shape):
        same = actual.device.type != "meta" and first_difference(actual.mT, expected, rtol, atol) is None
        raise Mistake(f"{what} has shape {fmt_shape(actual.shape)}, expected {fmt_shape(expected.shape)}: "
                      f"{'it is the transpose of the right answer' if same else 'it looks transposed'} "
                      f"(one row per {rows}, one column per input)",
                      diagram=_drawn("shape_spec", what, actual.shape, expected.shape))
    expect_tensor(actual, expected, what, rtol=rtol, atol=atol)


def describe_expected(expected: Any) -> str:
    """``a float32 tensor of shape (3, 2)`` or the repr of a plain value: what the student should return."""
    if type(expected) is torch.Tensor:
        return f"a {str(expected.dtype).removeprefix('torch.')} tensor of shape {fmt_shape(expected.shape)}"
    return repr(expected)
