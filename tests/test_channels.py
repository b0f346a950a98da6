"""One score, every channel: the same hw1 submissions through tensorgrade, Gradescope, Classroom, nbgrader and otter.

Every channel must give each submission the score `tensorgrade grade` gives, out of the same
maximum: the hidden graders' score, never the public checks'. nbgrader and otter are the real
CLIs from the tools venv (release/tools_env.sh). The set is small on purpose: a correct, a
realistic mistake and an untouched stub, each as a module and as a notebook.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import exitcodes
from autograder.assignment import REPO_DIR, load_assignment
from autograder.channels import nbgrader as nbgrader_channel
from autograder.channels import test_key
from autograder.channels.scores import scores
from autograder.grading.results import Report, TestResult
from autograder.grading.runner import grade
from release import gradescope, notebooks
from release.sources import split_module, strip_markers
from release.student import write_student_bundle

HW1 = load_assignment("hw1_storage")
MISTAKE = "row_view_clone"
TOOLS = Path(os.environ.get("TENSORGRADE_TOOLS_VENV", REPO_DIR / ".venv-tools"))


@pytest.fixture(scope="module")
def open_dir():
    """A world-traversable folder: the sandboxed worker runs as another user, as on a grading machine."""
    folder = Path(tempfile.mkdtemp(prefix="tensorgrade-channels-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def notebook_of(module_source: str, nb: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """A student notebook (ours, or a tool's) with each function cell holding that function from ``module_source``."""
    functions = {s.name: s.code for s in split_module(module_source) if s.name}
    nb = notebooks.build_notebook(HW1, "stub") if nb is None else nb
    for cell in nb.cells:
        for name, code in functions.items():
            if cell.cell_type == "code" and cell.source.lstrip().startswith(f"def {name}("):
                cell.source = code
    return nb


@pytest.fixture(scope="module")
def submissions(open_dir) -> dict[str, Path]:
    """name -> file: correct, mistake and stub, as storage.py and as storage.ipynb (one folder each)."""
    sources = {"correct": strip_markers(HW1.solution.read_text()),
               "mistake": (HW1.mistakes_dir / f"{MISTAKE}.py").read_text(),
               "stub": HW1.stub.read_text()}
    files = {}
    for name, source in sources.items():
        module = open_dir / "subs" / f"{name}-py" / "storage.py"
        module.parent.mkdir(parents=True)
        module.write_text(source)
        files[f"{name}.py"] = module
        notebook = open_dir / "subs" / f"{name}-ipynb" / "storage.ipynb"
        notebook.parent.mkdir(parents=True)
        nbformat.write(notebook_of(source) if name != "stub" else notebooks.build_notebook(HW1, "stub"), notebook)
        files[f"{name}.ipynb"] = notebook
    return files


@pytest.fixture(scope="module")
def expected(submissions) -> dict[str, tuple[float, float]]:
    """`tensorgrade grade`'s (score, max) per submission: the score every channel must give."""
    scores = {}
    for name, path in submissions.items():
        report = grade(HW1, path)
        assert not report.grader_errors, report.grader_errors
        scores[name] = (report.score, report.max_score)
    top = scores["correct.py"][1]
    assert top > 0 and scores["correct.py"] == scores["correct.ipynb"] == (top, top)
    assert scores["stub.py"] == scores["stub.ipynb"] == (0, top)
    assert 0 < scores["mistake.py"][0] == scores["mistake.ipynb"][0] < top
    return scores


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    done = subprocess.run(["bash", str(REPO_DIR / "release" / "tools_env.sh")], capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        pytest.skip(f"nbgrader/otter-grader could not be installed: {(done.stdout + done.stderr).strip()[-600:]}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{TOOLS / 'bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


def run(env: dict[str, str], command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{output[-3000:]}"
    return output


@pytest.mark.slow
def test_gradescope_bundle_gives_tensorgrades_score(submissions, expected, open_dir):
    bundle = gradescope.write_gradescope_zip(HW1, open_dir / "hw1-gradescope.zip")
    for name, path in submissions.items():
        trial = gradescope.try_bundle(bundle, path, base=open_dir / "gs")
        assert trial.returncode == 0, trial.log[-2000:]
        assert (trial.results["score"], trial.results["max_score"]) == expected[name], (name, trial.log[-2000:])


@pytest.mark.slow
def test_classroom_repository_is_graded_on_the_file_its_workflow_picks(submissions, expected, open_dir):
    """A Classroom repo holds both stubs and the student's one changed file; the workflow's picker chooses
    it, and that file graded by tensorgrade is the grade (the repo itself only runs the public checks)."""
    write_student_bundle(HW1, open_dir / "classroom")
    bundle = open_dir / "classroom" / HW1.name
    for name, path in submissions.items():
        repo = open_dir / "repos" / name
        shutil.copytree(bundle, repo)
        shutil.copy(path, repo / path.name)
        done = subprocess.run([sys.executable, ".tensorgrade/graded_file.py"], cwd=repo, capture_output=True,
                              text=True, check=True)
        picked = repo / done.stdout.strip().removeprefix("file=")
        wanted = path.name if not name.startswith("stub") else "storage.py"
        assert picked.name == wanted
        report = grade(HW1, picked)
        assert (report.score, report.max_score) == expected[name]


@pytest.mark.slow
def test_nbgrader_gradebook_gets_tensorgrades_score(submissions, expected, tools, open_dir):
    course = open_dir / "nbgrader"
    run(tools, [sys.executable, "-m", "autograder.cli", "release", "nbgrader", "hw1_storage", "--course", str(course)],
        REPO_DIR)
    run(tools, ["nbgrader", "generate_assignment", "hw1_storage", "--force"], course)
    students = {}
    for name, path in submissions.items():
        if path.suffix == ".ipynb":
            student = name.split(".")[0]
            target = course / "submitted" / student / "hw1_storage" / "storage.ipynb"
            target.parent.mkdir(parents=True)
            shutil.copy(path, target)
            students[student] = name
    out = run(tools, [sys.executable, "-m", "autograder.cli", "grade", "hw1_storage", "--from-nbgrader", "."], course)
    assert f"{len(students)} submission(s) of hw1_storage recorded" in out
    run(tools, ["nbgrader", "export", "--to", "grades.csv"], course)
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student, name in students.items():
        assert (float(rows[student]["score"]), float(rows[student]["max_score"])) == expected[name], rows[student]
    # per test, as nbgrader grade cells: nbgrader's own API reads them back
    check = ("from nbgrader.api import Gradebook\n"
             "with Gradebook('sqlite:///gradebook.db') as gb:\n"
             "    nb = gb.find_submission_notebook('storage', 'hw1_storage', 'mistake')\n"
             "    print({g.name: (g.score, g.max_score) for g in nb.grades})\n")
    grades = eval(run(tools, [str(TOOLS / "bin" / "python"), "-c", check], course).strip().splitlines()[-1])  # noqa: S307
    row_view = grades["tg_test_row_view"]
    assert row_view[0] < row_view[1] and sum(s for s, _ in grades.values()) == expected["mistake.ipynb"][0]
    # the public check cells carry no points in nbgrader: its maximum is the hidden graders'
    source = nbformat.read(course / "source" / "hw1_storage" / "storage.ipynb", as_version=4)
    assert not [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert "one kernel" in (course / "README.md").read_text()


@pytest.mark.slow
def test_otter_run_gives_tensorgrades_score(submissions, expected, tools, open_dir):
    out = open_dir / "otter"
    run(tools, [sys.executable, "-m", "autograder.cli", "release", "otter", "hw1_storage", "--out", str(out)], REPO_DIR)
    master = out / "otter-master" / "storage.ipynb"
    # the engine otter's grading image installs from requirements.txt; here it stands on PYTHONPATH, and the
    # graders run with an interpreter that has torch itself (the tools venv reaches it through a .pth file)
    env = {**tools, "PYTHONPATH": str(out / "otter-master" / "tensorgrade"), "TENSORGRADE_PYTHON": sys.executable}
    run(env, ["otter", "assign", str(master), str(out / "dist")], out)
    (autograder_zip,) = (out / "dist" / "autograder").glob("*.zip")
    with zipfile.ZipFile(autograder_zip) as archive:
        environment = archive.read("environment.yml").decode()
        names = archive.namelist()
    for needed in ("torch>=", "numpy", "pytest", "--extra-index-url https://download.pytorch.org/whl/cpu",
                   "/autograder/source/files/tensorgrade"):
        assert needed in environment
    assert "files/tensorgrade/autograder/graders/hw1_storage/test_storage.py" in names
    assert "one kernel" in (out / "README.md").read_text().lower()
    student_nb = out / "dist" / "student" / "storage.ipynb"  # what otter hands out (it names the assignment)
    for name, path in submissions.items():
        if path.suffix != ".ipynb":
            continue
        filled = out / "subs" / name / "storage.ipynb"
        filled.parent.mkdir(parents=True)
        module = submissions[name.replace(".ipynb", ".py")].read_text()
        nb = nbformat.read(student_nb, as_version=4)
        nbformat.write(nb if name.startswith("stub") else notebook_of(module, nb), filled)
        report = grade(HW1, filled)  # tensorgrade on this very notebook: otter's own cells change nothing
        assert (report.score, report.max_score) == expected[name]
        results = filled.parent / "otter-results"
        results.mkdir()
        run(env, ["otter", "run", "-a", str(autograder_zip), "-o", str(results), str(filled)], filled.parent)
        tests = json.loads((results / "results.json").read_text())["tests"]
        scored = [t for t in tests if "max_score" in t]
        assert (sum(t["score"] for t in scored), sum(t["max_score"] for t in scored)) == expected[name], name


@pytest.mark.slow
def test_otter_without_tensorgrade_gives_no_points(submissions, tools, open_dir):
    """Fail closed: if the plugin cannot grade, the hidden questions' placeholders keep their zeros."""
    out = open_dir / "otter-closed"
    run(tools, [sys.executable, "-m", "autograder.cli", "release", "otter", "hw1_storage", "--out", str(out)], REPO_DIR)
    env = {**tools, "PYTHONPATH": str(out / "otter-master" / "tensorgrade"), "TENSORGRADE_PYTHON": "/nonexistent"}
    run(env, ["otter", "assign", str(out / "otter-master" / "storage.ipynb"), str(out / "dist")], out)
    (autograder_zip,) = (out / "dist" / "autograder").glob("*.zip")
    path = out / "correct" / "storage.ipynb"
    path.parent.mkdir()
    nb = nbformat.read(out / "dist" / "student" / "storage.ipynb", as_version=4)
    nbformat.write(notebook_of(submissions["correct.py"].read_text(), nb), path)
    results = open_dir / "closed-results"
    results.mkdir()
    run(env, ["otter", "run", "-a", str(autograder_zip), "-o", str(results), str(path)], path.parent)
    data = json.loads((results / "results.json").read_text())
    assert sum(t["score"] for t in data["tests"] if "max_score" in t) == 0
    assert "hidden graders did not run" in json.dumps(data)


def test_test_keys_are_stable_identifiers():
    assert test_key("test_storage.py::test_same_storage") == "test_same_storage"
    assert test_key("test_storage.py::test_device_agnostic[cuda]") == "test_device_agnostic_cuda"
    assert test_key("tests/test_x.py::TestA::test_b[1-2]") == "test_b_1_2"


def test_channel_scores_leave_out_skipped_cases_as_the_report_does():
    report = Report("hw1_storage", "s.py", tests=[
        TestResult("a", 2, 1.5, "failed", "half", nodeid="t.py::test_a"),
        TestResult("b [cuda]", 1, 0, "skipped", nodeid="t.py::test_b[cuda]")])
    data = scores(report)
    assert data["score"] == 1.5 and data["max_score"] == 2
    assert data["tests"] == [{"key": "test_a", "name": "a", "score": 1.5, "max_score": 2, "output": "half"}]


def test_nbgrader_handins_are_found_with_their_timestamps_and_gaps_are_named(tmp_path):
    course = tmp_path / "course"
    alice = course / "submitted" / "alice" / "hw1_storage"
    alice.mkdir(parents=True)
    (alice / "storage.ipynb").write_text("{}")
    (alice / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC\n")
    (course / "submitted" / "bob" / "hw1_storage").mkdir(parents=True)
    (course / "submitted" / "carol" / "hw2_indexing").mkdir(parents=True)  # another assignment: not a gap
    found, missing = nbgrader_channel.find_handins(course, HW1)
    assert [(h.student, h.path.name, h.timestamp) for h in found] == [
        ("alice", "storage.ipynb", "2026-12-01 10:00:00.000000 UTC")]
    assert missing == [f"bob: no storage.ipynb in {course / 'submitted' / 'bob' / 'hw1_storage'}"]
    with pytest.raises(nbgrader_channel.NbgraderError, match="no submitted/ folder"):
        nbgrader_channel.find_handins(tmp_path / "nothing", HW1)


def test_nbgrader_python_comes_from_the_nbgrader_script_or_the_environment(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "nbgrader"
    script.parent.mkdir()
    script.write_text("#!/opt/tools/bin/python3.11\nimport nbgrader\n")
    script.chmod(0o755)
    monkeypatch.delenv(nbgrader_channel.PYTHON_ENV, raising=False)
    monkeypatch.setenv("PATH", str(script.parent))
    assert nbgrader_channel.nbgrader_python() == "/opt/tools/bin/python3.11"
    monkeypatch.setenv(nbgrader_channel.PYTHON_ENV, "/usr/bin/python3")
    assert nbgrader_channel.nbgrader_python() == "/usr/bin/python3"
    monkeypatch.delenv(nbgrader_channel.PYTHON_ENV)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(nbgrader_channel.NbgraderError, match="not on PATH"):
        nbgrader_channel.nbgrader_python()


def test_grade_from_nbgrader_without_nbgrader_says_so(tmp_path, capsys, monkeypatch):
    from autograder.cli import main

    (tmp_path / "submitted" / "alice" / "hw1_storage").mkdir(parents=True)
    (tmp_path / "submitted" / "alice" / "hw1_storage" / "storage.ipynb").write_text("{}")
    monkeypatch.delenv(nbgrader_channel.PYTHON_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["grade", "hw1_storage", "--from-nbgrader", str(tmp_path)]) == exitcodes.USAGE
    assert "nbgrader is not on PATH" in capsys.readouterr().out
