"""Hypothesis strategies for grader inputs, in the style of Tensor-Puzzles, drawn deterministically.

Every named dimension gets its own size (so a transposed or square-only answer cannot pass by
accident), sizes include 0 and 1, and tensors come in odd memory layouts (transposed or strided
views, or a view that starts inside a larger storage) whose gaps hold a poison value. Graders draw a small,
fixed list of examples once with :func:`draw_examples` (same seed, same examples, every run)
because each example costs a round trip to the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SIZES = (0, 1, 2, 3, 4, 5, 6, 7)
LAYOUTS = ("contiguous", "transposed", "strided", "offset")
POISON = 9999  # what the gaps of a strided or offset layout hold: a reader of raw storage sees it

_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64,
                 torch.int32: np.int32, torch.int16: np.int16, torch.uint8: np.uint8, torch.bool: np.bool_}


def dims(names: str | Sequence[str], sizes: Sequence[int] = SIZES, *, distinct: bool = True
         ) -> st.SearchStrategy[dict[str, int]]:
    """Sizes for named dimensions (``"rows cols"``), all different from each other when ``distinct``."""
    names = names.split() if isinstance(names, str) else list(names)
    if distinct and len(sizes) < len(names):
        raise ValueError(f"{len(names)} distinct dimensions need at least as many sizes, got {list(sizes)}")
    values = st.lists(st.sampled_from(list(sizes)), min_size=len(names), max_size=len(names), unique=distinct)
    return values.map(lambda chosen: dict(zip(names, chosen)))


def grid_values(step: float = 0.25, bound: float = 8.0) -> st.SearchStrategy[float]:
    """Floats on a grid of ``step`` in [-bound, bound]: exact in float32, so sums do not round."""
    count = int(round(bound / step))
    return st.integers(-count, count).map(lambda k: k * step)


def default_elements(dtype: torch.dtype) -> st.SearchStrategy:
    if dtype == torch.bool:
        return st.booleans()
    if dtype.is_floating_point:
        return grid_values()
    return st.integers(-20, 20) if dtype != torch.uint8 else st.integers(0, 40)


def relayout(values: torch.Tensor, layout: str) -> torch.Tensor:
    """The same values in a different memory layout (a non-contiguous view, poison in the gaps)."""
    if layout == "contiguous" or values.dim() == 0:
        return values.clone()
    if layout == "transposed" and values.dim() >= 2:
        return values.transpose(-1, -2).contiguous().transpose(-1, -2)
    poison = torch.tensor(POISON).to(values.dtype)
    if layout == "offset":
        base = torch.full((values.numel() + 3,), poison.item(), dtype=values.dtype)
        base[3:] = values.reshape(-1)
        return base[3:].view(values.shape)
    # "strided" (and "transposed" of a 1-D tensor): every other element of a wider tensor
    wide = torch.full((*values.shape[:-1], 2 * values.shape[-1]), poison.item(), dtype=values.dtype)
    wide[..., ::2] = values
    return wide[..., ::2]


def tensors(shape: Sequence[int], dtype: torch.dtype = torch.float32, elements: st.SearchStrategy | None = None,
            layouts: Sequence[str] = LAYOUTS) -> st.SearchStrategy[torch.Tensor]:
    """Tensors of an exact shape and dtype, with values from ``elements``, in one of ``layouts``."""
    shape = tuple(int(d) for d in shape)
    arrays = hnp.arrays(_NUMPY_DTYPES[dtype], shape, elements=default_elements(dtype) if elements is None else elements)
    return st.tuples(arrays, st.sampled_from(list(layouts))).map(
        lambda pair: relayout(torch.from_numpy(np.array(pair[0])), pair[1]))


def broadcastable_shapes(max_dims: int = 4, sizes: Sequence[int] = SIZES
                         ) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of shapes that broadcast: a result shape, each side keeping a suffix with some dims set to 1."""

    @st.composite
    def pairs(draw: Callable) -> tuple[tuple[int, ...], tuple[int, ...]]:
        result = draw(st.lists(st.sampled_from(list(sizes)), min_size=0, max_size=max_dims))
        sides = []
        for _ in range(2):
            kept = draw(st.integers(0, len(result)))
            suffix = result[len(result) - kept:]
            ones = draw(st.lists(st.booleans(), min_size=len(suffix), max_size=len(suffix)))
            sides.append(tuple(1 if one else d for d, one in zip(suffix, ones)))
        return sides[0], sides[1]

    return pairs()


def incompatible_shapes(max_dims: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of shapes that do not broadcast: one aligned dimension has two different sizes, both not 1."""

    @st.composite
    def pairs(draw: Callable) -> tuple[tuple[int, ...], tuple[int, ...]]:
        a, b = draw(broadcastable_shapes(max_dims, sizes=(1, 2, 3, 5, 7)))
        clash_a, clash_b = draw(st.lists(st.sampled_from([0, 2, 3, 4, 6]), min_size=2, max_size=2, unique=True))
        depth = min(len(a), len(b))
        at = draw(st.integers(1, depth)) if depth else 1
        a = (*a[: len(a) - at], clash_a, *a[len(a) - at + 1:]) if depth else (*a, clash_a)
        b = (*b[: len(b) - at], clash_b, *b[len(b) - at + 1:]) if depth else (*b, clash_b)
        return a, b

    return pairs()


def draw_examples(strategy: st.SearchStrategy, count: int, rng_seed: int = 0) -> list[Any]:
    """``count`` examples of ``strategy``, the same ones on every run (fixed seed, no database)."""
    found: list[Any] = []

    @seed(rng_seed)
    @settings(database=None, max_examples=count, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found[:count]
