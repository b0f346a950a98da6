"""Finding a class's submissions in folders, files, Canvas downloads and Gradescope exports (zipped or not)."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from autograder.batch.discover import discover
from autograder.submission import MAX_SUBMISSION_BYTES

MODULE = "storage"
CODE = b"def row_view(x, i):\n    return x[i]\n"


def write(path: Path, content: bytes = CODE, mtime: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if mtime:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def by_student(found):
    return {s.student: s for s in found.submissions}


def test_class_folder_of_folders_files_and_notebooks(tmp_path):
    when = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    write(tmp_path / "alice" / "storage.py", b"a = 1\n", mtime=when)
    write(tmp_path / "bob" / "storage.ipynb", b'{"cells": []}')
    write(tmp_path / "carol.py", b"c = 3\n")
    write(tmp_path / "dave_storage.py", b"d = 4\n")
    write(tmp_path / "erin" / "hw1_storage" / "storage.ipynb", b"{}")  # nbgrader: submitted/<student>/<assignment>/
    write(tmp_path / "erin" / "hw1_storage" / "timestamp.txt", b"2026-12-02 10:00:00.000000 UTC")
    write(tmp_path / "notes.txt", b"not a submission")
    write(tmp_path / ".hidden.py", b"skip me")
    (tmp_path / "__pycache__").mkdir()
    found = discover([tmp_path], MODULE)
    subs = by_student(found)
    assert set(subs) == {"alice", "bob", "carol", "dave", "erin"}
    assert subs["alice"].content == b"a = 1\n" and subs["alice"].filename == "storage.py"
    # a file's modification time is no hand-in time (a copy after the deadline changes it) unless asked for
    assert (subs["alice"].submitted_at, subs["alice"].timestamp_source) == (None, None)
    asked = by_student(discover([tmp_path], MODULE, handin="mtime"))
    assert (asked["alice"].submitted_at, asked["alice"].timestamp_source) == (when, "file mtime (--handin-time mtime)")
    assert asked["erin"].timestamp_source == "timestamp file"  # the LMS's own time still wins
    assert subs["bob"].filename == "storage.ipynb"
    assert subs["erin"].submitted_at == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert subs["erin"].timestamp_source == "timestamp file"
    assert [p.split(": ")[-1] for p in found.problems] == ["not a .py, .ipynb, .zip or student folder"]
    assert str(tmp_path / "notes.txt") in found.problems[0]


def test_a_folder_that_is_one_students(tmp_path):
    write(tmp_path / "zoe" / "storage.py")
    found = discover([tmp_path / "zoe"], MODULE)
    assert [s.student for s in found.submissions] == ["zoe"]
    # a file given directly and named like the module takes its folder's name
    found = discover([tmp_path / "zoe" / "storage.py"], MODULE)
    assert [s.student for s in found.submissions] == ["zoe"]


def test_misnamed_missing_and_ambiguous_files(tmp_path):
    write(tmp_path / "ann" / "hw1.py")  # the only code file: graded, with a note
    write(tmp_path / "ben" / "README.md", b"# nothing here")
    write(tmp_path / "cat" / "a.py")
    write(tmp_path / "cat" / "b.py")
    write(tmp_path / "dan" / "storage.py", b"x = 1\n")
    write(tmp_path / "dan" / "storage.ipynb", b"{}")
    write(tmp_path / "dan" / "test_public.py", b"def test(): pass\n")
    (tmp_path / "eve").mkdir()
    found = discover([tmp_path], MODULE)
    subs = by_student(found)
    assert set(subs) == {"ann", "dan"}
    assert subs["ann"].filename == "hw1.py" and "graded hw1.py instead" in subs["ann"].note
    assert subs["dan"].filename == "storage.py" and "several candidates" in subs["dan"].note
    # the others are not dropped: each is missing, with what was there instead
    missing = {m.student: m.reason for m in found.missing}
    assert missing == {"ben": "no submission found: README.md",
                       "cat": "no submission found: a.py, b.py: which one? rename it to storage.py and grade again",
                       "eve": "no submission found: empty folder"}
    assert found.problems == []


def test_canvas_download_names(tmp_path):
    write(tmp_path / "doejane_12345_678901_storage.py", b"j = 1\n")
    write(tmp_path / "roejohn_LATE_555_678902_storage-1.py", b"r = 2\n")
    subs = by_student(discover([tmp_path], MODULE))
    assert subs["12345"].name == "doejane" and subs["12345"].lms_id == "12345"
    assert subs["555"].name == "roejohn" and subs["555"].content == b"r = 2\n"


def test_gradescope_export_zip_with_metadata(tmp_path):
    export = tmp_path / "assignment_42_export.zip"
    metadata = """
submission_1001:
  :submitters:
  - :name: Jane Doe
    :sid: 'S001'
    :email: jane@example.edu
  :created_at: 2026-12-01 17:30:00.123456789 -08:00
  :score: 0.0
submission_1002:
  :submitters:
  - :name: Group One
    :sid: 'S002'
    :email: one@example.edu
  - :name: Group Two
    :sid: ''
    :email: two@example.edu
  :created_at: 2026-11-30 09:00:00.000000000 +00:00
submission_1003:
  :submitters:
  - :name: Ghost
    :sid: 'S003'
"""
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("assignment_42_export/submission_metadata.yml", metadata)
        zf.writestr("assignment_42_export/submission_1001/storage.py", "late = True\n")
        zf.writestr("assignment_42_export/submission_1002/storage.py", "group = True\n")
        zf.writestr("__MACOSX/._junk", "x")
    found = discover([export], MODULE)
    subs = by_student(found)
    assert set(subs) == {"S001", "S002", "two@example.edu"}
    jane = subs["S001"]
    assert (jane.name, jane.email, jane.sis_id) == ("Jane Doe", "jane@example.edu", "S001")
    assert jane.submitted_at == datetime(2026, 12, 2, 1, 30, 0, 123456, tzinfo=UTC)
    assert jane.timestamp_source == "gradescope metadata"
    assert jane.origin == f"{export}!assignment_42_export/submission_1001/storage.py"
    assert subs["S002"].content == subs["two@example.edu"].content == b"group = True\n"
    assert any("submission_1003" in p and "not in the export" in p for p in found.problems)


GRADESCOPE_META = json.dumps({"id": 7, "created_at": "2026-12-03T14:22:32.365935-07:00",
                               "users": [{"email": "kim@example.edu", "name": "Kim", "sid": "K9"}]})


def test_gradescope_autograder_metadata_json(tmp_path):
    # Gradescope's layout: /autograder/submission_metadata.json beside /autograder/submission/
    folder = tmp_path / "autograder"
    write(folder / "submission" / "storage.py")
    (folder / "submission_metadata.json").write_text(GRADESCOPE_META)
    [sub] = discover([folder], MODULE).submissions
    assert (sub.student, sub.name, sub.email) == ("K9", "Kim", "kim@example.edu")
    assert sub.submitted_at == datetime(2026, 12, 3, 21, 22, 32, 365935, tzinfo=UTC)
    assert sub.timestamp_source == "gradescope metadata"


def test_metadata_among_the_students_own_files_is_not_believed(tmp_path):
    # a submission_metadata.json next to storage.py is a file the student uploaded
    write(tmp_path / "kim" / "storage.py")
    (tmp_path / "kim" / "submission_metadata.json").write_text(GRADESCOPE_META)
    found = discover([tmp_path], MODULE)
    [sub] = found.submissions
    assert (sub.student, sub.submitted_at, sub.name) == ("kim", None, None)
    assert any("among the student's own files" in p for p in found.problems)


def test_a_students_zip_cannot_forge_the_handin_time(tmp_path):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr(zipfile.ZipInfo("storage.py", date_time=(2026, 11, 1, 0, 0, 0)), "early = 1\n")
        zf.writestr("timestamp.txt", "2026-11-01 00:00:00 UTC")  # what nbgrader would write
        zf.writestr("submission_metadata.json", GRADESCOPE_META.replace("2026-12-03", "2026-11-01"))
    export = tmp_path / "canvas.zip"
    with zipfile.ZipFile(export, "w") as zf:
        # Canvas writes each member with the submission's time; the student's zip inside is a member
        zf.writestr(zipfile.ZipInfo("doejane_12345_678901_hw1.zip", date_time=(2026, 12, 4, 9, 0, 0)),
                    inner.read_bytes())
        zf.writestr(zipfile.ZipInfo("roejohn_555_678902_storage.py", date_time=(2026, 12, 2, 8, 30, 0)), "r = 2\n")
    inner.unlink()
    subs = by_student(discover([export], MODULE))
    assert set(subs) == {"12345", "555"}
    jane = subs["12345"]
    assert jane.content == b"early = 1\n" and jane.name == "doejane"
    assert (jane.submitted_at, jane.timestamp_source) == (datetime(2026, 12, 4, 9, tzinfo=UTC), "canvas export")
    assert (subs["555"].submitted_at, subs["555"].timestamp_source) == (datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
                                                                        "canvas export")


def test_gradescope_export_folders_are_the_students_files(tmp_path):
    export = tmp_path / "export"
    write(export / "submission_metadata.yml", b"submission_1:\n  :submitters:\n  - :sid: 'S1'\n")
    write(export / "submission_1" / "storage.py")
    (export / "submission_1" / "submission_metadata.json").write_text(GRADESCOPE_META)
    write(export / "submission_1" / "timestamp.txt", b"2026-11-01 00:00:00 UTC")
    [sub] = discover([export], MODULE).submissions
    assert (sub.student, sub.submitted_at, sub.name) == ("S1", None, None)


def test_a_classroom_repository_times_only_when_asked(tmp_path):
    import subprocess

    repo = tmp_path / "class" / "octocat"
    write(repo / "storage.py")
    write(repo / "timestamp.txt", b"2026-11-01 00:00:00 UTC")  # committed by the student: not believed
    moment = "2026-12-02T10:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": moment, "GIT_COMMITTER_DATE": moment, "GIT_AUTHOR_NAME": "o",
           "GIT_AUTHOR_EMAIL": "o@x", "GIT_COMMITTER_NAME": "o", "GIT_COMMITTER_EMAIL": "o@x"}
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "done"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True, env=env)
    [plain] = discover([tmp_path / "class"], MODULE).submissions
    assert (plain.student, plain.submitted_at) == ("octocat", None)
    [sub] = discover([tmp_path / "class"], MODULE, handin="git").submissions
    assert sub.submitted_at == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert sub.timestamp_source == "git commit time (--handin-time git)"


def test_a_handins_manifest_gives_the_times(tmp_path):
    write(tmp_path / "class" / "alice" / "storage.py")
    write(tmp_path / "class" / "bob" / "storage.py", b"b = 1\n")
    write(tmp_path / "class" / "handins.csv", b"student,handed_in\nalice,2026-12-01T10:00:00Z\nbob,yesterday\n")
    found = discover([tmp_path / "class"], MODULE)
    subs = by_student(found)
    assert (subs["alice"].submitted_at, subs["alice"].timestamp_source) == (datetime(2026, 12, 1, 10, tzinfo=UTC),
                                                                            "handins.csv")
    assert subs["bob"].submitted_at is None
    assert [p.split(": ", 1)[1] for p in found.problems] == ["line 3: not a timestamp: 'yesterday'"]
    elsewhere = write(tmp_path / "times.csv", b"Student ID,Submitted At\nbob,2026-12-03 12:00:00 UTC\n")
    subs = by_student(discover([tmp_path / "class"], MODULE, manifest=elsewhere))
    assert subs["bob"].submitted_at == datetime(2026, 12, 3, 12, tzinfo=UTC) and subs["alice"].submitted_at is None
    assert all(s.submitted_at is None for s in discover([tmp_path / "class"], MODULE, handin="none").submissions)


def test_zips_of_students_and_zip_safety(tmp_path):
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as zf:
        info = zipfile.ZipInfo("class/amy/storage.py", date_time=(2026, 12, 5, 12, 0, 0))
        zf.writestr(info, "amy = 1\n")
        zf.writestr("class/bo.py", "bo = 1\n")
        zf.writestr("class/../../../escape.py", "evil = 1\n")  # extract() drops the ".." parts
    write(tmp_path / "more" / "cy.zip", b"not a zip at all")
    found = discover([tmp_path / "class.zip", tmp_path / "more"], MODULE)
    subs = by_student(found)
    assert set(subs) == {"amy", "bo", "escape"}
    assert subs["amy"].submitted_at is None  # an arbitrary zip's times are file times
    asked = by_student(discover([tmp_path / "class.zip"], MODULE, handin="mtime"))
    assert asked["amy"].submitted_at == datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert asked["amy"].timestamp_source == "zip entry time (--handin-time mtime)"
    assert not (tmp_path.parent / "escape.py").exists() and not Path("/escape.py").exists()
    assert any("cy.zip" in p and "not a readable zip" in p for p in found.problems)


def test_one_submission_per_student_the_latest(tmp_path):
    write(tmp_path / "a" / "ann.py", b"old = 1\n", mtime=datetime(2026, 11, 1, tzinfo=UTC))
    write(tmp_path / "b" / "ann.py", b"new = 2\n", mtime=datetime(2026, 11, 2, tzinfo=UTC))
    write(tmp_path / "c" / "ann.py", b"new = 2\n", mtime=datetime(2026, 11, 3, tzinfo=UTC))
    found = discover([tmp_path / "a", tmp_path / "b", tmp_path / "c"], MODULE, handin="mtime")
    [sub] = found.submissions
    assert sub.content == b"new = 2\n"
    assert len(found.problems) == 1 and "2 different submissions" in found.problems[0]


def test_oversized_files_are_hashed_whole_but_kept_short(tmp_path):
    big = write(tmp_path / "huge.py", b"#" * (MAX_SUBMISSION_BYTES + 5000))
    [sub] = discover([big], MODULE).submissions
    assert sub.size == MAX_SUBMISSION_BYTES + 5000 and len(sub.content) == MAX_SUBMISSION_BYTES + 1
    import hashlib

    assert sub.content_hash == hashlib.sha256(big.read_bytes()).hexdigest()


def test_missing_paths_are_reported(tmp_path):
    found = discover([tmp_path / "nope", tmp_path], MODULE)
    assert found.submissions == []
    assert any("no such file or folder" in p for p in found.problems)
    assert any("the folder is empty" in p for p in found.problems)


def test_a_course_repository_around_the_class_folder_does_not_distrust_nbgrader(tmp_path):
    (tmp_path / ".git").mkdir()  # the instructor keeps the course in git; submissions/ lies inside it
    write(tmp_path / "submitted" / "erin" / "hw1_storage" / "storage.py")
    write(tmp_path / "submitted" / "erin" / "hw1_storage" / "timestamp.txt", b"2026-12-02 10:00:00.000000 UTC")
    [sub] = discover([tmp_path / "submitted"], MODULE).submissions
    assert (sub.student, sub.submitted_at) == ("erin", datetime(2026, 12, 2, 10, tzinfo=UTC))
    # but one student's clone, given by itself, is still the student's own
    (tmp_path / "submitted" / "erin" / ".git").mkdir()
    [sub] = discover([tmp_path / "submitted" / "erin"], MODULE).submissions
    assert sub.submitted_at is None


def test_a_gradescope_listing_inside_a_students_zip_is_just_a_file(tmp_path):
    inner = tmp_path / "mine.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("submission_metadata.yml", "submission_1:\n  :submitters:\n  - :sid: 'TOP'\n"
                                               "  :created_at: 2026-11-01 00:00:00 +00:00\n")
        zf.writestr("submission_1/storage.py", "forged = 1\n")
    (tmp_path / "class" / "mallory").mkdir(parents=True)
    (tmp_path / "class" / "mallory" / "mine.zip").write_bytes(inner.read_bytes())
    found = discover([tmp_path / "class"], MODULE)
    [sub] = found.submissions
    assert (sub.student, sub.submitted_at) == ("mallory", None) and sub.content == b"forged = 1\n"


def test_a_gradescope_listing_cannot_point_outside_its_export(tmp_path):
    write(tmp_path / "elsewhere" / "storage.py", b"not yours\n")
    export = tmp_path / "export"
    write(export / "submission_metadata.yml", b"../elsewhere:\n  :submitters:\n  - :sid: 'S9'\n"
                                              b"submission_2:\n  :submitters:\n  - :sid: 'S2'\n")
    write(export / "submission_2" / "storage.py")
    found = discover([export], MODULE)
    assert [s.student for s in found.submissions] == ["S2"]
    assert any("outside the export" in p for p in found.problems)


def test_a_gradescope_export_saved_in_the_class_folder_is_read_as_one(tmp_path):
    write(tmp_path / "class" / "amy" / "storage.py")
    with zipfile.ZipFile(tmp_path / "class" / "assignment_7_export.zip", "w") as zf:
        zf.writestr("assignment_7_export/submission_metadata.yml",
                    "submission_1:\n  :submitters:\n  - :sid: 'S1'\n  :created_at: 2026-12-01 10:00:00 +00:00\n")
        zf.writestr("assignment_7_export/submission_1/storage.py", "s1 = 1\n")
    subs = by_student(discover([tmp_path / "class"], MODULE))
    assert set(subs) == {"amy", "S1"}
    assert subs["S1"].submitted_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_a_students_zip_of_many_files_is_still_one_student(tmp_path):
    with zipfile.ZipFile(tmp_path / "mallory.zip", "w") as zf:
        zf.writestr("doejane_12345_678901_storage.py", "pretend = 1\n")  # named like another student's file
        zf.writestr("other_999_1_storage.py", "pretend = 2\n")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "mallory.zip").write_bytes((tmp_path / "mallory.zip").read_bytes())
    found = discover([tmp_path / "class"], MODULE)
    assert [s.student for s in found.submissions] == ["mallory"]
    assert all(s.submitted_at is None for s in found.submissions)
