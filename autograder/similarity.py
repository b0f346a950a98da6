"""Similarity hints across a class: winnowed fingerprints of normalised Python tokens.

Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003, the method behind MOSS): the code is
tokenised, local names, numbers and strings are replaced by placeholders (so renaming variables
or editing comments and whitespace changes nothing), every k-gram of tokens is hashed, and the
minimum hash of each window is kept as a fingerprint. Code from the starter stub and fingerprints
that much of the class shares are ignored. A high score is a reason for a person to look at two
files side by side, never a verdict.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import keyword
import tokenize
from dataclasses import dataclass
from itertools import combinations

K = 12  # tokens per k-gram: shorter matches are noise
WINDOW = 8  # any match of at least K + WINDOW - 1 tokens is guaranteed to be seen
KEPT_NAMES = set(dir(builtins)) | {"torch", "nn", "F", "np", "numpy", "optim", "math", "random", "self"}
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Pair:
    """Two submissions whose code overlaps more than expected."""

    a: str
    b: str
    similarity: float  # shared fingerprints / fingerprints of the smaller file, 0..1
    shared: int


def source_text(filename: str, content: bytes) -> str:
    """The Python code of a submission (a notebook's code cells joined)."""
    text = content.decode("utf-8", errors="replace")
    if filename.lower().endswith(".ipynb"):
        try:
            from autograder.submission import notebook_code_cells, strip_magics

            return "\n\n".join(strip_magics(source) for source, _tags in notebook_code_cells(json.loads(text)))
        except (ValueError, AttributeError, TypeError):
            return ""
    return text


def normalise(text: str) -> list[str]:
    """Tokens with local names → V, numbers → 0, strings → S; comments and layout dropped."""
    tokens: list[str] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in SKIPPED:
                continue
            if tok.type == tokenize.NAME:
                # attribute and API names (x.view, torch.from_numpy) are what an exercise is about: keep them
                word = tok.string if keyword.iskeyword(tok.string) or previous == "." or tok.string in KEPT_NAMES \
                    else "V"
            elif tok.type == tokenize.NUMBER:
                word = "0"
            elif tok.type == tokenize.STRING:
                word = "S"
            else:
                word = tok.string
            tokens.append(word)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a broken file: keep what was read before the error
    return tokens


def fingerprints(tokens: list[str], k: int = K, window: int = WINDOW) -> set[int]:
    """Winnowed k-gram hashes (the rightmost minimum of each window)."""
    if len(tokens) < k:
        return set()
    hashes = [int.from_bytes(hashlib.blake2b("\x1f".join(tokens[i:i + k]).encode(), digest_size=8).digest(), "big")
              for i in range(len(tokens) - k + 1)]
    if len(hashes) <= window:
        return {min(hashes)}
    chosen = set()
    for start in range(len(hashes) - window + 1):
        span = hashes[start:start + window]
        low = min(span)
        chosen.add(low)
    return chosen


def similar_pairs(sources: dict[str, str], boilerplate: str = "", *, threshold: float = 0.5, min_fingerprints: int = 5,
                  common_fraction: float = 0.5) -> list[Pair]:
    """Pairs of submissions (by key) sharing at least ``threshold`` of the smaller one's fingerprints."""
    ignored = fingerprints(normalise(boilerplate)) if boilerplate else set()
    prints = {key: fingerprints(normalise(text)) - ignored for key, text in sources.items()}
    frequency: dict[int, int] = {}
    for fps in prints.values():
        for fp in fps:
            frequency[fp] = frequency.get(fp, 0) + 1
    # what much of the class writes alike (the natural one-liner) says nothing about two students
    limit = max(3, common_fraction * len(prints))
    prints = {key: {fp for fp in fps if frequency[fp] <= limit} for key, fps in prints.items()}
    holders: dict[int, list[str]] = {}
    for key, fps in prints.items():
        for fp in fps:
            holders.setdefault(fp, []).append(key)
    shared: dict[tuple[str, str], int] = {}
    for keys in holders.values():
        for a, b in combinations(sorted(keys), 2):
            shared[(a, b)] = shared.get((a, b), 0) + 1
    pairs = []
    for (a, b), count in shared.items():
        smaller = min(len(prints[a]), len(prints[b]))
        if smaller < min_fingerprints:
            continue
        score = count / smaller
        if score >= threshold:
            pairs.append(Pair(a, b, round(score, 3), count))
    return sorted(pairs, key=lambda p: (-p.similarity, -p.shared, p.a, p.b))
