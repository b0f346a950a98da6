"""hw3 grader inputs: fixed cases from the lecture's shape tables, then fixed hypothesis draws.

Drawn cases give every named dimension its own size (0 and 1 included) and use odd memory
layouts, so a transposed, square-only or squeeze-everything answer fails. Expected values
come from specs.py.
"""

from __future__ import annotations

import functools

import torch
from hypothesis import strategies as st

from autograder.graders.hw3_broadcasting.specs import PARAMS
from autograder.strategies import (
    broadcastable_shapes,
    dims,
    draw_examples,
    grid_values,
    incompatible_shapes,
    tensors,
)

SEED = 3

# the lecture's tables: (shape a, shape b) -> shape of a + b
LECTURE_TABLE = [
    ((2, 3), (5, 1, 3), (5, 2, 3)),
    ((4,), (1, 4), (1, 4)),
    ((4,), (4, 1), (4, 4)),
    ((3,), (4, 1), (4, 3)),
    ((4, 1), (4,), (4, 4)),
    ((1, 3), (3,), (1, 3)),
    ((1, 7), (5, 2, 3, 7), (5, 2, 3, 7)),
]
LECTURE_ERRORS = [((3,), (1, 4)), ((4, 1), (2, 3, 7))]


def describe(t: torch.Tensor) -> str:
    shape = "(" + ", ".join(str(d) for d in t.shape) + ("," if t.dim() == 1 else "") + ")"
    layout = "" if t.is_contiguous() else ", non-contiguous"
    return f"{str(t.dtype).removeprefix('torch.')} {shape}{layout}"


# ---------------------------------------------------------------- inputs


@st.composite
def pairwise_inputs(draw) -> tuple:
    d = draw(dims("N M D"))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return draw(tensors((d["N"], d["D"]), dtype)), draw(tensors((d["M"], d["D"]), dtype))


@st.composite
def normalize_inputs(draw) -> tuple:
    d = draw(dims("B C H W", sizes=(1, 2, 3, 4, 5, 6)))
    img = draw(tensors((d["B"], d["C"], d["H"], d["W"]), torch.float32))
    mean = draw(tensors((d["C"],), torch.float32))
    std = draw(tensors((d["C"],), torch.float32, st.integers(1, 16).map(lambda k: k / 4)))
    return img, mean, std


@st.composite
def vec_mat_inputs(draw) -> tuple:
    d = draw(dims("K L"))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return draw(tensors((d["K"],), dtype)), draw(tensors((d["K"], d["L"]), dtype))


@st.composite
def batched_inputs(draw) -> tuple:
    d = draw(dims("B I K", sizes=(0, 1, 2, 3, 4, 5, 6)))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return draw(tensors((d["B"], d["I"], d["K"]), dtype)), draw(tensors((d["B"], d["K"]), dtype))


@st.composite
def outer_inputs(draw) -> tuple:
    d = draw(dims("N M"))
    dtype = draw(st.sampled_from([torch.float32, torch.int64, torch.float64]))
    return draw(tensors((d["N"],), dtype)), draw(tensors((d["M"],), dtype))


@st.composite
def softmax_inputs(draw, large: bool = False) -> tuple:
    names = draw(st.sampled_from(["n", "rows n", "batch rows n"]))
    d = draw(dims(names, sizes=(1, 2, 3, 4, 5, 6)))
    shape = tuple(d.values())
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    elements = st.sampled_from([-1e4, -9999.0, -5000.0, 0.0, 1.5, 5000.0, 9998.0, 1e4]) if large else grid_values()
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return draw(tensors(shape, dtype, elements)), dim


def _drawn(name: str, strategy: st.SearchStrategy, count: int) -> list[tuple[str, tuple]]:
    """Drawn cases, labelled so that a student can rebuild them (``x: float32 (4, 1); dim=1``)."""
    def label(args: tuple) -> str:
        return "; ".join(f"{param}: {describe(x)}" if type(x) is torch.Tensor else f"{param}={x!r}"
                         for param, x in zip(PARAMS[name], args))

    return [(label(args), args) for args in draw_examples(strategy, count, SEED)]


def near_duplicates(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of Y within 0.001 of rows of X, far from the origin: ||x||^2 + ||y||^2 - 2 x.y rounds below 0."""
    generator = torch.Generator().manual_seed(seed)
    X = (torch.randn(4, 6, generator=generator) * 300 + 1000).float()
    Y = torch.cat([X[[2, 0]] + 0.001, torch.randn(1, 6, generator=generator) * 300]).float()
    return X, Y


def image(B: int, C: int, H: int, W: int) -> torch.Tensor:
    return (torch.arange(B * C * H * W, dtype=torch.float32).reshape(B, C, H, W) % 11) / 2 - 2


@functools.cache
def cases(name: str) -> list[tuple[str, tuple]]:
    """(label, args) of every graded case of one function: fixed cases first, then drawn ones."""
    return CASE_BUILDERS[name]()


def _compatible_cases() -> list[tuple[str, tuple]]:
    fixed = [((2,), (2, 1)), ((3,), (2, 1)), ((0,), (1,)), ((), (3, 0)), ((5, 1, 0), (1, 4, 1))]
    drawn = draw_examples(broadcastable_shapes(), 14, SEED)
    return [(f"shapes {a} and {b}", (a, b)) for a, b in fixed + drawn]


def _incompatible_cases() -> list[tuple[str, tuple]]:
    fixed = [(f"shapes {a} and {b} (from the lecture)", (a, b)) for a, b in LECTURE_ERRORS]
    fixed += [("shapes (0,) and (3,)", ((0,), (3,))), ("shapes (2, 5, 3) and (6, 1)", ((2, 5, 3), (6, 1)))]
    return fixed + [(f"shapes {a} and {b}", (a, b)) for a, b in draw_examples(incompatible_shapes(), 6, SEED)]


def _pairwise_cases() -> list[tuple[str, tuple]]:
    X = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    Y = torch.tensor([[0.0, 0.0], [6.0, 8.0]])
    fixed = [("X (3, 2) and Y (2, 2)", (X, Y)), ("X (1, 3) and Y (4, 3)", (torch.ones(1, 3), torch.eye(4, 3)))]
    return fixed + _drawn("pairwise_sq_distances", pairwise_inputs(), 10)


def _normalize_cases() -> list[tuple[str, tuple]]:
    mean, std = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([2.0, 0.5, 4.0])
    fixed = [("img (2, 3, 4, 5)", (image(2, 3, 4, 5), mean, std)),
             ("img (2, 3, 4, 5) in channels_last memory format",
              (image(2, 3, 4, 5).contiguous(memory_format=torch.channels_last), mean, std)),
             ("img (1, 3, 5, 3) (W equals C)", (image(1, 3, 5, 3), mean, std))]
    return fixed + _drawn("normalize_channels", normalize_inputs(), 8)


def _vec_mat_cases() -> list[tuple[str, tuple]]:
    A = torch.arange(12.0).reshape(3, 4)
    fixed = [("v (3,) and A (3, 4)", (torch.tensor([1.0, -2.0, 0.5]), A)),
             ("v (3,) and A (3, 1) (L == 1)", (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([[1.0], [0.5], [2.0]]))),
             ("v (4,) and a transposed A (4, 3)", (torch.tensor([1.0, 0.0, -1.0, 2.0]), A.t()))]
    return fixed + _drawn("vec_mat", vec_mat_inputs(), 8)


def _batched_cases() -> list[tuple[str, tuple]]:
    A = torch.arange(24.0).reshape(2, 3, 4) / 4
    fixed = [("A (2, 3, 4) and v (2, 4)", (A, torch.tensor([[1.0, 0.0, -1.0, 2.0], [0.5, 0.5, 0.5, 0.5]]))),
             ("A (1, 3, 2) and v (1, 2) (B == 1)", (torch.arange(6.0).reshape(1, 3, 2), torch.tensor([[1.0, -1.0]]))),
             ("A (3, 1, 2) and v (3, 2) (I == 1)", (torch.arange(6.0).reshape(3, 1, 2), torch.ones(3, 2)))]
    return fixed + _drawn("batched_matvec", batched_inputs(), 8)


def _outer_cases() -> list[tuple[str, tuple]]:
    fixed = [("a (4,) and b (3,)", (torch.tensor([0.0, 10.0, 20.0, 30.0]), torch.tensor([1.0, 2.0, 3.0]))),
             ("a (4,) and b (4,)", (torch.tensor([1, 2, 3, 4]), torch.tensor([10, 20, 30, 40])))]
    return fixed + _drawn("outer_sum", outer_inputs(), 8)


def _softmax_cases() -> list[tuple[str, tuple]]:
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 4.0], [2.0, -2.0, 1.0]])
    fixed = [("x (4, 3), dim=1", (x, 1)), ("x (4, 3), dim=0", (x, 0)), ("x (4, 3), dim=-1", (x, -1))]
    return fixed + _drawn("stable_softmax", softmax_inputs(), 8)


def _large_softmax_cases() -> list[tuple[str, tuple]]:
    x = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, -1e4 + 2]])
    fixed = [("x (2, 3) with entries of +-1e4, dim=1", (x, 1)),
             ("x (3, 2) with entries of +-1e4, dim=0", (x.t().contiguous(), 0)),
             ("x (3,) = [1e4, 1e4, 1e4], dim=0", (torch.full((3,), 1e4), 0))]
    return fixed + _drawn("stable_softmax", softmax_inputs(large=True), 5)


CASE_BUILDERS = {
    "broadcast_shape": _compatible_cases,
    "broadcast_shape_incompatible": _incompatible_cases,
    "pairwise_sq_distances": _pairwise_cases,
    "normalize_channels": _normalize_cases,
    "vec_mat": _vec_mat_cases,
    "batched_matvec": _batched_cases,
    "outer_sum": _outer_cases,
    "stable_softmax": _softmax_cases,
    "stable_softmax_large": _large_softmax_cases,
}

# ---------------------------------------------------------------- for the loop checks: a small and a large input


def scaling_inputs(name: str, size: int) -> tuple:
    """Arguments for ``name`` at a size (every dimension grows with it, each to its own size)."""
    n, m, k = size, size + 1, size + 2
    ramp = torch.arange(n * m * k, dtype=torch.float32) % 7 - 3
    return {
        "broadcast_shape": ((n, 1, k), (m, 1)),
        "pairwise_sq_distances": (ramp[: n * k].reshape(n, k), ramp[: m * k].reshape(m, k)),
        "normalize_channels": (ramp[: n * m * k].reshape(n, m, k, 1).expand(n, m, k, 2).contiguous(),
                               torch.linspace(-1, 1, m), torch.linspace(0.5, 2, m)),
        "vec_mat": (ramp[:k], ramp[: k * m].reshape(k, m)),
        "batched_matvec": (ramp[: n * m * k].reshape(n, m, k), ramp[: n * k].reshape(n, k)),
        "outer_sum": (ramp[:n], ramp[:m]),
        "stable_softmax": (ramp[: n * m].reshape(n, m), 1),
    }[name]

