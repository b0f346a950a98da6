"""hw2 grader inputs: fixed cases from the lecture and the classic mistakes, then fixed hypothesis draws.

Each function gets a few fixed cases (the lecture's tensor, edge cases that catch a named
mistake) and a fixed draw of hypothesis examples with named dimensions of different sizes,
empty and size-1 dimensions and odd memory layouts. Expected values come from specs.py.
"""

from __future__ import annotations

import functools

import torch
from hypothesis import strategies as st

from autograder.graders.hw2_indexing.specs import PARAMS, SPECS
from autograder.strategies import dims, draw_examples, grid_values, relayout, tensors

SEED = 2

# seed 001, "Slicing and truth arrays practice": a = torch.randint(-99, 100, (10, 10))
LECTURE = torch.tensor([
    [69, -57, 56, -57, -7, 77, -87, 71, -2, -83], [68, 98, -77, -1, 66, -66, 41, -71, 24, 39],
    [-70, 2, -61, -60, -68, 41, -81, -22, -90, -58], [57, 78, -1, 58, -50, -19, -64, 23, 75, 57],
    [-37, 51, -65, 87, 75, 66, -51, -6, 88, -62], [-84, -6, 50, -11, -11, -76, -76, -31, 97, 41],
    [86, -37, -47, 65, -2, -45, 19, 35, 17, -19], [-27, 76, 42, 43, 65, 40, 83, -17, -26, 24],
    [-99, 69, 96, -78, -82, -86, 46, -19, 68, 74], [-72, -38, -8, -67, 1, -55, 97, -76, 2, -38]])


def describe(t: torch.Tensor) -> str:
    """``int64 (3, 5), non-contiguous`` — enough for a student to rebuild the case."""
    shape = "(" + ", ".join(str(d) for d in t.shape) + ("," if t.dim() == 1 else "") + ")"
    layout = "" if t.is_contiguous() else ", non-contiguous"
    return f"{str(t.dtype).removeprefix('torch.')} {shape}{layout}"


def grid(rows: int, cols: int) -> torch.Tensor:
    """Distinct values, so a wrong row or column cannot pass by accident."""
    return torch.arange(rows * cols).reshape(rows, cols) * 3 - 7


# ---------------------------------------------------------------- inputs


@st.composite
def quadrant_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    return (draw(tensors((d["rows"], d["cols"]), torch.int64)),)


@st.composite
def column_inputs(draw) -> tuple:
    d = draw(dims("rows cols", sizes=(0, 1, 2, 3, 5, 6, 7, 9)))
    cols = max(d["cols"], 1)
    a = draw(tensors((d["rows"], cols), draw(st.sampled_from([torch.int64, torch.int32]))))
    return a, draw(st.integers(0, cols - 1))


@st.composite
def replace_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    dtype = draw(st.sampled_from([torch.float32, torch.int64, torch.float64]))
    a = draw(tensors((d["rows"], d["cols"]), dtype))
    mask = draw(tensors((d["rows"], d["cols"]), torch.bool))
    value = draw(grid_values()) if dtype.is_floating_point else draw(st.integers(-50, 50))
    return a, mask, value


@st.composite
def negative_row_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    dtype = draw(st.sampled_from([torch.int64, torch.float32]))
    elements = st.integers(-3, 12) if dtype == torch.int64 else st.integers(-3, 12).map(lambda k: k / 2)
    return (draw(tensors((d["rows"], d["cols"]), dtype, elements)),)


@st.composite
def every_other_inputs(draw) -> tuple:
    shape = draw(st.sampled_from(["last", "rows last", "batch rows last"]))
    d = draw(dims(shape))
    return (draw(tensors(tuple(d.values()), draw(st.sampled_from([torch.float32, torch.int64])))),)


@st.composite
def range_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    dtype = draw(st.sampled_from([torch.int64, torch.float32]))
    a = draw(tensors((d["rows"], d["cols"]), dtype))
    present = a.reshape(-1).tolist()
    bound = st.sampled_from(present) if present else st.just(0)
    lo, hi = sorted([draw(bound), draw(bound)])
    if dtype.is_floating_point:
        return a, float(lo), float(hi)
    return a, int(lo), int(hi)


@st.composite
def masked_mean_inputs(draw, empty_rows: bool = False) -> tuple:
    d = draw(dims("rows width", sizes=(1, 2, 3, 4, 5, 6, 7) if not empty_rows else (0, 1, 2, 3, 4, 5, 6)))
    rows, width = d["rows"], d["width"]
    x = draw(tensors((rows, width), draw(st.sampled_from([torch.float32, torch.float64]))))
    mask = draw(tensors((rows, width), torch.bool, layouts=("contiguous",))).clone()
    if width:
        keep = draw(st.lists(st.integers(0, width - 1), min_size=rows, max_size=rows))
        mask[torch.arange(rows), torch.tensor(keep, dtype=torch.long)] = True  # every row has an entry
    if empty_rows and rows:
        empty = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        empty[0] = True
        mask[torch.tensor(empty)] = False
    return x, relayout(mask, draw(st.sampled_from(["contiguous", "transposed", "strided"])))


@st.composite
def one_hot_inputs(draw) -> tuple:
    n = draw(st.sampled_from([0, 1, 2, 3, 5, 6, 8]))
    num_classes = draw(st.integers(1, 9))
    labels = draw(tensors((n,), torch.int64, st.integers(0, num_classes - 1)))
    if n and int(labels.max()) == num_classes - 1 and num_classes < 9:
        num_classes += draw(st.integers(0, 2))  # often more classes than labels present
    return labels, num_classes


def _drawn(name: str, strategy: st.SearchStrategy, count: int) -> list[tuple[str, tuple]]:
    """Drawn cases, labelled so that a student can rebuild them (``x: float32 (4, 1); dim=1``)."""
    def label(args: tuple) -> str:
        return "; ".join(f"{param}: {describe(x)}" if type(x) is torch.Tensor else f"{param}={x!r}"
                         for param, x in zip(PARAMS[name], args))

    return [(label(args), args) for args in draw_examples(strategy, count, SEED)]


@functools.cache
def cases(name: str) -> list[tuple[str, tuple]]:
    """(label, args) of every graded case of one function: fixed cases first, then drawn ones."""
    return CASE_BUILDERS[name]()


def _quadrant_cases() -> list[tuple[str, tuple]]:
    fixed = [("the lecture's 10 x 10 tensor", (LECTURE.clone(),)),
             ("a (4, 7) grid, more columns than rows", (grid(4, 7),)),
             ("a (6, 3) grid, more rows than columns", (grid(6, 3),)),
             ("a (5, 9) transposed grid", (relayout(grid(5, 9), "transposed"),))]
    return fixed + _drawn("top_right_quadrant", quadrant_inputs(), 10)


def _column_cases() -> list[tuple[str, tuple]]:
    fixed = [("column 3 of the lecture's tensor", (LECTURE.clone(), 3)),
             ("column 1 of a (6, 4) grid", (torch.tensor([[4, 8, 1, 2], [0, -4, 3, 3], [5, 6, 7, 7],
                                                         [-8, 12, 9, 9], [2, 2, 2, 2], [16, -12, 0, 1]]), 1)),
             ("column 0 of a (5, 2) strided tensor", (relayout(torch.tensor([[8, 1], [3, 4], [-4, 0], [7, 12],
                                                                              [0, 5]]), "strided"), 0))]
    return fixed + _drawn("multiples_of_4_in_column", column_inputs(), 10)


def _replace_cases() -> list[tuple[str, tuple]]:
    a = grid(3, 4).float()
    fixed = [("a (3, 4) grid, value 0.5 where a > 5", (a, a > 5, 0.5)),
             ("an int64 (2, 5) grid, value -1", (grid(2, 5), grid(2, 5) % 2 == 0, -1))]
    return fixed + _drawn("replace_where", replace_inputs(), 8)


def _negative_row_cases() -> list[tuple[str, tuple]]:
    a = torch.tensor([[3, 0, 5], [-1, 2, 2], [0, 0, 0], [4, -6, -2], [7, 8, 9]])
    fixed = [("a (5, 3) tensor with zeros and negatives", (a,)),
             ("the lecture's 10 x 10 tensor", (LECTURE.clone(),)),
             ("a (2, 6) tensor whose second row has one negative", (torch.tensor([[1., 2, 3, 4, 5, 6],
                                                                                  [1, 2, 3, 4, 5, -.5]]),)),
             ("a (4, 0) tensor (no columns)", (torch.empty(4, 0),))]
    return fixed + _drawn("rows_with_negative", negative_row_inputs(), 10)


def _every_other_cases() -> list[tuple[str, tuple]]:
    fixed = [("a (7,) vector", (torch.arange(7.0),)),
             ("a (3, 5) grid", (grid(3, 5),)),
             ("a (2, 3, 4) tensor", (torch.arange(24).reshape(2, 3, 4),)),
             ("a (4, 6) transposed grid", (relayout(grid(4, 6), "transposed"),))]
    return fixed + _drawn("every_other", every_other_inputs(), 10)


def _range_cases() -> list[tuple[str, tuple]]:
    a = torch.tensor([[1, 5, 3, 5], [2, 9, 5, 0]])
    fixed = [("a (2, 4) int tensor, lo=2, hi=5", (a, 2, 5)),
             ("a (2, 4) int tensor, lo=1, hi=3", (a, 1, 3)),
             ("a (3,) float tensor, lo=-0.5, hi=1.5", (torch.tensor([-0.5, 1.5, 0.25]), -0.5, 1.5)),
             ("an empty (0, 3) tensor", (torch.empty(0, 3), 0.0, 1.0))]
    return fixed + _drawn("count_in_range", range_inputs(), 10)


def _masked_mean_cases() -> list[tuple[str, tuple]]:
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-1.0, 5.0, 0.5, 2.0], [3.0, 3.0, 6.0, 0.0]])
    mask = torch.tensor([[True, False, True, False], [True, True, True, True], [False, False, True, False]])
    fixed = [("a (3, 4) tensor, every row has an entry", (x, mask)),
             ("a single row (1, 4)", (x[1:2].clone(), mask[:1].clone())),
             ("a single column (3, 1)", (x[:, 2:3].clone(), mask[:, 2:3].clone()))]
    return fixed + _drawn("masked_row_mean", masked_mean_inputs(), 10)


def _empty_row_cases() -> list[tuple[str, tuple]]:
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    fixed = [("a (2, 3) tensor whose second row's mask is all False",
              (x, torch.tensor([[True, False, True], [False, False, False]]))),
             ("a (3, 0) tensor: no entries at all", (torch.empty(3, 0), torch.empty(3, 0, dtype=torch.bool)))]
    return fixed + _drawn("masked_row_mean", masked_mean_inputs(empty_rows=True), 6)


def _one_hot_cases() -> list[tuple[str, tuple]]:
    fixed = [("labels [2, 0, 1] with 3 classes", (torch.tensor([2, 0, 1]), 3)),
             ("labels [0, 1, 1, 0] with 5 classes (more classes than labels)", (torch.tensor([0, 1, 1, 0]), 5)),
             ("no labels, 4 classes", (torch.empty(0, dtype=torch.int64), 4)),
             # one label: a squeeze() that drops the batch dimension shows only here
             ("a single label [3] with 4 classes", (torch.tensor([3]), 4)),
             ("a single label [0] with 1 class", (torch.tensor([0]), 1))]
    return fixed + _drawn("one_hot", one_hot_inputs(), 8)


CASE_BUILDERS = {
    "top_right_quadrant": _quadrant_cases,
    "multiples_of_4_in_column": _column_cases,
    "replace_where": _replace_cases,
    "rows_with_negative": _negative_row_cases,
    "every_other": _every_other_cases,
    "count_in_range": _range_cases,
    "masked_row_mean": _masked_mean_cases,
    "masked_row_mean_empty_rows": _empty_row_cases,
    "one_hot": _one_hot_cases,
}

# ---------------------------------------------------------------- for the loop checks: a small and a large input


def scaling_inputs(name: str, size: int) -> tuple:
    """Arguments for ``name`` at a size: the loop check compares the torch calls at two sizes."""
    rows, cols = size, size + 2
    a = grid(rows, cols)
    return {
        "top_right_quadrant": (a,),
        "multiples_of_4_in_column": (a, 1),
        "replace_where": (a.float(), a % 3 == 0, 0.5),
        "rows_with_negative": (a - 3 * rows,),
        "every_other": (a,),
        "count_in_range": (a, 0, 3 * rows),
        "masked_row_mean": (a.float(), a % 3 == 0),
        "one_hot": (torch.arange(rows) % cols, cols),
    }[name]


FUNCTIONS = tuple(SPECS)
