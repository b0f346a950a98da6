"""Finding a class's submissions: files, one folder per student, and LMS export zips.

A submission is ``<student>.py|.ipynb``, a folder ``<student>/`` holding ``<module>.py|.ipynb``
(nbgrader's ``<student>/<assignment>/<module>.ipynb`` too), a Canvas download
(``<name>_<userid>_<subid>_<file>``), or a Gradescope export (``submission_metadata.yml`` and one
``submission_<id>/`` folder per submission); any of them may come zipped.

Hand-in times come only from what the LMS wrote, never from a student's own files: Gradescope's
``submission_metadata.yml`` (exports) or ``submission_metadata.json`` (beside a ``submission/``
folder, as Gradescope lays it out), nbgrader's ``timestamp.txt``, the entry times of a Canvas
export zip, or the instructor's ``handins.csv``. Inside a zip a student made, or a Gradescope
export's submission folder, or a git repository, no metadata file is believed. The commit time
(``handin="git"``) and the file's modification time (``handin="mtime"``) are used only when asked
for, and say so in ``timestamp_source``. A student folder without a matching file is reported in
``Discovery.missing`` so it still gets a gradebook row. Nothing here runs student code.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from autograder import lms_formats
from autograder.lms_formats import GRADESCOPE_JSON, GRADESCOPE_YML, MANIFEST_FILE, TIMESTAMP_FILE
from autograder.submission import MAX_SUBMISSION_BYTES

SUFFIXES = (".py", ".ipynb")
IGNORED = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".DS_Store"}
GENERIC_FOLDERS = {"submission", "submissions", "autograder"}  # folder names that say nothing about the student
MAX_DEPTH = 3  # how deep a student's folder is searched for the module
HANDIN_CHOICES = ("auto", "git", "mtime", "none")
MTIME_SOURCE = "file mtime (--handin-time mtime)"
ZIP_MTIME_SOURCE = "zip entry time (--handin-time mtime)"
CANVAS_SOURCE = "canvas export"
GIT_SOURCE = "git commit time (--handin-time git)"


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
    timestamp_source: str | None = None  # gradescope metadata | timestamp file | canvas export | handins.csv | ...
    name: str | None = None
    email: str | None = None
    sis_id: str | None = None
    lms_id: str | None = None
    note: str | None = None  # e.g. which file was picked when the expected one was missing


@dataclass
class MissingSubmission:
    """A student who is there (a folder, a metadata entry) but handed in no file to grade."""

    student: str
    origin: str
    reason: str  # "no submission found: notes.txt"
    name: str | None = None
    email: str | None = None
    sis_id: str | None = None
    lms_id: str | None = None


@dataclass
class Discovery:
    """What was found, who handed in nothing, and what could not be used (with what to do about it)."""

    submissions: list[FoundSubmission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[MissingSubmission] = field(default_factory=list)
    manifest: Path | None = None  # the handins.csv that was applied

    @property
    def without_handin_time(self) -> list[FoundSubmission]:
        return [s for s in self.submissions if s.submitted_at is None]


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
    def __init__(self, module: str, scratch: Path, handin: str = "auto") -> None:
        self.module, self.scratch, self.handin = module, scratch, handin
        self.found = Discovery()
        self.aliases: dict[Path, str] = {}  # extracted zip folders → how to name them to people
        self.zip_times: set[Path] = set()  # every extracted zip
        self.student_zips: set[Path] = set()  # zips a student made: neither their times nor their files are believed
        self.above: set[Path] = set()  # the folders around those given on the command line
        self.untrusted: set[Path] = set()  # Gradescope export folders: metadata there is the student's

    def believed(self, path: Path) -> bool:
        """Whether a metadata file at ``path`` was written by the LMS, not by the student."""
        if any(root in path.parents for root in self.student_zips | self.untrusted):
            return False
        # in a student's git repository (a GitHub Classroom clone) every file is the student's; a repository
        # around the class folder (the instructor's course) says nothing
        for folder in path.parents:
            if folder in self.above or folder == self.scratch:
                break
            if (folder / ".git").exists():
                return False
        return True

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
        if self.is_export(folder):
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
                if self.is_export(entry):
                    self.gradescope_export(entry)
                elif len(self.module_files(entry)) > 1 and not self.module_files(entry, depth=0):
                    self.class_folder(entry)  # a class folder inside the class folder (e.g. a zip's wrapper)
                else:
                    self.student_folder(entry, entry.name)
            elif entry.suffix.lower() == ".zip":
                details = self.student_from_file(entry)
                self.zip(entry, student=details.pop("student"), details=details, in_class=True)
            elif entry.suffix.lower() in SUFFIXES:
                self.file(entry, self.student_from_file(entry))
            elif entry.name not in (GRADESCOPE_JSON, TIMESTAMP_FILE, MANIFEST_FILE):
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
        meta = {}
        if (folder / GRADESCOPE_JSON).is_file() and self.believed(folder / GRADESCOPE_JSON):
            if self.beside_submission(folder):
                meta = self.gradescope_json(folder)
            else:
                # Gradescope writes it beside submission/, never among the student's files: this one may be forged
                self.problem(folder / GRADESCOPE_JSON, "lies among the student's own files (Gradescope puts it "
                                                       "beside submission/): not used")
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
                self.missing(folder, student, details, others)
                return
        if len(chosen) > 1:
            python = [p for p in chosen if p.suffix == ".py"]
            picked = python[0] if python else chosen[0]
            note = f"several candidates ({', '.join(p.name for p in chosen)}): graded {picked.name}"
            chosen = [picked]
        self.file(chosen[0], {"student": student, **details}, note=note, folder=folder)

    def beside_submission(self, folder: Path) -> bool:
        """Gradescope's layout: metadata in the folder, the student's files in ``submission/`` below it."""
        return (folder / "submission").is_dir()

    def missing(self, folder: Path, student: str, details: dict, others: list[Path] | None = None) -> None:
        """A student without a file to grade still gets a row: say what was there instead."""
        others = others or []
        if len(others) > 1:
            listing = (f"{', '.join(p.name for p in others[:5])}: which one? rename it to {self.module}.py "
                       "and grade again")
        else:
            files = [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*"))
                     if p.is_file() and _visible(p) and not any(part in IGNORED for part in p.parts)
                     and p.name not in (GRADESCOPE_JSON, TIMESTAMP_FILE)][:5] if folder.is_dir() else []
            listing = ", ".join(files) if files else "empty folder"
        who = {k: v for k, v in details.items() if k in ("name", "email", "sis_id", "lms_id") and v}
        self.found.missing.append(MissingSubmission(
            student=student, origin=self.origin(folder), reason=f"no submission found: {listing}", **who))

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
            details.update(self.handin_time(path, folder))
        self.found.submissions.append(FoundSubmission(
            filename=path.name, content=content, size=size, content_hash=digest, origin=self.origin(path),
            note=note, **details))

    def handin_time(self, path: Path, folder: Path | None) -> dict:
        """When no LMS metadata named the time: nbgrader's file, a Canvas export's entry, or what was asked for."""
        stamp = self.timestamp_file(path.parent) or (self.timestamp_file(folder) if folder else None)
        if stamp:
            return {"submitted_at": stamp, "timestamp_source": "timestamp file"}
        in_zip = any(r in path.parents for r in self.zip_times)
        by_student = any(r in path.parents for r in self.student_zips)
        if in_zip and not by_student and self.canvas_member(path):
            # Canvas writes each member with the time it holds for the submission
            return {"submitted_at": _mtime(path), "timestamp_source": CANVAS_SOURCE}
        if self.handin == "mtime":
            return {"submitted_at": _mtime(path), "timestamp_source": ZIP_MTIME_SOURCE if in_zip else MTIME_SOURCE}
        if self.handin == "git" and not in_zip:
            stamp = lms_formats.git_commit_time(path)
            if stamp:
                return {"submitted_at": stamp, "timestamp_source": GIT_SOURCE}
            self.problem(path, "no git commit of this file: no hand-in time (is the folder a clone of the repository?)")
        return {}

    def canvas_member(self, path: Path) -> bool:
        """A file (or the student zip holding it) named as Canvas's "Download Submissions" names them."""
        for candidate in (path, *path.parents):
            if lms_formats.canvas_details(candidate.name):
                return True
            if candidate in self.zip_times:
                break
        return False

    def timestamp_file(self, folder: Path | None) -> datetime | None:
        path = folder / TIMESTAMP_FILE if folder else None
        if path is None or not path.is_file() or not self.believed(path):
            return None
        stamp, problem = lms_formats.timestamp_file(path)
        if problem:
            self.problem(path, problem)
        return stamp

    # ------------------------------------------------------------ exports

    def is_export(self, folder: Path) -> bool:
        """A Gradescope export: its metadata beside submission_<id>/ folders, not inside a student's own files."""
        return self.gradescope_layout(folder) and self.believed(folder / GRADESCOPE_YML)

    @staticmethod
    def gradescope_layout(folder: Path) -> bool:
        return (folder / GRADESCOPE_YML).is_file() and any(
            p.is_dir() and p.name.startswith("submission_") for p in folder.iterdir())

    def gradescope_export(self, folder: Path) -> None:
        entries, problem = lms_formats.gradescope_yml(folder / GRADESCOPE_YML)
        if problem:
            self.problem(folder / GRADESCOPE_YML, problem)
        for key, people in entries:
            if "/" in key or "\\" in key or key in ("", ".", ".."):
                self.problem(folder / GRADESCOPE_YML, f"names a submission folder {key[:60]!r} outside the export")
                continue
            sub_folder = folder / key
            if not sub_folder.is_dir():
                self.problem(sub_folder, "listed in submission_metadata.yml but not in the export")
                for person in people:
                    self.found.missing.append(MissingSubmission(
                        student=person["student"], origin=self.origin(sub_folder),
                        reason="no submission found: listed in submission_metadata.yml but not in the export",
                        **{k: v for k, v in person.items() if k in ("name", "email", "sis_id", "lms_id")}))
                continue
            self.untrusted.add(sub_folder)  # the student's files: only the yml speaks for Gradescope
            for person in people:
                student = person.pop("student")
                self.student_folder(sub_folder, student, person)

    def zip(self, path: Path, student: str | None, details: dict | None = None, in_class: bool = False) -> None:
        """Unpack and walk a zip. ``student``: whose it is when it stands for one student; ``in_class``: it lies
        directly in a class folder the instructor gave (so it may be an LMS export saved there)."""
        target = Path(tempfile.mkdtemp(prefix="zip-", dir=self.scratch))
        self.aliases[target] = self.origin(path)
        nested = any(r in path.parents for r in self.zip_times)
        self.zip_times.add(target)
        if student is not None or nested:
            # one student's zip (or a zip inside an export): what is inside is the student's own
            self.student_zips.add(target)
            outer = any(r in path.parents for r in self.zip_times - self.student_zips)
            if outer and lms_formats.canvas_details(path.name) and "submitted_at" not in (details or {}):
                # the student's zip as a member of a Canvas export: Canvas's time for it is the hand-in time
                details = {**(details or {}), "submitted_at": _mtime(path), "timestamp_source": CANVAS_SOURCE}
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
        if in_class and not nested and not lms_formats.canvas_details(path.name) and self.gradescope_layout(root):
            # a Gradescope export saved in the class folder (a student's zip would be in their folder, or
            # Canvas-named in a Canvas download): its listing is Gradescope's
            self.student_zips.discard(target)
        if self.is_export(root):
            self.gradescope_export(root)
        elif student:
            self.student_folder(root, student, details)  # never several students out of one student's zip
        else:
            self.class_folder(root)


def _dedupe(found: Discovery) -> Discovery:
    """One submission per student: the latest handed in when a student appears with different files.

    A student who handed in nothing in one place but a file in another is not missing.
    """
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
    missing: dict[str, MissingSubmission] = {}
    for entry in found.missing:
        if entry.student not in by_student:
            missing.setdefault(entry.student, entry)
    found.missing = sorted(missing.values(), key=lambda m: m.student)
    return found


def apply_manifest(found: Discovery, path: Path) -> None:
    """Hand-in times from the instructor's ``handins.csv``: they replace what anything else said."""
    times, problems = lms_formats.read_manifest(path)
    found.problems += [f"{path}: {p}" for p in problems]
    found.manifest = path
    for sub in found.submissions:
        for key in (sub.student, sub.sis_id, sub.email, sub.lms_id):
            if key and key in times:
                sub.submitted_at, sub.timestamp_source = times[key], lms_formats.MANIFEST_SOURCE
                break


def discover(paths: list[Path] | tuple[Path, ...], module: str, *, handin: str = "auto",
             manifest: Path | None = None) -> Discovery:
    """Every submission under ``paths`` for an assignment whose module is ``module``.

    ``handin``: auto (LMS metadata and handins.csv only), git (also commit times), mtime (also file
    times), none (no hand-in times: no late penalties). ``manifest``: a handins.csv; without it, a
    ``handins.csv`` at the top of a given folder is used.
    """
    if handin not in HANDIN_CHOICES:
        raise ValueError(f"handin must be one of {', '.join(HANDIN_CHOICES)}, not {handin!r}")
    scratch = Path(tempfile.mkdtemp(prefix="tensorgrade-discover-"))
    try:
        walker = _Walker(module, scratch, handin)
        for path in paths:
            walker.above.update(Path(path).parents)
            walker.path(Path(path))
        found = _dedupe(walker.found)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if manifest is None:
        manifest = next((Path(p) / MANIFEST_FILE for p in paths if (Path(p) / MANIFEST_FILE).is_file()), None)
    if handin == "none":
        for sub in found.submissions:
            sub.submitted_at = sub.timestamp_source = None
    elif manifest is not None:
        apply_manifest(found, Path(manifest))
    return found
