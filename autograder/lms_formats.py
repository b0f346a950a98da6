"""What LMS downloads look like, read without running anything: Canvas file names, Gradescope metadata, zips.

Canvas's "Download Submissions" names files ``<name>[_LATE]_<userid>_<submissionid>_<file>``.
Gradescope's "Export Submissions" zip holds ``submission_metadata.yml`` (``submission_<id>:`` with
``:submitters:`` ``:name:``/``:sid:``/``:email:`` and ``:created_at:``) and one folder per submission;
its autograder gives each submission ``submission_metadata.json`` (``created_at``, ``users``).
nbgrader writes ``timestamp.txt`` beside each submission. An instructor's ``handins.csv`` names
each student's hand-in time (columns ``student`` and ``handed_in``; any LMS's gradebook export
can be turned into one). Commit times come from ``git log``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from autograder.late import parse_timestamp

TIMESTAMP_FILE = "timestamp.txt"
GRADESCOPE_JSON = "submission_metadata.json"
GRADESCOPE_YML = "submission_metadata.yml"
MANIFEST_FILE = "handins.csv"
MANIFEST_SOURCE = "handins.csv"
MANIFEST_STUDENT = ("student", "student_id", "student id", "id", "sid", "email", "login")
MANIFEST_TIME = ("handed_in", "handed in", "submitted_at", "submitted at", "submitted",
                 "submission time", "time", "timestamp")
CANVAS_NAME = re.compile(r"^(?P<name>[^_]+?)(?:_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MAX_ZIP_BYTES = 1024**3  # uncompressed size allowed for one export zip


def text(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def canvas_details(filename: str) -> dict | None:
    """Student details from a Canvas download name (the Canvas user id is the student's key)."""
    match = CANVAS_NAME.match(filename)
    if not match:
        return None
    # Canvas appends -1, -2 to the file names of resubmissions
    return {"student": match["uid"], "lms_id": match["uid"], "name": match["name"],
            "file": re.sub(r"-\d+(?=\.)", "", match["file"])}


def timestamp_file(path: Path) -> tuple[datetime | None, str | None]:
    """(hand-in time, problem) from an nbgrader ``timestamp.txt``."""
    try:
        return parse_timestamp(path.read_text(encoding="utf-8", errors="replace")), None
    except (OSError, ValueError) as exc:
        return None, f"{exc}; using the file's time instead"


def gradescope_json(path: Path) -> tuple[dict, str | None]:
    """(details, problem) from Gradescope's per-submission ``submission_metadata.json``."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"unreadable ({exc}); using the file's time instead"
    if not isinstance(meta, dict):
        return {}, "not Gradescope submission metadata"
    out: dict = {}
    problem = None
    users = meta.get("users")
    if isinstance(users, list) and users and isinstance(users[0], dict):
        user = users[0]
        out.update(name=text(user.get("name")), email=text(user.get("email")), sis_id=text(user.get("sid")))
        out["student"] = text(user.get("sid")) or text(user.get("email")) or text(user.get("id"))
    if meta.get("created_at"):
        try:
            out.update(submitted_at=parse_timestamp(str(meta["created_at"])), timestamp_source="gradescope metadata")
        except ValueError as exc:
            problem = f"{exc}; using the file's time instead"
    return {k: v for k, v in out.items() if v}, problem


def gradescope_yml(path: Path) -> tuple[list[tuple[str, list[dict]]], str | None]:
    """([(submission folder, details of each submitter)], problem) from an export's ``submission_metadata.yml``."""
    import yaml

    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], f"unreadable ({str(exc).splitlines()[0]})"
    if not isinstance(meta, dict):
        return [], "not a Gradescope submission list"
    entries = []
    for key, info in sorted(meta.items(), key=lambda kv: str(kv[0])):
        info = info if isinstance(info, dict) else {}
        shared: dict = {}
        created = info.get(":created_at")
        if created:
            try:
                stamp = created if isinstance(created, datetime) else parse_timestamp(str(created))
                shared.update(submitted_at=stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC),
                              timestamp_source="gradescope metadata")
            except ValueError:
                pass
        people = []
        for person in [s for s in info.get(":submitters") or [] if isinstance(s, dict)] or [{}]:
            sid, email = text(person.get(":sid")), text(person.get(":email"))
            who = {"name": text(person.get(":name")), "email": email, "sis_id": sid}
            # a group submission counts for each member
            people.append({"student": sid or email or str(key), **shared, **{k: v for k, v in who.items() if v}})
        entries.append((str(key), people))
    return entries, None


def extract_zip(path: Path, target: Path) -> tuple[bool, list[str]]:
    """Unpack ``path`` into ``target`` (member times kept as file times); (usable, problems)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return False, [f"not a readable zip file ({exc}); download it again"]
    problems = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            return False, [f"unpacks to more than {MAX_ZIP_BYTES // 1024**2} MB"]
        for member in members:
            try:
                extracted = Path(archive.extract(member, target))  # extract() drops "..", "/" and drive parts
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                problems.append(f"member {member.filename!r} could not be unpacked ({exc})")
                continue
            # zip times carry no zone: read as UTC, like every naive timestamp here
            stamp = datetime(*member.date_time, tzinfo=UTC).timestamp()
            os.utime(extracted, (stamp, stamp))
    return True, problems


def read_manifest(path: Path) -> tuple[dict[str, datetime], list[str]]:
    """({student: hand-in time}, problems) from a ``handins.csv`` (header row: student, handed_in)."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"cannot be read ({exc})"]
    if not rows:
        return {}, ["empty: the first row names the columns, e.g. student,handed_in"]
    header = [cell.strip().lower() for cell in rows[0]]
    who = next((header.index(n) for n in MANIFEST_STUDENT if n in header), None)
    when = next((header.index(n) for n in MANIFEST_TIME if n in header), None)
    if who is None or when is None:
        return {}, [f"needs a student column and a handed_in column (header: {', '.join(rows[0])})"]
    times: dict[str, datetime] = {}
    problems = []
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) <= max(who, when) or not cells[who].strip():
            if any(c.strip() for c in cells):
                problems.append(f"line {number}: no student or no time")
            continue
        try:
            times[cells[who].strip()] = parse_timestamp(cells[when])
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    return times, problems


def git_commit_time(path: Path) -> datetime | None:
    """The commit time of the last commit that touched ``path`` in its repository (None if none)."""
    try:
        done = subprocess.run(["git", "-C", str(path.parent), "log", "-1", "--format=%cI", "--", path.name],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    stamp = done.stdout.strip()
    if done.returncode != 0 or not stamp:
        return None
    try:
        return parse_timestamp(stamp)
    except ValueError:
        return None
