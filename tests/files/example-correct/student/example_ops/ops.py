"""example_ops: a tiny assignment that exercises every marker form (a fixture of the release tests)."""

from __future__ import annotations

import torch

# how much scaled_sum multiplies by
SCALE = ...  # YOUR CODE HERE


def double(x: torch.Tensor) -> torch.Tensor:
    """``x`` times two, as a new tensor."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def clamp_positive(x: torch.Tensor) -> torch.Tensor:
    """Negative entries replaced by zero, in a new tensor; ``x`` unchanged."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def scaled_sum(x: torch.Tensor) -> float:
    """``SCALE`` times the sum of ``x``, as a Python float."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


class Accumulator:
    """Adds up the tensors it is given."""

    def __init__(self) -> None:
        self.total = 0.0

    def add(self, x: torch.Tensor) -> float:
        """Add the sum of ``x`` to the running total and return the total."""
        raise NotImplementedError("your code here: see INSTRUCTIONS.md")
