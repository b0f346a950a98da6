"""Each assignment as a Jupyter notebook: instructions as markdown, one code cell per function, public checks.

Cells come from the solution module's syntax tree (:mod:`release.sources`), so every assignment
gets a notebook without notebook-specific code. The stub notebook holds the stubs; the solved
one (for tests and instructors) the solutions with their markers removed; the ``source`` form
keeps the markers for the nbgrader and otter-grader exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.assignment import Assignment
from autograder.stubs import make_stub
from autograder.submission import CHECK_TAG
from release import public_checks
from release.sources import (
    Segment,
    instruction_sections,
    module_doc,
    read_optional,
    source_dir,
    split_module,
    strip_markers,
)

NBFORMAT_MINOR = 5
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
VARIANTS = ("stub", "solved", "source")


@dataclass
class PlannedCell:
    """A cell before it becomes nbformat: what it is for, so exporters can add their own metadata."""

    kind: str  # markdown | code
    source: str
    role: str  # intro | harness | code | function | check
    name: str = ""  # the function a function/check cell belongs to
    tags: list[str] = field(default_factory=list)


def segments(assignment: Assignment, variant: str) -> list[Segment]:
    """The module's segments as the variant shows them (stubs, solutions, or solutions with markers)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown notebook variant {variant!r} (one of {', '.join(VARIANTS)})")
    solution = assignment.solution.read_text()
    text = {"stub": make_stub, "solved": strip_markers, "source": lambda s: s}[variant](solution)
    parts = split_module(text)
    expected = [s.name for s in split_module(solution)]
    if [s.name for s in parts] != expected:  # markers cut through a definition: the cells would not line up
        raise ValueError(f"{assignment.solution}: the {variant} module does not have the solution's definitions")
    return parts


def intro_cells(assignment: Assignment) -> list[PlannedCell]:
    instructions = read_optional(source_dir(assignment) / "INSTRUCTIONS.md")
    if instructions.strip():
        cells = [PlannedCell("markdown", s.text, "intro") for s in instruction_sections(instructions)]
    else:
        doc = module_doc(assignment.solution.read_text())
        cells = [PlannedCell("markdown", f"# {assignment.title}\n\n{doc}".strip(), "intro")]
    cells.append(PlannedCell("markdown", how_to_text(assignment), "intro"))
    return cells


def how_to_text(assignment: Assignment) -> str:
    return "\n".join([
        "## How to use this notebook",
        "",
        "1. Run the cell below first: it prepares the public checks.",
        "2. Write each function in its cell (keep its name, signature and docstring), run the cell, then run the",
        "   `run_checks(...)` cell under it. `PASS` means that public check passes, `TODO` that the function is",
        "   not implemented yet, `FAIL` says what is wrong.",
        f"3. Submit this notebook, `{notebook_name(assignment)}` (or `{assignment.module}.py` if you worked there",
        "   instead). The hidden graders check more inputs, shapes and dtypes than the public checks, so a full",
        "   public score is a good sign, not a guarantee.",
    ])


def plan_cells(assignment: Assignment, variant: str = "stub", *, strict_checks: bool = False) -> list[PlannedCell]:
    """Every cell of the notebook, in order."""
    tests_source = read_optional(source_dir(assignment) / "test_public.py")
    parts = segments(assignment, variant)
    functions = [s.name for s in parts if s.name]
    groups = public_checks.group_tests(tests_source, functions) if tests_source.strip() else {}
    if tests_source.strip():
        public_checks.check_imports(tests_source, f"solutions/{assignment.name}/test_public.py")
    cells = intro_cells(assignment)
    if groups:
        cells.append(PlannedCell("code", public_checks.setup_cell(assignment.name, tests_source, groups), "harness",
                                 tags=[CHECK_TAG]))
    for part in parts:
        if part.name is None:
            cells.append(PlannedCell("code", part.code, "code"))
            continue
        cells.append(PlannedCell("markdown", f"### `{part.signature}`", "heading", part.name))
        cells.append(PlannedCell("code", part.code, "function", part.name))
        if part.name in groups:
            cells.append(PlannedCell("code", public_checks.check_cell(part.name, strict_checks), "check", part.name,
                                     tags=[CHECK_TAG]))
    if public_checks.OTHER in groups:
        cells.append(PlannedCell("markdown", "### Other public checks", "heading", public_checks.OTHER))
        cells.append(PlannedCell("code", public_checks.check_cell(public_checks.OTHER, strict_checks), "check",
                                 public_checks.OTHER, tags=[CHECK_TAG]))
    return cells


def cell_id(cell: PlannedCell, index: int) -> str:
    """Stable ids (nbformat 4.5 requires them; random ones would make every build differ)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{cell.role}-{cell.name}" if cell.name else cell.role).strip("-")
    return f"{index:03d}-{slug}"[:64]


def to_notebook(cells: list[PlannedCell], metadata: dict | None = None) -> nbformat.NotebookNode:
    """An nbformat v4 notebook from planned cells, validated."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = NBFORMAT_MINOR
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"},
                                      **(metadata or {})})
    for index, cell in enumerate(cells):
        maker = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell,
                 "raw": nbformat.v4.new_raw_cell}[cell.kind]
        node = maker(cell.source)
        node.id = cell_id(cell, index)
        if cell.tags:
            node.metadata["tags"] = list(cell.tags)
        if cell.role == "harness":
            node.metadata["jupyter"] = {"source_hidden": True}
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def build_notebook(assignment: Assignment, variant: str = "stub") -> nbformat.NotebookNode:
    """The assignment's notebook: ``stub`` for students, ``solved`` for tests and instructors."""
    return to_notebook(plan_cells(assignment, variant), {"tensorgrade": {"assignment": assignment.name,
                                                                         "variant": variant}})


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n")
    return path


def notebook_name(assignment: Assignment) -> str:
    return f"{assignment.module}.ipynb"


def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run every cell top to bottom in a real ``python3`` kernel (nbclient); errors stay in the outputs."""
    import nbclient

    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name=KERNELSPEC["name"], allow_errors=True,
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def cell_text(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed, errors included (as ``ErrorName: value``)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
        else:
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "".join(parts)
