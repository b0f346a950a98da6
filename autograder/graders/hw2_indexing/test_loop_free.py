"""Hidden graders for hw2_indexing: no Python loops, by reading the source and by counting torch calls.

These points are separate from correctness: a loop-based but right answer keeps its
correctness points and loses these. A function earns them only where its answer on the same
case is right (points only for answers: a loop-free wrong answer earns nothing here).
"""

from __future__ import annotations

import pytest

from autograder.graders.hw2_indexing.answers import right_call
from autograder.graders.hw2_indexing.cases import FUNCTIONS, scaling_inputs
from autograder.loopcheck import expect_constant_work, expect_no_loops

SMALL, LARGE = 3, 11


@pytest.mark.points(3)
def test_no_loops_in_source(student, credit):
    """no for/while loops or comprehensions in any function (read from the source)"""
    for name in FUNCTIONS:
        with credit.case(name):
            right_call(student, name, scaling_inputs(name, SMALL), "a right answer, made without loops")
            expect_no_loops(student, name)


@pytest.mark.points(2)
def test_work_does_not_grow_with_input(student, credit):
    """the number of torch calls does not grow with the input (a loop would)"""
    for name in FUNCTIONS:
        with credit.case(name):
            right_call(student, name, scaling_inputs(name, LARGE), "a right answer, made without loops")
            expect_constant_work(student, name, scaling_inputs(name, SMALL), scaling_inputs(name, LARGE),
                                 f"{SMALL} and {LARGE} rows")
