"""``solutions/<hw>/mutants.toml``: the instructor's equivalent mutants (with reasons) and the recorded score.

Format::

    recorded_score = 0.97              # written by `tensorgrade mutants HW --record`
    recorded_survivors = ["fn:op:hash"]  # the non-equivalent mutants that survived then

    [[equivalent]]
    id = "as_matrix:view_reshape:9353b489"
    reason = "x is contiguous (the docstring says so): reshape returns the same view"

An equivalent mutant behaves like the reference on every input the function's contract allows;
it leaves the score's denominator. Everything else that survives is a gap in the graders.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class BadMutantsFile(ValueError):
    """mutants.toml is not what it should be; the message says where."""


@dataclass
class MutantsFile:
    path: Path
    equivalent: dict[str, str] = field(default_factory=dict)  # id -> reason
    recorded_score: float | None = None
    recorded_survivors: list[str] = field(default_factory=list)


def mutants_file_path(assignment) -> Path:
    return assignment.solution.parent / "mutants.toml"


def load(path: Path) -> MutantsFile:
    """Read ``path`` (missing: nothing marked, nothing recorded)."""
    result = MutantsFile(path)
    if not path.is_file():
        return result
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BadMutantsFile(f"{path}: {exc}") from None
    score = data.get("recorded_score")
    if score is not None:
        if type(score) not in (int, float) or not 0 <= score <= 1:
            raise BadMutantsFile(f"{path}: recorded_score must be a number between 0 and 1, not {score!r}")
        result.recorded_score = float(score)
    survivors = data.get("recorded_survivors", [])
    if type(survivors) is not list or any(type(s) is not str for s in survivors):
        raise BadMutantsFile(f"{path}: recorded_survivors must be a list of mutant ids")
    result.recorded_survivors = survivors
    entries = data.get("equivalent", [])
    if type(entries) is not list:
        raise BadMutantsFile(f"{path}: write each equivalent mutant as an [[equivalent]] table")
    for number, entry in enumerate(entries, 1):
        if type(entry) is not dict or type(entry.get("id")) is not str:
            raise BadMutantsFile(f"{path}: [[equivalent]] number {number} has no id")
        reason = entry.get("reason")
        if type(reason) is not str or not reason.strip():
            raise BadMutantsFile(f"{path}: equivalent mutant {entry['id']} needs a reason (why no correct grader "
                                 "can tell it from the reference)")
        result.equivalent[entry["id"]] = reason.strip()
    return result


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def record(path: Path, score: float, survivors: list[str]) -> None:
    """Write ``recorded_score`` and ``recorded_survivors`` into ``path``, keeping everything else as it is."""
    text = path.read_text() if path.is_file() else (
        "# Mutation testing of the hidden graders (`tensorgrade mutants`): equivalent mutants and the\n"
        "# recorded score, which CI checks (tests/test_mutants.py).\n")
    text = re.sub(r"^recorded_score\s*=.*\n", "", text, flags=re.M)
    text = re.sub(r"^recorded_survivors\s*=\s*\[.*?\]\n", "", text, flags=re.M | re.S)
    lines = text.splitlines(keepends=True)
    at = 0
    while at < len(lines) and lines[at].startswith("#"):
        at += 1
    while at < len(lines) and not lines[at].strip():
        del lines[at]  # the block brings its own blank line
    # rounded down, so that the same run read back is never "below the recorded score"
    block = f"recorded_score = {math.floor(score * 10000) / 10000:.4f}\n"
    block += "recorded_survivors = [" + "".join(f"\n    {_toml_string(s)}," for s in sorted(survivors))
    block += "\n]\n\n" if survivors else "]\n\n"
    lines.insert(at, block)
    path.write_text("".join(lines))
