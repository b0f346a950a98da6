"""Golden output trees for the release tool, as otter-grader keeps them (``tests/files/<case>-correct/``).

A case is a small source tree ``tests/files/<case>/{solutions,graders}/<hw>/``; its expected
releases live in ``tests/files/<case>-correct/{student,autograder,nbgrader,otter}/``, compared
file by file with what the release tool builds now. Copies of the engine are left out (other
work changes them; tests/test_release_bundles.py checks them against the live engine), and the
engine's ``checks.py`` embedded in notebooks is replaced by a placeholder for the same reason.

Regenerate after an intended change, then review the diff:
``.venv/bin/python -m release.golden`` (or ``TENSORGRADE_REGEN_GOLDEN=1 pytest tests/test_release_golden.py``).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat

import autograder.assignment as assignment_paths  # re-exports the bundled course's paths
import autograder.course as course_paths  # the bundled course's paths
from autograder.assignment import REPO_DIR, Assignment, all_assignments
from release import gradescope, nbgrader_export, notebooks, otter_export, student
from release.answers import student_source
from release.public_checks import CHECKS_PATH, py_literal

FILES_DIR = REPO_DIR / "tests" / "files"
CASES = ("example",)
KINDS = ("student", "autograder", "nbgrader", "otter")
CHECKS_PLACEHOLDER = "'''<the engine's autograder/checks.py>'''"


@contextlib.contextmanager
def use_sources(case_dir: Path) -> Iterator[list[Assignment]]:
    """Point the engine at a case's ``solutions/`` and ``graders/`` for the duration.

    Both modules that hold the bundled course's paths are repointed: ``autograder.course`` (which
    finds the assignments) and ``autograder.assignment`` (which re-exports them to locate files).
    """
    modules = [m for m in (assignment_paths, course_paths) if hasattr(m, "GRADERS_DIR")]
    saved = [(m, m.GRADERS_DIR, m.SOLUTIONS_DIR) for m in modules]
    for module in modules:
        module.GRADERS_DIR = case_dir / "graders"
        module.SOLUTIONS_DIR = case_dir / "solutions"
    try:
        yield all_assignments()
    finally:
        for module, graders, solutions in saved:
            module.GRADERS_DIR, module.SOLUTIONS_DIR = graders, solutions


def is_engine_copy(relative: str) -> bool:
    """Files copied from the live engine (not built from the case's sources)."""
    for root in (f"{student.MARKER}/", f"{gradescope.ENGINE_DIR}/"):
        if relative == f"{root}pyproject.toml":
            return True
        if relative.startswith(f"{root}autograder/"):
            parts = relative.split("/")
            return not (len(parts) > 4 and parts[2] == "graders")
    return False


def normalize(relative: str, data: bytes) -> bytes:
    """Hide the embedded copy of the engine's checks.py in notebooks, and the notebook's hash that covers it."""
    if relative.endswith("graded_file.py"):
        return re.sub(rb'("[^"]+\.ipynb": )"[0-9a-f]{64}"', rb'\1"<hash of the stub notebook code>"', data)
    if not relative.endswith(".ipynb"):
        return data
    nb = nbformat.reads(data.decode(), as_version=4)
    literal = py_literal(student_source(CHECKS_PATH))
    for cell in nb.cells:
        cell.source = cell.source.replace(literal, CHECKS_PLACEHOLDER)
    return (nbformat.writes(nb) + "\n").encode()


def build(assignment: Assignment) -> dict[str, dict[str, bytes]]:
    """Kind -> relative path -> content, for one assignment of a case."""
    name = notebooks.notebook_name(assignment)
    outputs = {
        "student": student.bundle_files(assignment),
        "autograder": gradescope.bundle_files(assignment),
        "nbgrader": {"nbgrader_config.py": nbgrader_export.config_text("course").encode(),
                     f"source/{assignment.name}/{name}":
                         nbformat.writes(nbgrader_export.source_notebook(assignment)).encode() + b"\n"},
        "otter": {f"{otter_export.MASTER_DIR}/{name}":
                  nbformat.writes(otter_export.master_notebook(assignment)).encode() + b"\n"},
    }
    return {kind: {rel: normalize(rel, data) for rel, data in files.items() if not is_engine_copy(rel)}
            for kind, files in outputs.items()}


def expected_dir(case: str) -> Path:
    return FILES_DIR / f"{case}-correct"


def build_case(case: str) -> dict[str, dict[str, bytes]]:
    """Kind -> path (``<hw>/...``) -> content for every assignment of a case."""
    result: dict[str, dict[str, bytes]] = {kind: {} for kind in KINDS}
    with use_sources(FILES_DIR / case) as assignments:
        for assignment in assignments:
            for kind, files in build(assignment).items():
                result[kind].update({f"{assignment.name}/{rel}": data for rel, data in files.items()})
    return result


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def regenerate(case: str) -> list[Path]:
    """Rewrite ``tests/files/<case>-correct/`` from what the release tool builds now."""
    target = expected_dir(case)
    shutil.rmtree(target, ignore_errors=True)
    written = []
    for kind, files in build_case(case).items():
        for relative, data in files.items():
            path = target / kind / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
    return written


def main() -> int:
    for case in CASES:
        paths = regenerate(case)
        print(json.dumps({"case": case, "files": len(paths), "folder": str(expected_dir(case))}))
    print("golden trees regenerated: review `git diff tests/files/` before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
