"""Finding a class's submissions: files, one folder per student, and LMS export zips.

A submission is ``<student>.py|.ipynb``, a folder ``<student>/`` holding ``<module>.py|.ipynb``
(nbgrader's ``<student>/<assignment>/<module>.ipynb`` too), a Canvas download
(``<name>_<userid>_<subid>_<file>``), or a Gradescope export (``submission_metadata.yml`` and one
``submission_<id>/`` folder per submission); any of them may come zipped. The hand-in time comes
from Gradescope's metadata, an nbgrader ``timestamp.txt``, or else the file's modification time.
Nothing here runs student code; files are read as bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from autograder import lms_formats
from autograder.lms_formats import GRADESCOPE_JSON, GRADESCOPE_YML, TIMESTAMP_FILE
from autograder.submission import MAX_SUBMISSION_BYTES

SUFFIXES = (".py", ".ipynb")
IGNORED = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".DS_Store"}
GENERIC_FOLDERS = {"submission", "submissions"}  # folder names that say nothing about the student
MAX_DEPTH = 3  # how deep a student's folder is searched for the module


@dataclass
class FoundSubmission:
    """One student's file, read into memory, with where and when it was handed in."""

    student: str
    filename: str  # the file's own name (storage.py, storage.ipynb)
    content: bytes  # at most MAX_SUBMISSION_BYTES + 1 bytes; ``size`` is the real size
    size: int
    content_hash: str  # sha256 of the whole file
    origin: str  # where it was found, for people
    submitted_at: datetime | None = None
    timestamp_source: str | None = None  # gradescope metadata | timestamp file | file mtime | zip entry time
    name: str | None = None
    email: str | None = None
    sis_id: str | None = None
    lms_id: str | None = None
    note: str | None = None  # e.g. which file was picked when the expected one was missing


@dataclass
class Discovery:
    """What was found, and what could not be used (with what to do about it)."""

    submissions: list[FoundSubmission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_file(path: Path) -> tuple[bytes, int, str]:
    """(content capped at the submission limit + 1 byte, real size, sha256 of everything)."""
    digest, kept, size = hashlib.sha256(), bytearray(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            if len(kept) <= MAX_SUBMISSION_BYTES:
                kept += chunk[: MAX_SUBMISSION_BYTES + 1 - len(kept)]
    return bytes(kept), size, digest.hexdigest()


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _visible(path: Path) -> bool:
    return path.name not in IGNORED and not path.name.startswith((".", "._"))


class _Walker:
    def __init__(self, module: str, scratch: Path) -> None:
        self.module, self.scratch = module, scratch
        self.found = Discovery()
        self.aliases: dict[Path, str] = {}  # extracted zip folders → how to name them to people
        self.zip_times: set[Path] = set()

    # ------------------------------------------------------------ naming

    def origin(self, path: Path) -> str:
        for root, alias in self.aliases.items():
            if path == root or root in path.parents:
                rest = path.relative_to(root).as_posix()
                return alias if rest == "." else f"{alias}!{rest}"
        return str(path)

    def problem(self, path: Path, message: str) -> None:
        self.found.problems.append(f"{self.origin(path)}: {message}")

    # ------------------------------------------------------------ entry points

    def path(self, path: Path) -> None:
        if not path.exists():
            self.problem(path, "no such file or folder")
        elif path.is_dir():
            self.folder(path)
        elif path.suffix.lower() == ".zip":
            self.zip(path, student=None)
        elif path.suffix.lower() in SUFFIXES:
            self.file(path, self.student_from_file(path))
        else:
            self.problem(path, "not a .py or .ipynb file, a folder or a .zip")

    def folder(self, folder: Path) -> None:
        """A class folder, a single student's folder, or an unzipped Gradescope export."""
        if (folder / GRADESCOPE_YML).is_file():
            self.gradescope_export(folder)
        elif self.module_files(folder, depth=0, exact=True) or (folder / GRADESCOPE_JSON).is_file():
            self.student_folder(folder, folder.name)
        else:
            self.class_folder(folder)

    def class_folder(self, folder: Path) -> None:
        entries = sorted(p for p in folder.iterdir() if _visible(p))
        if not entries:
            self.problem(folder, "the folder is empty")
        for entry in entries:
            if entry.is_dir():
                if (entry / GRADESCOPE_YML).is_file():
                    self.gradescope_export(entry)
                elif len(self.module_files(entry)) > 1 and not self.module_files(entry, depth=0):
                    self.class_folder(entry)  # a class folder inside the class folder (e.g. a zip's wrapper)
                else:
                    self.student_folder(entry, entry.name)
            elif entry.suffix.lower() == ".zip":
                self.zip(entry, student=entry.stem)
            elif entry.suffix.lower() in SUFFIXES:
                self.file(entry, self.student_from_file(entry))
            elif entry.name not in (GRADESCOPE_JSON, TIMESTAMP_FILE):
                self.problem(entry, "not a .py, .ipynb, .zip or student folder")

    # ------------------------------------------------------------ one student

    def student_from_file(self, path: Path) -> dict:
        """Student details from a file name: Canvas download names, ``<id>.py``, ``<id>_<module>.py``."""
        canvas = lms_formats.canvas_details(path.name)
        if canvas:
            return {k: v for k, v in canvas.items() if k != "file"}
        stem = path.stem
        if stem == self.module:
            return {"student": path.resolve().parent.name}
        for sep in ("_", "-"):
            if stem.endswith(f"{sep}{self.module}") and len(stem) > len(self.module) + 1:
                return {"student": stem[: -len(self.module) - 1]}
        return {"student": stem}

    def module_files(self, folder: Path, depth: int = MAX_DEPTH, exact: bool = False) -> list[Path]:
        """Files named like the module (``exact``: not counting Canvas-renamed ones)."""
        names = {f"{self.module}{suffix}" for suffix in SUFFIXES}
        return [p for p in self.candidates(folder, depth)
                if p.name in names or (not exact and self.canvas_module(p))]

    def canvas_module(self, path: Path) -> bool:
        canvas = lms_formats.canvas_details(path.name)
        return bool(canvas) and canvas["file"] in {f"{self.module}{s}" for s in SUFFIXES}

    def candidates(self, folder: Path, depth: int) -> list[Path]:
        found = []
        for entry in sorted(p for p in folder.iterdir() if _visible(p)):
            if entry.is_dir() and depth > 0:
                found += self.candidates(entry, depth - 1)
            elif entry.is_file() and entry.suffix.lower() in SUFFIXES and not entry.name.startswith("test_"):
                found.append(entry)
        return found

    def student_folder(self, folder: Path, student: str, details: dict | None = None) -> None:
        details = dict(details or {})
        meta = self.gradescope_json(folder)
        if meta:
            if student in GENERIC_FOLDERS and meta.get("student"):
                student = meta["student"]
            details = {**{k: v for k, v in meta.items() if k != "student"}, **details}
        chosen = self.module_files(folder)
        note = None
        if not chosen:
            others = self.candidates(folder, MAX_DEPTH)
            zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip" and _visible(p))
            if len(others) == 1:
                chosen = others
                note = f"no {self.module}.py or {self.module}.ipynb: graded {others[0].name} instead"
            elif not others and len(zips) == 1:
                self.zip(zips[0], student=student, details=details)
                return
            else:
                listing = ", ".join(p.name for p in others[:5]) or "no .py or .ipynb files"
                self.problem(folder, f"no {self.module}.py or {self.module}.ipynb for student {student!r} "
                                     f"({listing}); rename the file to grade and run again")
                return
        if len(chosen) > 1:
            python = [p for p in chosen if p.suffix == ".py"]
            picked = python[0] if python else chosen[0]
            note = f"several candidates ({', '.join(p.name for p in chosen)}): graded {picked.name}"
            chosen = [picked]
        self.file(chosen[0], {"student": student, **details}, note=note, folder=folder)

    def gradescope_json(self, folder: Path) -> dict:
        path = folder / GRADESCOPE_JSON
        if not path.is_file():
            return {}
        details, problem = lms_formats.gradescope_json(path)
        if problem:
            self.problem(path, problem)
        return details

    def file(self, path: Path, details: dict, note: str | None = None, folder: Path | None = None) -> None:
        try:
            content, size, digest = read_file(path)
        except OSError as exc:
            self.problem(path, f"could not be read ({exc.strerror})")
            return
        details = dict(details)
        if "submitted_at" not in details:
            stamp = self.timestamp_file(path.parent) or (self.timestamp_file(folder) if folder else None)
            if stamp:
                details.update(submitted_at=stamp, timestamp_source="timestamp file")
            else:
                source = "zip entry time" if any(r in path.parents for r in self.zip_times) else "file mtime"
                details.update(submitted_at=_mtime(path), timestamp_source=source)
        self.found.submissions.append(FoundSubmission(
            filename=path.name, content=content, size=size, content_hash=digest, origin=self.origin(path),
            note=note, **details))

    def timestamp_file(self, folder: Path | None) -> datetime | None:
        path = folder / TIMESTAMP_FILE if folder else None
        if path is None or not path.is_file():
            return None
        stamp, problem = lms_formats.timestamp_file(path)
        if problem:
            self.problem(path, problem)
        return stamp

    # ------------------------------------------------------------ exports

    def gradescope_export(self, folder: Path) -> None:
        entries, problem = lms_formats.gradescope_yml(folder / GRADESCOPE_YML)
        if problem:
            self.problem(folder / GRADESCOPE_YML, problem)
        for key, people in entries:
            sub_folder = folder / key
            if not sub_folder.is_dir():
                self.problem(sub_folder, "listed in submission_metadata.yml but not in the export")
                continue
            for person in people:
                student = person.pop("student")
                self.student_folder(sub_folder, student, person)

    def zip(self, path: Path, student: str | None, details: dict | None = None) -> None:
        target = Path(tempfile.mkdtemp(prefix="zip-", dir=self.scratch))
        self.aliases[target] = self.origin(path)
        self.zip_times.add(target)
        usable, problems = lms_formats.extract_zip(path, target)
        for problem in problems:
            self.problem(path, problem)
        if not usable:
            return
        root = target
        while True:  # exports often wrap everything in one folder
            inside = [p for p in root.iterdir() if _visible(p)]
            if len(inside) == 1 and inside[0].is_dir() and not (root / GRADESCOPE_YML).exists():
                root = inside[0]
            else:
                break
        if (root / GRADESCOPE_YML).is_file():
            self.gradescope_export(root)
        elif student and (self.module_files(root, depth=1) or len(self.candidates(root, MAX_DEPTH)) == 1):
            self.student_folder(root, student, details)
        else:
            self.class_folder(root)


def _dedupe(found: Discovery) -> Discovery:
    """One submission per student: the latest handed in when a student appears with different files."""
    by_student: dict[str, list[FoundSubmission]] = {}
    for sub in found.submissions:
        by_student.setdefault(sub.student, []).append(sub)
    kept = []
    for student, subs in by_student.items():
        distinct = {s.content_hash: s for s in subs}
        latest = max(distinct.values(), key=lambda s: s.submitted_at or datetime.min.replace(tzinfo=UTC))
        if len(distinct) > 1:
            found.problems.append(f"student {student!r} has {len(distinct)} different submissions "
                                  f"({', '.join(s.origin for s in distinct.values())}); grading the latest, "
                                  f"{latest.origin}")
        kept.append(latest)
    found.submissions = sorted(kept, key=lambda s: s.student)
    return found


def discover(paths: list[Path] | tuple[Path, ...], module: str) -> Discovery:
    """Every submission under ``paths`` for an assignment whose module is ``module``."""
    scratch = Path(tempfile.mkdtemp(prefix="tensorgrade-discover-"))
    try:
        walker = _Walker(module, scratch)
        for path in paths:
            walker.path(Path(path))
        return _dedupe(walker.found)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
