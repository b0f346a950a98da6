"""Public checks for hw2_indexing: run them with `tensorgrade check hw2_indexing indexing.py`.

A few quick cases from INSTRUCTIONS.md. The hidden graders try many more shapes (non-square,
empty, non-contiguous), check views, inputs, devices, and read your code for loops.
"""

import pytest
import torch

from autograder.checks import Mistake, expect_tensor, expect_value

A = torch.tensor([[69, -57, 56, -57, -7, 77, -87, 71, -2, -83], [68, 98, -77, -1, 66, -66, 41, -71, 24, 39],
                  [-70, 2, -61, -60, -68, 41, -81, -22, -90, -58], [57, 78, -1, 58, -50, -19, -64, 23, 75, 57],
                  [-37, 51, -65, 87, 75, 66, -51, -6, 88, -62], [-84, -6, 50, -11, -11, -76, -76, -31, 97, 41],
                  [86, -37, -47, 65, -2, -45, 19, 35, 17, -19], [-27, 76, 42, 43, 65, 40, 83, -17, -26, 24],
                  [-99, 69, 96, -78, -82, -86, 46, -19, 68, 74], [-72, -38, -8, -67, 1, -55, 97, -76, 2, -38]])


@pytest.mark.points(1)
def test_top_right_quadrant_not_square(student):
    """top_right_quadrant of a (4, 7) tensor is a (2, 4) view"""
    a = torch.arange(28).reshape(4, 7)
    call = student.call("top_right_quadrant", a)
    expect_tensor(call.result, torch.tensor([[3, 4, 5, 6], [10, 11, 12, 13]]), "top_right_quadrant(a)")
    call.result[0, 0] = -1  # a view: the write shows in a
    if call.args[0][0, 3].item() != -1:
        raise Mistake("top_right_quadrant(a) is a copy; it must be a view of a")


@pytest.mark.points(1)
def test_multiples_of_4_in_column_three(student):
    """multiples_of_4_in_column on the review's tensor"""
    expect_tensor(student.multiples_of_4_in_column(A, 3), torch.tensor([-60]), "multiples_of_4_in_column(a, 3)")


@pytest.mark.points(1)
def test_rows_with_negative(student):
    """rows_with_negative keeps whole rows"""
    a = torch.tensor([[3, 0, 5], [-1, 2, 2], [0, 0, 0], [4, -6, -2]])
    expect_tensor(student.rows_with_negative(a), torch.tensor([[-1, 2, 2], [4, -6, -2]]), "rows_with_negative(a)")


@pytest.mark.points(1)
def test_count_in_range(student):
    """count_in_range counts lo <= v < hi as an int"""
    a = torch.tensor([[1, 5, 3, 5], [2, 9, 5, 0]])
    expect_value(student.count_in_range(a, 2, 5), 2, "count_in_range(a, 2, 5)")


@pytest.mark.points(1)
def test_masked_row_mean_empty_row(student):
    """masked_row_mean gives 0.0 for a row with no True"""
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = torch.tensor([[True, False, True], [False, False, False]])
    expect_tensor(student.masked_row_mean(x, mask), torch.tensor([2.0, 0.0]), "masked_row_mean(x, mask)")


@pytest.mark.points(1)
def test_one_hot(student):
    """one_hot is float32 with num_classes columns"""
    expected = torch.tensor([[1.0, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    expect_tensor(student.one_hot(torch.tensor([0, 1, 1, 0]), 5), expected, "one_hot(labels, 5)")


@pytest.mark.points(1)
def test_every_other_last_dimension(student):
    """every_other steps through the last dimension"""
    a = torch.arange(24).reshape(2, 3, 4)
    expect_tensor(student.every_other(a), a[..., ::2], "every_other(a)")
