"""Similarity hints: a renamed, re-commented copy is found; independent work and starter code are not."""

from __future__ import annotations

import io
import json
import re
import tokenize

import pytest

from autograder.assignment import load_assignment
from autograder.reports.site import starter_code
from autograder.similarity import fingerprints, normalise, similar_pairs, source_text

HW1 = load_assignment("hw1_storage")

# an independent, correct hw1 written in another style (same signatures: they come from the stub)
INDEPENDENT = '''
import numpy as np
import torch


def same_storage(a, b):
    sa = a.untyped_storage()
    sb = b.untyped_storage()
    return sa.data_ptr() == sb.data_ptr() and sa.nbytes() == sb.nbytes()


def numpy_shared(arr):
    return torch.as_tensor(arr)


def numpy_copy(arr):
    out = torch.from_numpy(arr).clone()
    return out


def row_view(x, i):
    return x.select(0, i)


def as_matrix(x, cols):
    total = x.numel()
    if cols < 1:
        raise ValueError("cols must be positive")
    rows, rest = divmod(total, cols)
    if rest:
        raise ValueError("not a multiple")
    return x.view(rows, cols)


def cos_(x):
    torch.cos(x, out=x)
    return x


def standardize_(x):
    m = x.mean().item()
    s = x.std().item()
    x -= m
    x /= s
    return x


def shares_storage_quiz():
    shared = {"x.t()", "x[::2]", "x.detach()", "torch.from_numpy(arr)", "x.view(-1)", "x[1]"}
    return {expression: expression in shared for expression in QUIZ}
'''


def disguise(source: str) -> str:
    """What a student hiding a copy does: rename every local name, rewrite comments, reflow blank lines."""
    renames = {"arr": "array_in", "x": "tens", "xt": "tens_t", "answers": "result", "expression": "expr",
               "source": "origin", "base": "reference", "cols": "ncols"}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in renames:
            tok = tok._replace(string=renames[tok.string])
        elif tok.type == tokenize.COMMENT:
            tok = tok._replace(string="# done by me")
        out.append(tok)
    return re.sub(r"\n\n\n", "\n\n\n\n", tokenize.untokenize(out))


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    reference = HW1.solution.read_text()
    return {"ref": reference, "copy": disguise(reference), "independent": INDEPENDENT,
            "stub": starter_code(HW1), "broken": "def f(:\n    return (\n"}


def test_normalising_ignores_names_comments_and_layout():
    plain = "def f(a, b):\n    # add\n    return a + b * 2\n"
    other = "def   g(left,right):  # sum\n\n    return left+right*7  # scaled\n"
    assert normalise(plain) == normalise(other)
    # API names carry the exercise: a different method is a different program
    assert normalise("y = x.view(-1)") != normalise("y = x.clone(-1)")


def test_disguised_copy_is_flagged_and_independent_work_is_not(sources):
    stub = sources["stub"]
    pairs = {(p.a, p.b): p for p in similar_pairs(sources, stub, threshold=0.0)}
    assert pairs[("copy", "ref")].similarity >= 0.9
    assert ("independent", "ref") not in pairs and ("copy", "independent") not in pairs
    # the untouched stub is all starter code: it has no fingerprints left to share with anyone
    assert not [p for p in pairs if "stub" in p]
    assert not [p for p in pairs if "broken" in p]


def test_threshold_and_minimum_size(sources):
    small = {"a": "def f(x):\n    return x.view(-1)\n", "b": "def g(y):\n    return y.view(-1)\n"}
    assert similar_pairs(small) == []  # too little code to say anything
    assert similar_pairs(sources, sources["stub"], threshold=1.01) == []


def test_what_most_of_the_class_shares_is_not_evidence():
    body = "\n".join(f"def f{i}(x):\n    y = x.view({i}, -1).sum(dim=0)\n    return y.mean() + {i}\n" for i in range(6))
    everyone = {f"s{i}": body for i in range(8)}
    assert similar_pairs(everyone) == []  # 8 of 8 wrote it: the natural solution, not copying
    assert similar_pairs(dict(list(everyone.items())[:2])) != []


def test_broken_code_keeps_the_tokens_before_the_error():
    assert normalise("x = 1\ny = (\n") [:3] == ["V", "=", "0"]
    assert fingerprints(normalise("def f(:")) == set()


def test_notebook_code_cells_are_compared():
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# notes"},
        {"cell_type": "code", "metadata": {}, "source": ["%matplotlib inline\n", "import torch\n"],
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "metadata": {}, "source": "def f(x):\n    return x\n", "outputs": [],
         "execution_count": None}]}
    text = source_text("storage.ipynb", json.dumps(notebook).encode())
    assert "import torch" in text and "def f(x)" in text and "# notes" not in text
    assert source_text("storage.ipynb", b"{not json") == ""
