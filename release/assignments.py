"""Generate ``assignments/<hw>/`` (stub, instructions, public tests) from ``solutions/<hw>/``."""

from __future__ import annotations

from pathlib import Path

from autograder.assignment import Assignment, all_assignments
from autograder.stubs import make_stub

COPIED = ("INSTRUCTIONS.md", "test_public.py")


def expected_files(assignment: Assignment) -> dict[str, str]:
    """Relative path → content of every generated file of one assignment."""
    source_dir = assignment.solution.parent
    files = {f"{assignment.module}.py": make_stub(assignment.solution.read_text())}
    for name in COPIED:
        if (source_dir / name).is_file():
            files[name] = (source_dir / name).read_text()
    return files


def write_assignment(assignment: Assignment, root: Path | None = None) -> list[Path]:
    """Write the generated files (default: into the assignment's own course); returns the paths written."""
    target = (root or assignment.public_tests_dir.parent) / assignment.name
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for relative, content in expected_files(assignment).items():
        path = target / relative
        path.write_text(content)
        written.append(path)
    return written


def stale_files(assignment: Assignment, root: Path | None = None) -> list[str]:
    """Generated files that differ from what ``solutions/`` would produce now."""
    target = (root or assignment.public_tests_dir.parent) / assignment.name
    return [rel for rel, content in expected_files(assignment).items()
            if not (target / rel).is_file() or (target / rel).read_text() != content]


def generate_all() -> list[Path]:
    return [p for a in all_assignments() for p in write_assignment(a)]
