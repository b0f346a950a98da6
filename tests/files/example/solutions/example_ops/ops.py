"""example_ops: a tiny assignment that exercises every marker form (a fixture of the release tests)."""

from __future__ import annotations

import torch

# how much scaled_sum multiplies by
SCALE = 2.0  # SOLUTION


def double(x: torch.Tensor) -> torch.Tensor:
    """``x`` times two, as a new tensor."""
    return x * 2  # SOLUTION


def clamp_positive(x: torch.Tensor) -> torch.Tensor:
    """Negative entries replaced by zero, in a new tensor; ``x`` unchanged."""
    # BEGIN SOLUTION
    return x.clamp(min=0)
    # END SOLUTION


def scaled_sum(x: torch.Tensor) -> float:
    """``SCALE`` times the sum of ``x``, as a Python float."""
    # BEGIN SOLUTION
    total = x.sum().item()
    return float(SCALE * total)
    # END SOLUTION


class Accumulator:
    """Adds up the tensors it is given."""

    def __init__(self) -> None:
        self.total = 0.0

    def add(self, x: torch.Tensor) -> float:
        """Add the sum of ``x`` to the running total and return the total."""
        # BEGIN SOLUTION
        self.total += float(x.sum())
        return self.total
        # END SOLUTION
