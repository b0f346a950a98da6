"""Hidden graders for hw3_broadcasting: no loops over elements, and broadcast_shape from the rules alone.

These points are separate from correctness: a loop-based but right answer keeps its
correctness points and loses these. A function earns them only where its answer on the same
case is right (points only for answers: a loop-free wrong answer earns nothing here).
"""

from __future__ import annotations

import pytest

from autograder.graders.hw3_broadcasting.answers import right_call
from autograder.graders.hw3_broadcasting.cases import scaling_inputs
from autograder.graders.hw3_broadcasting.specs import TENSOR_FUNCTIONS
from autograder.loopcheck import expect_constant_work, expect_no_library_calls, expect_no_loops

SMALL, LARGE = 3, 10
# broadcast_shape must apply the rules itself: no ready-made broadcasting and no real tensors
BROADCAST_BANNED = ("torch", "numpy", ".broadcast_shapes", ".broadcast_tensors", ".broadcast_to",
                    ".broadcast_arrays", ".expand", ".expand_as")
SOFTMAX_BANNED = (".softmax", ".log_softmax", "torch.nn.functional.softmax", "torch.softmax")


@pytest.mark.points(3)
def test_no_loops_in_source(student, credit):
    """no loops over elements in the tensor functions (read from the source)"""
    for name in TENSOR_FUNCTIONS:
        with credit.case(name):
            right_call(student, name, scaling_inputs(name, SMALL), "a right answer, made without loops")
            expect_no_loops(student, name, banned=SOFTMAX_BANNED if name == "stable_softmax" else ())


@pytest.mark.points(2)
def test_work_does_not_grow_with_input(student, credit):
    """the number of torch calls does not grow with the input (a loop would)"""
    for name in TENSOR_FUNCTIONS:
        with credit.case(name):
            right_call(student, name, scaling_inputs(name, LARGE), "a right answer, made without loops")
            expect_constant_work(student, name, scaling_inputs(name, SMALL), scaling_inputs(name, LARGE),
                                 f"every dimension {SMALL}-{SMALL + 2} and then {LARGE}-{LARGE + 2}")


@pytest.mark.points(2)
def test_broadcast_shape_applies_the_rules(student, credit):
    """broadcast_shape uses neither torch.broadcast_shapes, numpy nor real tensors"""
    with credit.case("the source of broadcast_shape"):
        right_call(student, "broadcast_shape", scaling_inputs("broadcast_shape", SMALL), "the broadcast shape")
        expect_no_loops(student, "broadcast_shape", banned=BROADCAST_BANNED, loops_allowed=True,
                        advice="compute the shape from the two tuples by the lecture's three rules")
    with credit.case("what broadcast_shape calls when it runs"):
        right_call(student, "broadcast_shape", ((2, 3), (5, 1, 3)), "the broadcast shape")
        expect_no_library_calls(student, "broadcast_shape", ((2, 3), (5, 1, 3)))
