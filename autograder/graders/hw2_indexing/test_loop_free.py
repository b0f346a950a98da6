"""Hidden graders for hw2_indexing: no Python loops, by reading the source and by counting torch calls.

These points are separate from correctness: a loop-based but right answer keeps its
correctness points and loses these. Only implemented functions (ones that return a value
instead of raising) can earn them.
"""

from __future__ import annotations

import pytest
import torch

from autograder.checks import Mistake
from autograder.graders.hw2_indexing.cases import FUNCTIONS, scaling_inputs
from autograder.loopcheck import expect_constant_work, expect_no_loops

SMALL, LARGE = 3, 11


def expect_implemented(student, name: str) -> None:
    """Loop-freedom points go to working code only: the function must return a value of the right type."""
    result = student.call(name, *scaling_inputs(name, SMALL)).result
    wanted = int if name == "count_in_range" else torch.Tensor
    if type(result) is not wanted:
        raise Mistake(f"`{name}` returned a {type(result).__name__}, expected a {wanted.__name__}; "
                      "loop-freedom points count only for a function that works")


@pytest.mark.points(3)
def test_no_loops_in_source(student, credit):
    """no for/while loops or comprehensions in any function (read from the source)"""
    for name in FUNCTIONS:
        with credit.case(name):
            expect_implemented(student, name)
            expect_no_loops(student, name)


@pytest.mark.points(2)
def test_work_does_not_grow_with_input(student, credit):
    """the number of torch calls does not grow with the input (a loop would)"""
    for name in FUNCTIONS:
        with credit.case(name):
            expect_constant_work(student, name, scaling_inputs(name, SMALL), scaling_inputs(name, LARGE),
                                 f"{SMALL} and {LARGE} rows")
