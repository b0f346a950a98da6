"""Submissions whose every function returns odd-but-decodable values, for the odd-values suite.

Each value here crosses the wire as plain data, so the grader must judge it: meta tensors,
empty and stride-0 tensors, NaN and infinities, subnormal floats, ints far beyond 64 bits,
long strings, deep lists, wrong containers, dtypes no answer uses. A grader that raises anything
but a Mistake on one of them has a bug a student can trigger at will.
"""

from __future__ import annotations

import ast
from pathlib import Path

# Runs in the worker, as part of the submission. Every call returns the next odd value, so one
# submission shows each function many different values; the offset makes the rotations differ.
ODD_RUNTIME = r'''
import numpy as _np
import torch as _t


def _deep(n):
    x = []
    for _ in range(n):
        x = [x]
    return x


_ODD = [
    lambda: _t.zeros(3, 4, device="meta"),
    lambda: _t.empty(0),
    lambda: _t.tensor(float("nan")),
    lambda: _t.full((4, 4), float("inf")),
    lambda: _t.zeros(1).expand(100000),
    lambda: _t.tensor([5e-324, -5e-324], dtype=_t.float64),
    lambda: 2 ** 2000,
    lambda: -(2 ** 70),
    lambda: float("nan"),
    lambda: None,
    lambda: "x" * 100000,
    lambda: _deep(40),
    lambda: {"a": _t.zeros(2), 3: None},
    lambda: _t.zeros(2, 3, dtype=_t.complex64),
    lambda: _t.zeros(3, dtype=_t.bool),
    lambda: _t.arange(6.0).reshape(2, 3).t(),
    lambda: _t.zeros(3, requires_grad=True),
    lambda: _np.zeros((2, 2)),
    lambda: (_t.zeros(2), _t.zeros(3)),
    lambda: _t.zeros(()),
    lambda: _t.zeros(0, 10 ** 6),
    lambda: _t.zeros(5, dtype=_t.int8),
    lambda: [1, 2, 3],
    lambda: (1.0, 2.0),
    lambda: True,
    lambda: _np.float64("nan"),
    lambda: _t.zeros(8)[::3],
    lambda: _t.ones(2, 2, dtype=_t.float16),
    lambda: _t.tensor([1e38, -1e38]) * 10,
    lambda: b"bytes",
]
_N = [OFFSET]


def _odd(*args, **kwargs):
    _N[0] += 1
    return _ODD[_N[0] % len(_ODD)]()
'''
OFFSETS = (0, 7, 13, 22)  # coprime-ish rotations of the 30 values: each function meets many of them


def odd_submission(stub: Path, offset: int) -> str:
    """The stub (its classes and constants) with every top-level function answering odd values."""
    source = stub.read_text()
    functions = [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    rebinds = [f"def {name}(*args, **kwargs):\n    return _odd()\n" for name in functions]
    return "\n".join([source, ODD_RUNTIME.replace("OFFSET", str(offset)), *rebinds])
