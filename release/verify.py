"""The leak check: no line of solution code and no distinctive text of a hidden grader in what students get.

Secrets are every line between solution markers in ``solutions/*/`` and every distinctive line of
``autograder/graders/*/*.py``. A line that also appears in something public (a stub, the public
tests, the instructions, the engine as student bundles carry it) is not a secret: the engine's
own functions that answer an exercise are withheld from students (:mod:`release.answers`), so
their lines stay secrets, allowed only in a Gradescope autograder bundle. Files are matched line by line: a bundle line
equal to a secret, or containing a long one, is a leak reported with its file and line.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder.assignment import PACKAGE_DIR, all_assignments
from autograder.stubs import solution_lines
from release.answers import CONTAINED, HARNESS_PATH, MIN_SOLUTION, TRIVIAL, student_source
from release.assignments import expected_files
from release.sources import source_dir

STUDENT, AUTOGRADER, INSTRUCTOR, TRUSTED = "student", "autograder", "instructor", "trusted"
# what each kind of file may hold: students nothing secret; a Gradescope autograder the hidden graders;
# an instructor's source notebook (nbgrader source/, otter master) the solutions; otter's dist/autograder/
# (its solution notebook and the autograder zip with the engine and graders) both: it never reaches students
FORBIDDEN = {STUDENT: ("solution", "hidden grader"), AUTOGRADER: ("solution",), INSTRUCTOR: ("hidden grader",),
             TRUSTED: ()}
MIN_GRADER = 20  # grader lines shorter than this are boilerplate
ANCHOR = 16


@dataclass(frozen=True)
class Leak:
    """One secret found in a bundle."""

    file: str
    line: int
    kind: str  # solution | hidden grader
    text: str
    origin: str  # where the secret comes from

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind} text from {self.origin}: {self.text.strip()[:120]}"


class LeakFound(Exception):
    """A bundle holds secrets; the message lists every leak."""

    def __init__(self, leaks: list[Leak]) -> None:
        self.leaks = leaks
        listed = "\n".join(f"  {leak}" for leak in leaks[:50])
        more = f"\n  ... and {len(leaks) - 50} more" if len(leaks) > 50 else ""
        super().__init__(f"LEAK CHECK FAILED: {len(leaks)} secret line(s) found\n{listed}{more}")


@dataclass
class Secrets:
    """Secret lines by kind -> {stripped line: origin}, with an anchor index for the long ones."""

    lines: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        self.anchors: dict[str, dict[str, list[str]]] = {}
        for kind, table in self.lines.items():
            index: dict[str, list[str]] = {}
            for secret in table:
                if len(secret) >= CONTAINED:
                    index.setdefault(secret[:ANCHOR], []).append(secret)
            self.anchors[kind] = index

    def contained(self, stripped: str, kind: str) -> Iterator[str]:
        """The long secrets of one kind inside a line."""
        if len(stripped) >= CONTAINED:
            index = self.anchors[kind]
            for i in range(len(stripped) - ANCHOR + 1):
                for secret in index.get(stripped[i:i + ANCHOR], ()):
                    if stripped.startswith(secret, i):
                        yield secret

    def find(self, line: str, kinds: tuple[str, ...]) -> tuple[str, str, str] | None:
        """(kind, secret, origin) of the first secret in ``line``."""
        stripped = line.strip()
        for kind in kinds:
            table = self.lines[kind]
            if stripped in table:
                return kind, stripped, table[stripped]
            for secret in self.contained(stripped, kind):
                return kind, secret, table[secret]
        return None

    def without_public(self, public: set[str]) -> Secrets:
        """Drop secrets that public text holds whole (a public line may carry a hidden case's prefix)."""
        seen = {kind: {s for line in public for s in self.contained(line, kind)} for kind in self.lines}
        return Secrets({k: {s: o for s, o in v.items() if s not in seen[k]} for k, v in self.lines.items()})


def _stripped_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def short_path(path: Path) -> str:
    """``solutions/hw1_storage/storage.py``-style names for messages."""
    return "/".join(path.parts[-3:]) if "graders" not in path.parts else "/".join(path.parts[-4:])


def public_lines() -> set[str]:
    """Lines anyone may see: generated student files, public tests, instructions, the student engine, the harness."""
    lines: set[str] = set()
    for assignment in all_assignments():
        for content in expected_files(assignment).values():
            lines |= _stripped_lines(content)
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "graders" not in path.relative_to(PACKAGE_DIR).parts:
            lines |= _stripped_lines(student_source(path))
    lines |= _stripped_lines(HARNESS_PATH.read_text())  # embedded in every notebook
    return lines


def _grader_files() -> list[Path]:
    return [p for a in all_assignments() for p in sorted(a.graders_dir.rglob("*.py"))
            if p.name != "__init__.py" and "__pycache__" not in p.parts]


@lru_cache(maxsize=1)
def _cached_secrets(fingerprint: tuple) -> Secrets:
    public = public_lines()
    solutions: dict[str, str] = {}
    for assignment in all_assignments():
        origin = short_path(assignment.solution)
        for line in solution_lines(assignment.solution.read_text()):
            if len(line) >= MIN_SOLUTION and line not in public and not TRIVIAL.match(line):
                solutions.setdefault(line, origin)
    graders: dict[str, str] = {}
    for path in _grader_files():
        origin = short_path(path)
        for line in _stripped_lines(path.read_text()):
            if len(line) >= MIN_GRADER and line not in public and not TRIVIAL.match(line):
                graders.setdefault(line, origin)
    return Secrets({"solution": solutions, "hidden grader": graders}).without_public(public)


def secrets() -> Secrets:
    """The secrets of every assignment now (recomputed when a source file changes)."""
    paths = [a.solution for a in all_assignments()] + _grader_files()
    paths += [source_dir(a) / n for a in all_assignments() for n in ("test_public.py", "INSTRUCTIONS.md")]
    paths += sorted(PACKAGE_DIR.rglob("*.py"))  # the engine's student-safe text decides what is public
    return _cached_secrets(tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.exists()))


def _allowed_for(kinds: tuple[str, ...], table: Secrets) -> tuple[str, ...]:
    return tuple(k for k in kinds if k in table.lines)


def text_units(name: str, data: bytes) -> list[tuple[str, int, str]]:
    """(where, line number, text) of every line in a file; notebooks by cell, zips by member."""
    if name.endswith(".zip"):
        units = []
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        units += text_units(f"{name}!{info.filename}", archive.read(info))
        except zipfile.BadZipFile:
            return [(name, 0, "")]
        return units
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return []
    if name.endswith(".ipynb"):
        try:
            notebook = json.loads(text)
        except json.JSONDecodeError:
            notebook = None
        if isinstance(notebook, dict):
            return _notebook_units(name, notebook)
    return [(name, number, line) for number, line in enumerate(text.splitlines(), start=1)]


def _notebook_units(name: str, notebook: dict) -> list[tuple[str, int, str]]:
    units = []
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        source = cell.get("source", "")
        texts = ["".join(source) if isinstance(source, list) else str(source)]
        for output in cell.get("outputs", []) or []:
            text = output.get("text", "")
            texts.append("".join(text) if isinstance(text, list) else str(text))
        line = 0
        for text in texts:
            for content in text.splitlines():
                line += 1
                units.append((f"{name} [cell {index}]", line, content))
    return units


def scan_files(files: dict[str, bytes], policy: str) -> list[Leak]:
    """Leaks in named file contents under one policy (student, autograder or instructor)."""
    table = secrets()
    kinds = _allowed_for(FORBIDDEN[policy], table)
    if not kinds:
        return []
    if policy == AUTOGRADER:  # a line the graders or the full engine have is not a leak in the grader's own bundle
        grader_lines = {line for path in _grader_files() for line in _stripped_lines(path.read_text())}
        grader_lines |= {line for path in PACKAGE_DIR.rglob("*.py") for line in _stripped_lines(path.read_text())}
        table = Secrets({k: {s: o for s, o in v.items() if s not in grader_lines} for k, v in table.lines.items()})
    if policy == INSTRUCTOR:  # likewise a grader line that is also solution code, in a file meant to hold solutions
        solution = {line for a in all_assignments() for line in solution_lines(a.solution.read_text())}
        table = Secrets({k: {s: o for s, o in v.items() if s not in solution} for k, v in table.lines.items()})
    leaks = []
    for name in sorted(files):
        for where, number, line in text_units(name, files[name]):
            found = table.find(line, kinds) if line.strip() else None
            if found:
                kind, _, origin = found
                leaks.append(Leak(where, number, kind, line, origin))
    return leaks


def policy_for(root: Path, relative: str) -> str:
    """Which policy a file in a release tree falls under, by the tree's layout."""
    if (root / "run_autograder").is_file():
        return AUTOGRADER
    if (root / "nbgrader_config.py").is_file() and relative.startswith(("source/", "autograded/")):
        return INSTRUCTOR
    if (root / "otter-master").is_dir() and relative.startswith("otter-master/tensorgrade/"):
        return AUTOGRADER
    if (root / "otter-master").is_dir() and relative.startswith("dist/autograder/"):
        return TRUSTED
    if (root / "otter-master").is_dir() and relative.startswith("otter-master/"):
        return INSTRUCTOR
    return STUDENT


def scan_tree(root: Path) -> list[Leak]:
    """Leaks in a folder or a zip (policies by layout, see :func:`policy_for`)."""
    root = Path(root)
    if root.is_file():
        if zipfile.is_zipfile(root):
            with zipfile.ZipFile(root) as archive:
                members = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
            policy = AUTOGRADER if "run_autograder" in members else STUDENT
            return [_rename(leak, root.name) for leak in scan_files(members, policy)]
        return scan_files({root.name: root.read_bytes()}, STUDENT)
    by_policy: dict[str, dict[str, bytes]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():  # every file, links and large ones too: what is not read cannot be cleared
            relative = path.relative_to(root).as_posix()
            by_policy.setdefault(policy_for(root, relative), {})[relative] = path.read_bytes()
    return sorted((leak for policy, files in by_policy.items() for leak in scan_files(files, policy)),
                  key=lambda leak: (leak.file, leak.line))


def _rename(leak: Leak, archive: str) -> Leak:
    return Leak(f"{archive}!{leak.file}", leak.line, leak.kind, leak.text, leak.origin)


def verify(root: Path) -> None:
    """Raise :class:`LeakFound` naming every leak in the folder or zip."""
    leaks = scan_tree(root)
    if leaks:
        raise LeakFound(leaks)


def verify_files(files: dict[str, bytes], policy: str = STUDENT) -> None:
    """Raise :class:`LeakFound` for in-memory files (e.g. the student view an export implies)."""
    leaks = scan_files(files, policy)
    if leaks:
        raise LeakFound(leaks)

