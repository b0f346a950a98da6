"""Solution markers: turn a solution file into the student stub, and find the lines that are solution.

``# BEGIN SOLUTION`` … ``# END SOLUTION`` blocks become ``raise NotImplementedError(...)`` at
the marker's indentation; a line ending in ``# SOLUTION`` becomes the same raise (for a
``return``) or ``name = ...`` (for an assignment). Signatures, docstrings and type hints
stay as they are.
"""

from __future__ import annotations

import re

BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
ONE_LINE = re.compile(r"^(\s*)(.*?)\s*# SOLUTION\s*$")
ASSIGNMENT = re.compile(r"^([A-Za-z_][\w.,\s\[\]]*?)\s*=[^=]")


class MarkerError(ValueError):
    """Unbalanced or nested solution markers."""


def todo(hint: str) -> str:
    return f'raise NotImplementedError("{hint}")'


def make_stub(source: str, hint: str = "your code here: see INSTRUCTIONS.md") -> str:
    """The stub for one solution file."""
    out: list[str] = []
    inside_at: int | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        begin = BEGIN.match(line)
        if begin:
            if inside_at is not None:
                raise MarkerError(f"line {number}: BEGIN SOLUTION inside another solution block")
            inside_at = number
            out.append(f"{begin.group(1)}{todo(hint)}")
            continue
        if END.match(line):
            if inside_at is None:
                raise MarkerError(f"line {number}: END SOLUTION without BEGIN SOLUTION")
            inside_at = None
            continue
        if inside_at is not None:
            continue
        one = ONE_LINE.match(line)
        if one and not line.lstrip().startswith("#"):
            indent, code = one.groups()
            target = ASSIGNMENT.match(code)
            out.append(f"{indent}{target.group(1)} = ...  # YOUR CODE HERE" if target and not code.startswith("return")
                       else f"{indent}{todo(hint)}")
            continue
        out.append(line)
    if inside_at is not None:
        raise MarkerError(f"line {inside_at}: BEGIN SOLUTION is never closed")
    return "\n".join(out) + "\n"


def solution_lines(source: str) -> list[str]:
    """The code lines that are solution (inside markers or marked), stripped; for the leak check."""
    lines, inside = [], False
    for line in source.splitlines():
        if BEGIN.match(line):
            inside = True
            continue
        if END.match(line):
            inside = False
            continue
        if inside and line.strip() and not line.strip().startswith("#"):
            lines.append(line.strip())
        elif not inside:
            one = ONE_LINE.match(line)
            if one and not line.lstrip().startswith("#"):
                lines.append(one.group(2).strip())
    return lines
