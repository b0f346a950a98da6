"""The student edition as a student meets it: a fresh venv, the README's commands, the Classroom workflow's steps.

The fresh venv gets the project's installed dependencies as hard links (a student who has torch
already; no multi-GB download at test time), never tensorgrade itself: that comes from exactly the
README's ``pip install ./.tensorgrade``. pip may not reach an index (PIP_NO_INDEX) and builds
with the venv's own setuptools, so nothing downloads.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.assignment import load_assignment
from autograder.cli import main
from release import notebooks
from release.sources import strip_markers

HW1 = load_assignment("hw1_storage")
pytestmark = pytest.mark.slow


def fresh_venv(root: Path) -> Path:
    """A new venv whose site-packages hold hard links of ours, tensorgrade's own files left out."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = Path(subprocess.run([str(root / "bin" / "python"), "-c",
                                  "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    for entry in ours.iterdir():
        if entry.name.startswith(("__editable__", "tensorgrade", "__pycache__")) or entry.suffix == ".egg-link":
            continue
        # hard links cost nothing; across file systems a real copy (slow, but still no download)
        linked = subprocess.run(["cp", "-al", str(entry), str(theirs)], capture_output=True)
        if linked.returncode != 0:
            subprocess.run(["cp", "-a", str(entry), str(theirs)], check=True)
    return root


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> dict:
    """The hw1 bundle, installed into a fresh venv by the README's own commands."""
    root = tmp_path_factory.mktemp("student-edition")
    assert main(["release", "student", "hw1_storage", "--out", str(root / "dist")]) == 0
    bundle = root / "dist" / "hw1_storage"
    venv = fresh_venv(root / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0",
               PIP_DISABLE_PIP_VERSION_CHECK="1", COLUMNS="200")
    commands = readme_commands(bundle / "README.md")
    assert commands[0] == "python -m pip install ./.tensorgrade"
    install = subprocess.run(commands[0], shell=True, cwd=bundle, env=env, capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    return {"bundle": bundle, "env": env, "commands": commands, "venv": venv}


def readme_commands(readme: Path) -> list[str]:
    """The commands of the README's "Check your work" block, comments removed."""
    text = readme.read_text()
    block = re.search(r"## Check your work.*?```bash\n(.*?)```", text, re.S)
    assert block, "the README has no command block under 'Check your work'"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def shell(edition: dict, command: str, cwd: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, cwd=cwd, env={**edition["env"], **(extra_env or {})},
                          capture_output=True, text=True, timeout=600)


def student_folder(edition: dict, tmp_path: Path, module: str | None = None, notebook: bool = False) -> Path:
    """A copy of the bundle as a student leaves it: the module, or the notebook, filled in (or neither)."""
    folder = tmp_path / "repo"
    subprocess.run(["cp", "-a", str(edition["bundle"]), str(folder)], check=True)
    if module is not None:
        (folder / "storage.py").write_text(module)
    if notebook:
        nbformat.write(notebooks.build_notebook(HW1, "solved"), folder / "storage.ipynb")
    return folder


def test_the_installed_engine_is_ours_and_has_no_hidden_grader(edition):
    done = shell(edition, "python -c 'import autograder, os; print(autograder.__file__)'", edition["bundle"])
    assert str(edition["venv"]) in done.stdout
    graders = Path(done.stdout.strip()).parent / "graders" / "hw1_storage"
    assert sorted(p.name for p in graders.iterdir()) == ["assignment.toml"]


def test_readme_check_on_the_stub_runs_every_public_check(edition):
    command = edition["commands"][1]
    assert command == "tensorgrade check hw1_storage storage.py"
    done = shell(edition, command, edition["bundle"])
    assert done.returncode == 1, done.stdout + done.stderr  # checks fail, nothing broke
    assert "score 0 / 4" in done.stdout and "not implemented" in done.stdout
    assert "could not run" not in done.stdout


def test_readme_check_on_a_solved_module_passes_and_says_the_graders_check_more(edition, tmp_path):
    folder = student_folder(edition, tmp_path, module=strip_markers(HW1.solution.read_text()))
    done = shell(edition, edition["commands"][1], folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "score 4 / 4" in done.stdout
    assert "hidden graders check more" in done.stdout and "not your grade" in done.stdout


def test_check_names_a_missing_public_test_folder_instead_of_scoring_zero(edition, tmp_path):
    lonely = tmp_path / "elsewhere"
    lonely.mkdir()
    (lonely / "storage.py").write_text(strip_markers(HW1.solution.read_text()))
    done = shell(edition, "tensorgrade check hw1_storage storage.py", lonely)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no public checks" in done.stdout and "--tests" in done.stdout


def workflow_steps(folder: Path) -> list[dict]:
    return yaml.safe_load((folder / ".github" / "workflows" / "classroom.yml").read_text())["jobs"][
        "run-autograding-tests"]["steps"]


def run_workflow(edition: dict, folder: Path) -> tuple[str, dict[str, tuple[int, float]]]:
    """Run the workflow's own step commands as Actions would: the picked file, and each grader step's (exit, max)."""
    steps = workflow_steps(folder)
    outputs: dict[str, str] = {}
    results: dict[str, tuple[int, float]] = {}
    for step in steps:
        if step.get("id") == "pick":
            out = folder / "github_output"
            done = shell(edition, step["run"], folder, {"GITHUB_OUTPUT": str(out)})
            assert done.returncode == 0, done.stderr
            outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
        elif str(step.get("uses", "")).startswith("classroom-resources/autograding-command-grader"):
            command = step["with"]["command"].replace("${{ steps.pick.outputs.file }}", outputs["file"])
            done = shell(edition, command, folder)
            results[step["id"]] = (done.returncode, float(step["with"]["max-score"]))
    return outputs["file"], results


def test_workflow_sets_up_a_cached_cpu_torch(edition):
    steps = workflow_steps(edition["bundle"])
    python = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip" and python["with"]["cache-dependency-path"] == ".tensorgrade/pyproject.toml"
    torch_step = next(s for s in steps if "torch" in s.get("name", "") and "run" in s)
    assert "nvidia-smi" in torch_step["run"] and "--index-url https://download.pytorch.org/whl/cpu" in torch_step["run"]
    install = next(s for s in steps if "Install tensorgrade" in s.get("name", ""))
    assert install["run"] == edition["commands"][0]  # the README's own install


def test_workflow_checks_the_notebook_of_a_notebook_only_student(edition, tmp_path):
    folder = student_folder(edition, tmp_path, notebook=True)
    picked, results = run_workflow(edition, folder)
    assert picked == "storage.ipynb"
    assert results and all(code == 0 for code, _ in results.values()), results
    assert sum(points for _, points in results.values()) == 4


def test_workflow_checks_the_module_of_a_module_only_student_and_a_mistake_fails_its_step(edition, tmp_path):
    mistake = (HW1.mistakes_dir / "row_view_clone.py").read_text()
    folder = student_folder(edition, tmp_path, module=mistake)
    picked, results = run_workflow(edition, folder)
    assert picked == "storage.py"
    failed = sorted(step for step, (code, _) in results.items() if code != 0)
    assert failed == ["checks-row-view"], results


def test_workflow_on_an_untouched_repository_checks_the_module_stub(edition, tmp_path):
    folder = student_folder(edition, tmp_path)
    nb = nbformat.read(folder / "storage.ipynb", as_version=4)
    nb.metadata["widgets"] = {}  # opened and saved in Jupyter: metadata and outputs do not count as a change
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nbformat.write(nb, folder / "storage.ipynb")
    picked, results = run_workflow(edition, folder)
    assert picked == "storage.py"
    assert all(code == 1 for code, _ in results.values()), results
    assert set(workflow_steps(folder)[-1]["with"]["runners"].split(",")) == set(results)
