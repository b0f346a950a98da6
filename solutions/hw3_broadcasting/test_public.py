"""Public checks for hw3_broadcasting: run them with `tensorgrade check hw3_broadcasting broadcasting.py`.

A few quick cases from INSTRUCTIONS.md. The hidden graders try many more shapes (every
dimension its own size, sizes 0 and 1, non-contiguous inputs) and read your code for loops.
"""

import pytest
import torch

from autograder.checks import Mistake, expect_tensor, expect_value
from autograder.proxy import StudentError


@pytest.mark.points(1)
def test_broadcast_shape_lecture_examples(student):
    """broadcast_shape on the lecture's examples"""
    expect_value(student.broadcast_shape((2, 3), (5, 1, 3)), (5, 2, 3), "broadcast_shape((2, 3), (5, 1, 3))")
    expect_value(student.broadcast_shape((4,), (4, 1)), (4, 4), "broadcast_shape((4,), (4, 1))")


@pytest.mark.points(1)
def test_broadcast_shape_error(student):
    """broadcast_shape raises ValueError for (3,) and (1, 4)"""
    try:
        result = student.broadcast_shape((3,), (1, 4))
    except StudentError as exc:
        if not exc.is_a("ValueError"):
            raise
    else:
        raise Mistake(f"broadcast_shape((3,), (1, 4)) returned {result!r}, expected ValueError")


@pytest.mark.points(1)
def test_vec_mat_lecture_example(student):
    """vec_mat returns shape (L,)"""
    v, A = torch.tensor([1.0, -2.0, 0.5]), torch.arange(12.0).reshape(3, 4)
    expect_tensor(student.vec_mat(v, A), torch.tensor([-4.0, -4.5, -5.0, -5.5]), "vec_mat(v, A)")


@pytest.mark.points(1)
def test_outer_sum_not_square(student):
    """outer_sum of (4,) and (3,) is (4, 3)"""
    a, b = torch.tensor([0.0, 10.0, 20.0, 30.0]), torch.tensor([1.0, 2.0, 3.0])
    expect_tensor(student.outer_sum(a, b), a[:, None] + b[None, :], "outer_sum(a, b)")


@pytest.mark.points(1)
def test_pairwise_sq_distances_not_square(student):
    """pairwise_sq_distances of (3, 2) and (2, 2) is (3, 2)"""
    X, Y = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]]), torch.tensor([[0.0, 0.0], [6.0, 8.0]])
    expect_tensor(student.pairwise_sq_distances(X, Y), torch.tensor([[0.0, 100.0], [25.0, 25.0], [2.0, 74.0]]),
                  "pairwise_sq_distances(X, Y)")


@pytest.mark.points(1)
def test_batched_matvec_shape(student):
    """batched_matvec of (2, 3, 4) and (2, 4) is (2, 3)"""
    A, v = torch.arange(24.0).reshape(2, 3, 4), torch.ones(2, 4)
    expect_tensor(student.batched_matvec(A, v), A.sum(-1), "batched_matvec(A, v)")


@pytest.mark.points(1)
def test_stable_softmax_large(student):
    """stable_softmax of [1e4, 0] is [1, 0], not NaN"""
    expect_tensor(student.stable_softmax(torch.tensor([[1e4, 0.0]]), 1), torch.tensor([[1.0, 0.0]]),
                  "stable_softmax(x, 1)")
