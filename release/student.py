"""The student bundle: stub, notebook, instructions, public tests, a GitHub Classroom workflow, and a zip.

``tensorgrade release student <hw>|--all --out DIR`` writes ``DIR/<hw>/`` and ``DIR/<hw>.zip``.
The bundle carries a copy of the grading engine without hidden graders (``.tensorgrade/``), so
``tensorgrade check`` works in the student's own environment and in GitHub Classroom.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment
from release import classroom, notebooks, public_checks
from release.assignments import expected_files
from release.sources import read_optional, source_dir
from release.vendor import engine_contents, pyproject_text
from release.verify import verify, verify_files
from release.zipfiles import write_zip

MARKER = ".tensorgrade"  # a folder holding this was written by us and may be replaced


class NotOurFolder(Exception):
    """The output folder exists and was not written by ``tensorgrade release``."""


@dataclass(frozen=True)
class StudentBundle:
    folder: Path
    zip: Path


def readme(assignment: Assignment, has_checks: bool) -> str:
    module, name = assignment.module, assignment.name
    lines = [
        f"# {assignment.title} (`{name}`)",
        "",
        "Read `INSTRUCTIONS.md`, then write your answers in **either** file:",
        "",
        f"- `{module}.py`: fill in every function that raises `NotImplementedError`, or",
        f"- `{module}.ipynb`: the same exercise as a notebook, with the public checks under each function.",
        "",
        "Keep every function's name, signature and docstring.",
        "",
        "## Check your work",
        "",
        "In this folder (Python 3.11 or newer):",
        "",
        "```bash",
        "python -m pip install ./.tensorgrade     # once: the grading engine, without the hidden graders",
        f"tensorgrade check {name} {module}.py    # or: tensorgrade check {name} {module}.ipynb",
        "```",
        "",
        "The install brings PyTorch if you do not have it yet; without a GPU the CPU build is much smaller:",
        "run `python -m pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu` first.",
        "",
    ]
    if has_checks:
        lines += ["The public checks (`test_public.py`) run your code on a few inputs. The hidden graders",
                  "check more inputs, shapes, dtypes and devices, so a full public score is a good sign,",
                  "not a guarantee.", ""]
    lines += ["## Submit", "",
              f"Submit `{module}.py` or `{module}.ipynb` as your instructor asks (Gradescope, or a push to your",
              "GitHub Classroom repository, where the workflow in `.github/workflows/` runs the public checks).", ""]
    return "\n".join(lines)


def bundle_files(assignment: Assignment) -> dict[str, bytes]:
    """Relative path -> content of every file in the bundle folder."""
    files = {rel: text.encode() for rel, text in expected_files(assignment).items()}
    tests_source = read_optional(source_dir(assignment) / "test_public.py")
    files[notebooks.notebook_name(assignment)] = (
        notebooks.nbformat.writes(notebooks.build_notebook(assignment, "stub")) + "\n").encode()
    if tests_source.strip():
        functions = [s.name for s in notebooks.segments(assignment, "stub") if s.name]
        groups = public_checks.group_tests(tests_source, functions)
        files[classroom.WORKFLOW_PATH] = classroom.workflow(assignment, tests_source, groups).encode()
        files[classroom.PICKER_PATH] = classroom.picker(
            assignment.module, files[f"{assignment.module}.py"], files[notebooks.notebook_name(assignment)]).encode()
        files.update({rel: text.encode() for rel, text in classroom.check_files(tests_source, groups).items()})
    files["README.md"] = readme(assignment, bool(tests_source.strip())).encode()
    for relative, content in engine_contents(assignment, with_graders=False).items():
        files[f"{MARKER}/{relative}"] = content
    files[f"{MARKER}/pyproject.toml"] = pyproject_text(assignment, "student").encode()
    return files


def replace_folder(folder: Path) -> None:
    """Empty ``folder`` for a fresh bundle, refusing one we did not write."""
    if folder.exists():
        if not (folder / MARKER).is_dir():
            raise NotOurFolder(f"{folder} exists and is not a tensorgrade bundle; choose another --out or remove it")
        shutil.rmtree(folder)


def write_student_bundle(assignment: Assignment, out: Path) -> StudentBundle:
    """Write ``out/<hw>/`` and ``out/<hw>.zip``, then run the leak check on both."""
    files = bundle_files(assignment)
    verify_files(files)  # before anything is written: a leaking bundle never reaches the disk
    folder = out / assignment.name
    replace_folder(folder)
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    archive = write_zip({f"{assignment.name}/{rel}": data for rel, data in files.items()},
                        out / f"{assignment.name}.zip")
    verify(folder)
    verify(archive)
    return StudentBundle(folder, archive)
