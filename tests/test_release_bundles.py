"""Student and Gradescope bundles: contents, the engine copy, deterministic zips, and run_autograder for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.assignment import REPO_DIR, all_assignments, load_assignment
from autograder.cli import main
from release import gradescope, student
from release.gradescope_entry import apply_late_penalty, find_submission
from release.public_checks import group_points, public_tests
from release.vendor import engine_files
from release.zipfiles import FIXED_TIME, zip_texts, zip_tree

HW1 = load_assignment("hw1_storage")


def test_zips_are_byte_identical_for_the_same_input(tmp_path):
    tree = tmp_path / "tree"
    (tree / "b").mkdir(parents=True)
    (tree / "b" / "z.txt").write_text("z")
    (tree / "a.sh").write_text("#!/bin/sh\n")
    (tree / "a.sh").chmod(0o755)
    first = zip_tree(tree, tmp_path / "one.zip", prefix="p/")
    os.utime(tree / "b" / "z.txt", (0, 0))  # file times never reach the zip
    second = zip_tree(tree, tmp_path / "two.zip", prefix="p/")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["p/a.sh", "p/b/z.txt"]
    assert {i.date_time for i in infos} == {FIXED_TIME}
    assert [(i.external_attr >> 16) & 0o777 for i in infos] == [0o755, 0o644]


def test_student_bundles_for_all_assignments_are_deterministic_and_pass_verify(tmp_path, capsys):
    assert main(["release", "student", "--all", "--out", str(tmp_path / "one")]) == 0
    assert main(["release", "student", "--all", "--out", str(tmp_path / "two")]) == 0
    assert "leak check passed" in capsys.readouterr().out
    for assignment in all_assignments():
        one, two = (tmp_path / d / f"{assignment.name}.zip" for d in ("one", "two"))
        assert one.read_bytes() == two.read_bytes()
        assert main(["release", "verify", str(one)]) == 0
        assert main(["release", "verify", str(tmp_path / "one" / assignment.name)]) == 0


def test_student_bundle_contents(tmp_path):
    bundle = student.write_student_bundle(HW1, tmp_path)
    names = set(zip_texts(bundle.zip))
    folder_files = {p.relative_to(tmp_path).as_posix() for p in bundle.folder.rglob("*") if p.is_file()}
    assert names == folder_files  # the zip holds exactly the folder
    for needed in ("storage.py", "storage.ipynb", "INSTRUCTIONS.md", "test_public.py", "README.md",
                   ".github/workflows/classroom.yml", ".tensorgrade/pyproject.toml",
                   ".tensorgrade/autograder/graders/hw1_storage/assignment.toml", ".tensorgrade/autograder/cli.py"):
        assert f"hw1_storage/{needed}" in names, needed
    # no hidden grader, no other assignment, no solution, no release tool
    assert not [n for n in names if "/graders/" in n and not n.endswith(("assignment.toml", "graders/__init__.py"))]
    assert not [n for n in names if "solutions/" in n or "/release/" in n or "mistakes" in n]
    assert (bundle.folder / "storage.py").read_text() == HW1.stub.read_text()


def test_student_bundle_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "hw1_storage").mkdir()
    (tmp_path / "hw1_storage" / "my_work.py").write_text("precious")
    with pytest.raises(student.NotOurFolder):
        student.write_student_bundle(HW1, tmp_path)
    assert (tmp_path / "hw1_storage" / "my_work.py").read_text() == "precious"
    assert main(["release", "student", "hw1_storage", "--out", str(tmp_path)]) == 2
    assert main(["release", "student", "--out", str(tmp_path)]) == 2  # neither a name nor --all


def test_classroom_workflow_runs_tensorgrade_check_per_function():
    yaml = pytest.importorskip("yaml")
    files = student.bundle_files(HW1)
    workflow = yaml.safe_load(files[".github/workflows/classroom.yml"])
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    assert graders and all(s["with"]["command"].startswith("tensorgrade check hw1_storage ") for s in graders)
    reporter = steps[-1]
    assert reporter["with"]["runners"] == ",".join(s["id"] for s in graders)
    assert set(reporter["env"]) == {f"{s['id'].upper()}_RESULTS" for s in graders}
    for step in graders:  # each step's test file exists in the bundle and is worth its max-score
        tests_dir = step["with"]["command"].split("--tests ")[1]
        assert f"{tests_dir}/test_public.py" in files
    total = sum(float(s["with"]["max-score"]) for s in graders)
    tests_source = files["test_public.py"].decode()
    assert total == group_points(tests_source, list(public_tests(tests_source))) > 0


def test_engine_copies_are_the_live_engine_without_hidden_graders():
    files = engine_files(HW1, with_graders=False)
    assert files["autograder/grading/runner.py"] == REPO_DIR / "autograder" / "grading" / "runner.py"
    assert not [p for p in files if "/graders/" in p and not p.endswith(("assignment.toml", "__init__.py"))]
    graded = engine_files(HW1, with_graders=True)
    assert "autograder/graders/hw1_storage/test_storage.py" in graded
    assert not [p for p in graded if "/graders/hw" in p and "/graders/hw1_storage/" not in p]


def test_gradescope_zip_is_deterministic_and_complete(tmp_path, capsys):
    one, two = tmp_path / "one.zip", tmp_path / "two.zip"
    assert main(["release", "gradescope", "hw1_storage", "--out", str(one)]) == 0
    assert main(["release", "gradescope", "hw1_storage", "--out", str(two)]) == 0
    assert one.read_bytes() == two.read_bytes()
    with zipfile.ZipFile(one) as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "tensorgrade/autograder/graders/hw1_storage/test_storage.py" in modes
    assert not [n for n in modes if "solutions" in n or n.startswith("release/")]
    assert subprocess.run(["bash", "-n", "-c", zip_texts(one)["setup.sh"].decode()]).returncode == 0
    assert main(["release", "gradescope", "hw1_storage", "--out", str(tmp_path / "x.tar")]) == 2
    assert "is a .zip file" in capsys.readouterr().out


@pytest.fixture
def open_dir():
    """A world-traversable temporary folder: the sandbox binds the bundle's engine into a worker running as
    nobody, which cannot reach into pytest's own temporary folders (mode 700), as on Gradescope's /autograder."""
    folder = Path(tempfile.mkdtemp(prefix="tensorgrade-gradescope-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def mimic_root(base: Path, bundle: Path, submission: Path | None) -> Path:
    """``base/autograder/{source,submission,results}`` as Gradescope lays them out."""
    root = base / "autograder"
    shutil.rmtree(root, ignore_errors=True)
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    if submission is not None:
        shutil.copy(submission, root / "submission" / submission.name)
    return root


def run_autograder(root: Path) -> tuple[dict, str]:
    env = {**os.environ, "TENSORGRADE_AUTOGRADER_ROOT": str(root), "TENSORGRADE_PYTHON": sys.executable}
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    return results, done.stdout + done.stderr


@pytest.mark.slow
def test_run_autograder_in_a_mimic_root_gives_reference_full_marks_and_stub_zero(tmp_path, open_dir):
    bundle = gradescope.write_gradescope_zip(HW1, tmp_path / "hw1.zip")

    results, log = run_autograder(mimic_root(open_dir, bundle, HW1.solution))
    assert results["max_score"] >= 20 and results["score"] == results["max_score"], log
    assert all(t["status"] == "passed" for t in results["tests"])
    assert f"tensorgrade engine: {open_dir / 'autograder' / 'source'}" in log  # the bundle's copy, not this checkout

    results, log = run_autograder(mimic_root(open_dir, bundle, HW1.stub))
    assert results["score"] == 0 and results["max_score"] >= 20, log
    assert any("not implemented yet" in t["output"] for t in results["tests"])


def test_run_autograder_without_a_submission_still_writes_results(tmp_path):
    bundle = gradescope.write_gradescope_zip(HW1, tmp_path / "hw1.zip")
    root = mimic_root(tmp_path, bundle, None)
    (root / "submission" / "notes.txt").write_text("oops")
    results, _ = run_autograder(root)
    assert results["score"] == 0 and results["tests"] == []
    assert "submit storage.py or storage.ipynb" in results["output"]


def test_find_submission_prefers_the_module_then_a_single_file(tmp_path):
    assert find_submission(tmp_path, "storage") == (None, "submit storage.py or storage.ipynb (found: no .py or "
                                                          ".ipynb file)")
    (tmp_path / "mine.ipynb").write_text("{}")
    path, note = find_submission(tmp_path, "storage")
    assert path == tmp_path / "mine.ipynb" and "expected storage.py" in note
    (tmp_path / "storage.py").write_text("x = 1\n")
    assert find_submission(tmp_path, "storage") == (tmp_path / "storage.py", "")


def test_late_penalty_uses_gradescope_submission_time(tmp_path):
    assert HW1.late.due is not None and HW1.late.penalty_per_day > 0
    created = "2026-12-03T10:00:00.123456789+00:00"  # Gradescope writes nanoseconds
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"created_at": created}))
    results = {"score": 20.0, "max_score": 20.0, "tests": []}
    note = apply_late_penalty(results, HW1, tmp_path)
    days = 2
    assert results["score"] == round(20.0 * (1 - min(days * HW1.late.penalty_per_day, HW1.late.cap)), 4)
    assert note.startswith("Submitted 2 day(s) late")
    on_time = {"score": 20.0}
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"created_at": "2026-11-30T10:00:00+00:00"}))
    assert apply_late_penalty(on_time, HW1, tmp_path) == "" and on_time["score"] == 20.0


def test_setup_sh_installs_the_cpu_torch_build_the_engine_accepts():
    text = gradescope.bundle_files(HW1)["setup.sh"].decode()
    install = next(line for line in text.splitlines() if "--index-url" in line)
    assert "torch>=" in install and "torchvision>=" in install  # the engine's own pins: pip keeps this torch later
    assert 'TORCH_INDEX="${TENSORGRADE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"' in text
    assert text.index("--index-url") < text.index('install -q "$SOURCE/tensorgrade"')


def test_setup_sh_skips_a_python_on_path_that_cannot_serve(tmp_path):
    """A python3.12 that is there but broken (or too old, or without venv) is passed over for one that works."""
    fake = tmp_path / "bin"
    fake.mkdir()
    broken = fake / "python3.12"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    (fake / "python3.11").symlink_to(sys.executable)
    text = gradescope.bundle_files(HW1)["setup.sh"].decode()
    functions = re.search(r"^usable\(\) \{.*?^\}\nfind_python\(\) \{.*?^\}\n", text, re.S | re.M).group(0)
    done = subprocess.run(["/bin/bash", "-c", f"{functions}\nfind_python"], capture_output=True, text=True,
                          env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert done.returncode == 0 and done.stdout.strip() == str(fake / "python3.11")
    (fake / "python3.11").unlink()
    (fake / "python3").symlink_to(broken)
    done = subprocess.run(["/bin/bash", "-c", f"{functions}\nfind_python"], capture_output=True, text=True,
                          env={"PATH": f"{fake}"})
    assert done.returncode == 1 and not done.stdout.strip()


@pytest.mark.slow
def test_release_gradescope_try_runs_the_built_zip_and_prints_results_json(tmp_path, capsys):
    mistake = HW1.mistakes_dir / "row_view_clone.py"
    code = main(["release", "gradescope", "hw1_storage", "--out", str(tmp_path / "hw1.zip"), "--try", str(mistake)])
    out = capsys.readouterr().out
    assert code == 0, out
    printed = json.loads(out[out.index("\n{") + 1: out.rindex("\n}") + 2])
    row_view = next(t for t in printed["tests"] if t["name"].startswith("row_view"))
    assert row_view["score"] == 0 and "copy" in row_view["output"]
    assert 0 < printed["score"] < printed["max_score"]
    root = Path(re.search(r"(\S+)/results/results\.json:", out).group(1))
    assert json.loads((root / "results" / "results.json").read_text()) == printed
    assert (root / "submission" / "row_view_clone.py").is_file() and (root / "source" / "run_autograder").is_file()
    shutil.rmtree(root.parent, ignore_errors=True)


def test_release_gradescope_try_names_a_missing_submission(tmp_path, capsys):
    assert main(["release", "gradescope", "hw1_storage", "--out", str(tmp_path / "x.zip"),
                 "--try", str(tmp_path / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().out
