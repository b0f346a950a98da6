"""Batch grading end to end: 60 generated submissions, a real ``kill -9`` mid-run, a resume, exactly 60 results.

The class mixes correct work (as .py and as a notebook), the untouched stub, realistic mistakes from
``solutions/hw1_storage/mistakes/``, hostile files and broken ones, laid out as student folders, flat
files and a Gradescope export zip. Runs against SQLite and against a real PostgreSQL server.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from autograder.assignment import REPO_DIR, load_assignment
from autograder.gradebook import normalise_url, open_gradebook
from autograder.gradebook.models import Run, Student, SubmissionRow
from autograder.stubs import make_stub
from tests import gradebook_fixtures

postgres = gradebook_fixtures.postgres  # fixture: a real PostgreSQL server

HW1 = load_assignment("hw1_storage")
CLASS_SIZE = 60


def function_names(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


def returns_none(names: list[str]) -> str:
    return "".join(f"\n\ndef {name}(*args, **kwargs):\n    return None\n" for name in names)


def notebook(source: str) -> bytes:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# hw1, my answers"},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}]
    return json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells}).encode()


def kinds_of_work() -> dict[str, bytes]:
    """Every distinct file the class hands in, by kind."""
    reference = HW1.solution.read_text()
    names = function_names(reference)
    work = {"correct": reference.encode(), "correct-notebook": notebook(reference),
            "stub": make_stub(reference).encode(),
            "wrong-generated": reference.replace("return x[i]\n", "return x[i].clone()\n").encode()}
    for path in sorted(HW1.mistakes_dir.glob("*.py"))[:3]:
        work[f"wrong-{path.stem}"] = path.read_bytes()
    work["hostile-exit"] = b"import os\nos._exit(3)\n"
    work["hostile-forger"] = ("import sys\nimport torch\n\ntorch.equal = lambda *a, **k: True\n"
                              "torch.allclose = lambda *a, **k: True\ntorch.Tensor.__eq__ = lambda self, other: True\n"
                              "print('{\"score\": 21, \"max_score\": 21}')\nsys.stdout.write('12 passed\\n')\n"
                              + returns_none(names)).encode()
    work["hostile-spam"] = ("print('x' * 5_000_000)\n" + returns_none(names)).encode()
    work["broken-syntax"] = b"def same_storage(a, b)\n    return True\n"
    work["broken-indent"] = b"def row_view(x, i):\nreturn x[i]\n"
    work["broken-empty"] = b""
    work["broken-binary"] = bytes(range(256)) * 4
    work["broken-latin1"] = "# caf\u00e9\nx = 1\n".encode("latin-1")
    work["broken-notebook"] = b'{"cells": [ this is not json'
    return work


def make_class(root: Path) -> dict[str, str]:
    """Write 60 submissions under root (folders, flat files, a Gradescope zip); returns student → kind."""
    work = kinds_of_work()
    plan: list[str] = (["correct"] * 10 + ["correct-notebook"] * 4 + ["stub"] * 8 + ["wrong-generated"] * 2
                       + [k for k in work if k.startswith("wrong-") and k != "wrong-generated"] * 3
                       + [k for k in work if k.startswith("hostile-")] * 2
                       + [k for k in work if k.startswith("broken-")])
    zipped = ["correct", "correct", "stub", "stub", "wrong-generated", "correct-late", "correct-late"]
    plan += ["stub"] * (CLASS_SIZE - len(plan) - len(zipped))
    kinds: dict[str, str] = {}
    late = (HW1.late.due + timedelta(days=1, hours=1)).isoformat()
    handins = ["student,handed_in"]  # the LMS's times, as the instructor exported them
    for n, kind in enumerate(plan):
        student = f"s{n:02d}"
        content = work[kind]
        suffix = ".ipynb" if kind.endswith("notebook") else ".py"
        if n % 4 == 3 and not kind.endswith("notebook"):
            path = root / f"{student}{suffix}"  # a flat file named by student
        else:
            path = root / student / f"storage{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if n in (1, 2):  # handed in a day and an hour late: 2 started days
            handins.append(f"{student},{late}")
            kind += "-late"
        kinds[student] = kind
    (root / "handins.csv").write_text("\n".join(handins) + "\n")
    metadata = {}
    with zipfile.ZipFile(root / "gradescope_export.zip", "w") as export:
        for n, kind in enumerate(zipped):
            sid = f"g{n:02d}"
            created = HW1.late.due + (timedelta(days=1, hours=1) if kind.endswith("late") else -timedelta(hours=3))
            metadata[f"submission_{900 + n}"] = {":submitters": [{":name": f"Student {sid}", ":sid": sid,
                                                                   ":email": f"{sid}@example.edu"}],
                                                 ":created_at": created.isoformat()}
            export.writestr(f"assignment_1_export/submission_{900 + n}/storage.py", work[kind.removesuffix("-late")])
            kinds[sid] = kind
        export.writestr("assignment_1_export/submission_metadata.yml", json.dumps(metadata))  # JSON is YAML
    assert len(kinds) == CLASS_SIZE
    return kinds


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    return root, make_class(root)


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def count_rows(url: str) -> int:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(SubmissionRow)) or 0
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def grade_command(url: str, root: Path) -> list[str]:
    return [sys.executable, "-m", "autograder.cli", "grade", "hw1_storage", str(root),
            str(root / "gradescope_export.zip"), "--db", url, "--jobs", "2"]


def run_killed_then_resumed(url: str, root: Path, logs: Path) -> tuple[int, str]:
    """Start the batch, kill -9 it after its first recorded result, run it again; (rows at kill, 2nd output)."""
    with (logs / "first.log").open("w") as log:
        first = subprocess.Popen(grade_command(url, root), cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 400
    pool: set[int] = set()
    while count_rows(url) == 0:
        assert first.poll() is None, f"the batch ended before the kill: {(logs / 'first.log').read_text()[-2000:]}"
        assert time.monotonic() < deadline, "no result recorded in time"
        pool.update(children_of(first.pid))
        time.sleep(0.2)
    pool.update(children_of(first.pid))
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    # the grading processes die with their parent, so nothing keeps writing
    deadline = time.monotonic() + 30
    while any(alive(p) for p in pool) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pool and not any(alive(p) for p in pool)
    at_kill = count_rows(url)
    second = subprocess.run(grade_command(url, root), cwd=REPO_DIR, capture_output=True, text=True, timeout=900)
    (logs / "second.log").write_text(second.stdout + second.stderr)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return at_kill, second.stdout


def check_gradebook(url: str, kinds: dict[str, str], at_kill: int) -> None:
    with open_gradebook(url) as gradebook:
        rows = gradebook.submissions("hw1_storage")
        # exactly 60 results, one per student, nothing recorded twice
        assert len(rows) == CLASS_SIZE
        assert sorted(r.student.key for r in rows) == sorted(kinds)
        assert len({(r.student_id, r.content_hash, r.grading_round) for r in rows}) == CLASS_SIZE
        with gradebook.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Student)) == CLASS_SIZE
            runs = session.scalars(select(Run).order_by(Run.id)).all()
        assert [(r.kind, r.status) for r in runs] == [("grade", "running"), ("grade", "finished")]  # 1st killed
        by_run = {run.id: sum(1 for r in rows if r.run_id == run.id) for run in runs}
        assert 0 < at_kill < CLASS_SIZE
        assert by_run == {runs[0].id: at_kill, runs[1].id: CLASS_SIZE - at_kill}  # the resume graded the rest
        max_score = max(r.max_score for r in rows)
        assert max_score > 0 and all(r.max_score == max_score for r in rows)
        for row in rows:
            kind = kinds[row.student.key]
            who = f"{row.student.key} ({kind}): {row.score}/{row.max_score} {row.problem or ''}"
            if kind.startswith("correct"):
                # full marks bar a grader timeout when the machine is overloaded (the hw1 tests pin exact marks)
                assert row.score >= 0.9 * max_score, who
            elif kind.startswith("stub") or kind.startswith("hostile") or kind.startswith("broken"):
                assert row.score == 0, who
            else:
                assert 0 <= row.score < max_score and any(t.output for t in row.tests if t.score < t.max_score), who
            if kind.startswith("broken") or kind == "hostile-exit":
                assert row.problem, who
            if kind.endswith("-late"):
                assert (row.late_days, row.late_penalty) == (2, pytest.approx(0.2)), who
                assert row.final_score == pytest.approx(round(row.score * 0.8, 4)), who
            else:
                assert (row.late_days, row.final_score) == (0, row.score), who
        exit_row = next(r for r in rows if kinds[r.student.key] == "hostile-exit")
        assert "exited with status 3" in exit_row.problem
        gradescope = next(r for r in rows if r.student.key == "g00")
        assert (gradescope.student.name, gradescope.timestamp_source) == ("Student g00", "gradescope metadata")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_minus_9_mid_batch_then_resume_records_exactly_60(backend, klass, tmp_path, request):
    root, kinds = klass
    url = f"sqlite:///{tmp_path / 'gradebook.sqlite'}" if backend == "sqlite" \
        else request.getfixturevalue("postgres").new_database()
    at_kill, output = run_killed_then_resumed(url, root, tmp_path)
    said = " ".join(output.split())
    assert f"{at_kill} of {CLASS_SIZE} submissions are already in the gradebook" in said
    assert "graded and recorded now" in said
    check_gradebook(url, kinds, at_kill)
    # a third run finds nothing to do
    third = subprocess.run(grade_command(url, root), cwd=REPO_DIR, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0 and f"{CLASS_SIZE} already in the gradebook" in " ".join(third.stdout.split())
    assert count_rows(url) == CLASS_SIZE


def test_cli_batch_regrade_keeps_history_and_json(tmp_path, capsys):
    """Cheap files only (they never start a worker), one job at a time, in process through the CLI."""
    from autograder import cli, exitcodes

    work = kinds_of_work()
    root = tmp_path / "class"
    for student, kind in (("ann", "broken-syntax"), ("ben", "broken-empty"), ("cat", "broken-notebook")):
        suffix = ".ipynb" if kind.endswith("notebook") else ".py"
        (root / student).mkdir(parents=True)
        (root / student / f"storage{suffix}").write_bytes(work[kind])
    db = tmp_path / "gradebook.sqlite"
    out = tmp_path / "results.json"
    argv = ["grade", "hw1_storage", str(root), "--db", str(db), "--jobs", "1", "--json", str(out)]
    assert cli.main(argv) == exitcodes.OK
    data = json.loads(out.read_text())
    assert sorted(r["student"] for r in data["results"]) == ["ann", "ben", "cat"]
    assert all(r["score"] == 0 and r["problem"] and r["max_score"] > 0 for r in data["results"])
    assert cli.main([*argv, "--regrade"]) == exitcodes.OK
    with open_gradebook(db) as gradebook:
        rows = gradebook.submissions("hw1_storage")
        assert len(rows) == 6 and {r.grading_round for r in rows} == {"first", f"regrade-{rows[-1].run_id}"}
        assert {r.run_id for r in gradebook.current("hw1_storage")} == {rows[-1].run_id}
    capsys.readouterr()
    assert cli.main(["grade", "hw1_storage", str(tmp_path / "empty"), "--db", str(db)]) == exitcodes.USAGE
    assert "no submissions found" in " ".join(capsys.readouterr().out.split())
    assert cli.main(["grade", "hw1_storage", str(root), "--db", "nonsense://x"]) == exitcodes.USAGE
    assert "no database driver" in " ".join(capsys.readouterr().out.split())


def test_a_gradebook_that_stops_answering_is_a_clear_message(tmp_path, capsys, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from autograder import cli, exitcodes
    from autograder.gradebook.store import Gradebook

    def gone(*args, **kwargs):
        raise OperationalError("INSERT INTO submissions", {}, Exception("server closed the connection unexpectedly"))

    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "ann" / "storage.py").write_bytes(kinds_of_work()["broken-syntax"])
    monkeypatch.setattr(Gradebook, "record", gone)
    monkeypatch.setattr(Gradebook, "finish_run", gone)
    code = cli.main(["grade", "hw1_storage", str(tmp_path / "class"), "--db", str(tmp_path / "g.sqlite"), "-j", "1"])
    said = " ".join(capsys.readouterr().out.split())
    assert code == exitcodes.GRADER_ERROR
    assert "the gradebook stopped answering: server closed the connection unexpectedly" in said
    assert "run the same command again" in said


def test_a_student_without_a_file_gets_a_row_in_the_summary_and_the_export(tmp_path, capsys):
    from autograder import cli, exitcodes

    root = tmp_path / "class"
    (root / "ann").mkdir(parents=True)
    (root / "ann" / "storage.py").write_bytes(kinds_of_work()["broken-syntax"])
    (root / "dan").mkdir()
    (root / "dan" / "notes.txt").write_text("sorry")
    db = tmp_path / "gradebook.sqlite"
    assert cli.main(["grade", "hw1_storage", str(root), "--db", str(db), "--jobs", "1"]) == exitcodes.OK
    said = " ".join(capsys.readouterr().out.split())
    assert "no submission: dan: no submission found: notes.txt" in said
    assert "1 with no submission found" in said
    with open_gradebook(db) as gradebook:
        rows = {r.student.key: r for r in gradebook.current("hw1_storage")}
    assert set(rows) == {"ann", "dan"}
    assert rows["dan"].score == 0 and rows["dan"].max_score == rows["ann"].max_score > 0
    assert rows["dan"].problem == "no submission found: notes.txt"
    # grading again records nothing twice; the student still counts
    assert cli.main(["grade", "hw1_storage", str(root), "--db", str(db), "--jobs", "1"]) == exitcodes.OK
    with open_gradebook(db) as gradebook:
        assert len(gradebook.submissions("hw1_storage")) == 2
    capsys.readouterr()
    assert cli.main(["export", "hw1_storage", "--db", str(db), "--format", "csv", "--missing", "blank"]) == exitcodes.OK
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("dan,dan,,,,") and "no submission found" in line for line in lines), lines


def test_hand_in_times_by_file_time_only_when_asked_and_a_copy_is_flagged(tmp_path, capsys):
    from autograder import cli, exitcodes

    root = tmp_path / "class"
    copied = (HW1.late.due + timedelta(days=1, hours=2)).timestamp()
    for student in ("ann", "ben", "cat", "dan"):
        (root / student).mkdir(parents=True)
        path = root / student / "storage.py"
        path.write_bytes(kinds_of_work()["broken-syntax"] + student.encode())
        os.utime(path, (copied, copied))  # copied after the deadline: every file has the same time
    db = tmp_path / "a.sqlite"
    assert cli.main(["grade", "hw1_storage", str(root), "--db", str(db), "-j", "1"]) == exitcodes.OK
    said = " ".join(capsys.readouterr().out.split())
    assert "no hand-in time for 4 of 4 submissions" in said and "handins.csv" in said
    with open_gradebook(db) as gradebook:
        assert all(r.late_days == 0 and r.submitted_at is None for r in gradebook.current("hw1_storage"))
    db = tmp_path / "b.sqlite"
    assert cli.main(["grade", "hw1_storage", str(root), "--db", str(db), "-j", "1", "--handin-time", "mtime"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "4 hand-in times are file modification times" in said
    assert "4 of 4 submissions were handed in within 2 minutes" in said and "--no-late" in said
    with open_gradebook(db) as gradebook:
        rows = gradebook.current("hw1_storage")
    assert all(r.late_days == 2 and r.timestamp_source == "file mtime (--handin-time mtime)" for r in rows)
    assert cli.main(["export", "hw1_storage", "--db", str(db), "--format", "csv"]) == exitcodes.OK
    out = capsys.readouterr()
    assert "file mtime (--handin-time mtime)" in out.out and "file modification times" in out.err


def test_piped_output_prints_a_progress_line_while_a_long_job_runs(tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from autograder.batch import view as batch_view
    from autograder.batch.discover import discover
    from autograder.batch.executors import JobResult
    from autograder.batch.run import grade_batch
    from autograder.batch.view import BatchProgress

    class SlowExecutor:
        def run(self, jobs, on_result):
            for job in jobs:
                time.sleep(3)  # one long submission: the log must not go quiet
                on_result(JobResult(job.key, error="stopped for the test"))

    monkeypatch.setattr(batch_view, "PLAIN_EVERY", 1.0)
    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "ann" / "storage.py").write_text("x = 1\n")
    found = discover([tmp_path / "class"], HW1.module)
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with open_gradebook(tmp_path / "g.sqlite") as gradebook, BatchProgress(console, "hw1_storage") as progress:
        grade_batch(HW1, found, gradebook, SlowExecutor(), on_start=progress.start, on_progress=progress.advance)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("grading hw1_storage:")]
    assert lines[0].startswith("grading hw1_storage: 0/1 done") and lines[-1].startswith("grading hw1_storage: 1/1")
    assert len(lines) >= 3, lines  # the first, at least one while waiting, the last


def test_a_single_long_grading_keeps_a_piped_log_alive(monkeypatch):
    import io

    from rich.console import Console

    from autograder.batch import view as batch_view

    monkeypatch.setattr(batch_view, "PLAIN_EVERY", 1.0)
    out = io.StringIO()
    with batch_view.Heartbeat(Console(file=out, force_terminal=False, width=200), "hw5_training: training.py"):
        time.sleep(2.5)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("hw5_training: training.py: still grading") for line in lines)
    terminal = io.StringIO()
    with batch_view.Heartbeat(Console(file=terminal, force_terminal=True), "x"):
        time.sleep(1.2)
    assert terminal.getvalue() == ""  # a terminal shows the report itself; no extra lines
