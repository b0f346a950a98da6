"""Round trips through the REAL nbgrader and otter-grader CLIs (in .venv-tools, made by release/tools_env.sh).

nbgrader: generate_assignment -> autograde: the public check cells run in nbgrader's kernel and carry no
points (the points are tensorgrade's: tests/test_channels.py). otter-grader: assign -> run: the public
questions pass on the solved notebook and carry 0 points. The student versions the tools produce pass
the leak check.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import REPO_DIR, load_assignment
from autograder.cli import main
from release.notebooks import segments
from release.public_checks import group_points, public_tests
from release.verify import verify

TOOLS_SCRIPT = REPO_DIR / "release" / "tools_env.sh"
TOOLS = Path(os.environ.get("TENSORGRADE_TOOLS_VENV", REPO_DIR / ".venv-tools"))
HW1 = load_assignment("hw1_storage")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def tools() -> dict[str, str]:
    """The tools venv (created on first use; .ci/run prepares it up front), or a skip saying why not."""
    lock_path = Path(tempfile.gettempdir()) / "tensorgrade-tools-venv.lock"
    with open(lock_path, "w") as lock:  # two xdist workers must not build it at the same time
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = subprocess.run(["bash", str(TOOLS_SCRIPT)], capture_output=True, text=True, timeout=1800)
        except subprocess.TimeoutExpired:
            pytest.skip("nbgrader/otter-grader could not be installed within 30 minutes (release/tools_env.sh)")
    if done.returncode != 0:
        pytest.skip(f"nbgrader/otter-grader could not be installed by release/tools_env.sh: "
                    f"{(done.stdout + done.stderr).strip()[-600:]}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{TOOLS / 'bin'}:{env.get('PATH', '')}"  # nbgrader runs alembic from PATH
    return env


def run(env: dict[str, str], command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{output[-3000:]}"
    return output


def public_points() -> float:
    tests = (HW1.solution.parent / "test_public.py").read_text()
    return group_points(tests, list(public_tests(tests)))


def fill_in(notebook: Path, target: Path) -> None:
    """A student's work: the released notebook with every function cell replaced by the solved one."""
    solved = {s.name: s.code for s in segments(HW1, "solved") if s.name}
    nb = nbformat.read(notebook, as_version=4)
    filled = 0
    for cell in nb.cells:
        for name, code in solved.items():
            if cell.cell_type == "code" and cell.source.lstrip().startswith(f"def {name}("):
                cell.source, filled = code, filled + 1
    assert filled == len(solved)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def test_nbgrader_generate_assignment_and_autograde(tools, tmp_path):
    course = tmp_path / "course"
    assert main(["release", "nbgrader", "hw1_storage", "--course", str(course)]) == 0
    run(tools, ["nbgrader", "generate_assignment", "hw1_storage", "--force"], course)
    released = course / "release" / "hw1_storage" / "storage.ipynb"
    verify(course / "release")  # nbgrader's student version holds no solution and no hidden grader
    assert "raise NotImplementedError()" in released.read_text()

    fill_in(released, course / "submitted" / "alice" / "hw1_storage" / "storage.ipynb")
    (course / "submitted" / "bob" / "hw1_storage").mkdir(parents=True)
    (course / "submitted" / "bob" / "hw1_storage" / "storage.ipynb").write_bytes(released.read_bytes())
    run(tools, ["nbgrader", "autograde", "hw1_storage"], course)
    run(tools, ["nbgrader", "export", "--to", "grades.csv"], course)
    with open(course / "grades.csv", newline="") as handle:
        grades = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(grades["alice"]["max_score"]) == 0  # check cells are feedback; tensorgrade records the points
    # the public checks ran in nbgrader's kernel: they pass on alice's notebook and name bob's missing functions
    def check_errors(student: str) -> list[str]:
        nb = nbformat.read(course / "autograded" / student / "hw1_storage" / "storage.ipynb", as_version=4)
        checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check-")]
        assert checks
        return [o.get("evalue", "") for c in checks for o in c.get("outputs", []) if o.get("output_type") == "error"]

    assert public_points() > 0 and check_errors("alice") == []
    assert check_errors("bob") and all("not implemented" in e for e in check_errors("bob"))


def test_otter_assign_and_run(tools, tmp_path):
    out = tmp_path / "otter"
    assert main(["release", "otter", "hw1_storage", "--out", str(out)]) == 0
    master = out / "otter-master" / "storage.ipynb"
    tools = {**tools, "PYTHONPATH": str(out / "otter-master" / "tensorgrade")}  # the plugin, as otter's image has it
    run(tools, ["otter", "assign", str(master), str(out / "dist")], out)
    student_nb = out / "dist" / "student" / "storage.ipynb"
    verify(out / "dist" / "student")
    (autograder_zip,) = (out / "dist" / "autograder").glob("*.zip")

    def otter_run(submission: Path) -> tuple[float, float]:
        results_dir = submission.parent / "results"
        results_dir.mkdir()
        run(tools, ["otter", "run", "-a", str(autograder_zip), "-o", str(results_dir), str(submission)],
            submission.parent)
        tests = json.loads((results_dir / "results.json").read_text())["tests"]
        scored = [t for t in tests if "max_score" in t]
        public_results.extend(t for t in scored if not t["name"].startswith("tg_"))
        return sum(t["score"] for t in scored), sum(t["max_score"] for t in scored)

    public_results: list[dict] = []

    fill_in(student_nb, tmp_path / "solved" / "storage.ipynb")
    solved = otter_run(tmp_path / "solved" / "storage.ipynb")
    assert solved[1] > public_points() > 0  # the maximum is the hidden graders' (scored: tests/test_channels.py)
    assert public_results and all(t["max_score"] == 0 for t in public_results)
    assert not [t for t in public_results if "FAIL" in t.get("output", "") or "Error" in t.get("output", "")]
    master_text = master.read_text()
    assert "hidden: true" in master_text and "def test_shares_storage_quiz(" not in master_text  # no grader code
