"""Synthetic classes for the benchmarks: distinct submission files built from the reference and its mistakes."""

from __future__ import annotations

from pathlib import Path

from autograder.assignment import Assignment
from autograder.stubs import make_stub


def kinds(assignment: Assignment) -> dict[str, str]:
    """Source of each kind of submission: correct, every realistic mistake, the untouched stub."""
    reference = assignment.solution.read_text()
    found = {"correct": reference, "stub": make_stub(reference)}
    for path in sorted(assignment.mistakes_dir.glob("*.py")):
        found[f"wrong-{path.stem}"] = path.read_text()
    return found


def plan(assignment: Assignment, count: int) -> list[tuple[str, str]]:
    """``count`` (kind, source) pairs: 3 correct for every wrong one and every 8th a stub, like a real class."""
    by_kind = kinds(assignment)
    wrong = [k for k in by_kind if k.startswith("wrong-")]
    out = []
    for n in range(count):
        if n % 8 == 7:
            kind = "stub"
        elif n % 4 == 3 and wrong:
            kind = wrong[(n // 4) % len(wrong)]
        else:
            kind = "correct"
        out.append((kind, by_kind[kind]))
    return out


def write_class(assignment: Assignment, root: Path, count: int) -> dict[str, str]:
    """One folder per student, each file distinct (batch grading grades identical files once); student → kind."""
    students = {}
    for n, (kind, source) in enumerate(plan(assignment, count)):
        student = f"s{n:03d}"
        folder = root / student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment.module}.py").write_text(f"# {student}\n{source}")
        students[student] = kind
    return students
