"""Read an assignment's single source: its module split into cells, its instructions split into sections.

Everything is discovered from the solution module's syntax tree, so a new assignment needs no
per-assignment notebook code: each top-level function or class becomes one cell.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment
from autograder.stubs import BEGIN, END, ONE_LINE


@dataclass(frozen=True)
class Segment:
    """A run of top-level code: one function or class (``name`` set), or other statements (``name`` None)."""

    name: str | None
    code: str
    signature: str = ""
    doc: str = ""


def module_doc(source: str) -> str:
    return ast.get_docstring(ast.parse(source)) or ""


def split_module(source: str) -> list[Segment]:
    """Top-level segments in order; the module docstring is dropped.

    A segment runs from its first line (with the decorators and column-0 comments just above it)
    to the next segment's first line, so indented comments after a body (``# END SOLUTION``) stay in it.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body.pop(0)
    starts = [_first_line(node, lines) for node in body] + [len(lines)]
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    segments: list[Segment] = []
    group_start: int | None = None  # first line of a run of plain statements, kept as one cell
    for i, node in enumerate(body):
        if not isinstance(node, definitions):
            group_start = starts[i] if group_start is None else group_start
            if i + 1 < len(body) and not isinstance(body[i + 1], definitions):
                continue
            segments.append(Segment(None, "\n".join(lines[group_start:starts[i + 1]]).strip("\n")))
            group_start = None
            continue
        text = "\n".join(lines[starts[i]:starts[i + 1]]).strip("\n")
        segments.append(Segment(node.name, text, _signature(node), ast.get_docstring(node) or ""))
    return segments


def _first_line(node: ast.stmt, lines: list[str]) -> int:
    """0-based first line of a statement, with its decorators and the column-0 comments right above."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while first > 0 and lines[first - 1].startswith("#"):
        first -= 1
    return first


def _signature(node: ast.AST) -> str:
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases})" if bases else f"class {node.name}"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{node.name}({ast.unparse(node.args)}){returns}"


def function_names(source: str) -> list[str]:
    """Top-level functions and classes of a module, in order."""
    return [s.name for s in split_module(source) if s.name]


def strip_markers(source: str) -> str:
    """The solution as a student would write it: marker comments removed, code kept."""
    out = []
    for line in source.splitlines():
        if BEGIN.match(line) or END.match(line):
            continue
        one = ONE_LINE.match(line)
        if one and not line.lstrip().startswith("#"):
            line = one.group(1) + one.group(2)
        out.append(line)
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Section:
    """A part of INSTRUCTIONS.md, from one ``#``/``##`` heading to the next."""

    heading: str
    text: str


def instruction_sections(markdown: str) -> list[Section]:
    """Split at level-1 and level-2 headings outside code fences."""
    sections: list[Section] = []
    current: list[str] = []
    heading = ""
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"^#{1,2} ", line) and current and any(x.strip() for x in current):
            sections.append(Section(heading, "\n".join(current).strip("\n")))
            current = []
        if not fenced and re.match(r"^#{1,2} ", line):
            heading = line.lstrip("#").strip()
        current.append(line)
    if any(x.strip() for x in current):
        sections.append(Section(heading, "\n".join(current).strip("\n")))
    return sections


def read_optional(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def source_dir(assignment: Assignment) -> Path:
    """``solutions/<hw>/``: the single source of an assignment."""
    return assignment.solution.parent
