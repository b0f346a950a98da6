"""Benchmark 1: tensorgrade vs ``nbgrader autograde`` vs ``otter run`` on the same 20 hw1 notebook submissions.

    .venv/bin/python benchmarks/vs_nbgrader_otter.py [--count 20]

Needs the tools venv (``release/tools_env.sh`` makes .venv-tools with nbgrader 0.9.6 and otter-grader
7.0.0). The exports come from ``release.nbgrader_export`` and ``release.otter_export`` and are built
with the real ``nbgrader generate_assignment`` and ``otter assign`` (set-up, not timed). Every student's
answers (functions taken from the reference, the realistic mistakes and the stub, see
:mod:`benchmarks.classes`) go into each tool's own notebook format; tensorgrade grades the nbgrader
notebooks. Timed, each as one command line from start to end: ``tensorgrade grade`` of the class
folder with 1 and with 2 workers, ``nbgrader autograde`` of the course (serial, its only mode), and
``otter run`` of each notebook in turn (``otter grade`` needs Docker). nbgrader and otter run the
public checks of the export; tensorgrade runs the hidden graders, which check more.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402
from benchmarks.classes import plan  # noqa: E402

TOOLS = Path(os.environ.get("TENSORGRADE_TOOLS_VENV", ROOT / ".venv-tools"))
TARGET = 10.0


def functions_of(source: str) -> dict[str, str]:
    """Top-level function name → its source text."""
    tree = ast.parse(source)
    return {node.name: ast.get_source_segment(source, node) for node in tree.body
            if isinstance(node, ast.FunctionDef)}


def fill(template: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The template notebook with each function's cell holding this student's version of it."""
    nb = nbformat.from_dict(template)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name, code in answers.items():
            if cell.source.lstrip().startswith(f"def {name}("):
                cell.source = code
                cell.outputs, cell.execution_count = [], None
    return nb


def tool(name: str) -> str:
    return str(TOOLS / "bin" / name)


def run(command: list[str], cwd: Path, what: str) -> float:
    env = {**os.environ, "PATH": f"{TOOLS / 'bin'}:{os.environ['PATH']}"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        sys.exit(f"{what} failed ({done.returncode}): {' '.join(command)}\n{output}")
    return seconds


def full_marks(tmp: Path, setup: dict) -> dict[str, str]:
    """How many submissions each grader gave full marks (a check that every tool really graded them)."""
    import csv
    import json

    from autograder.gradebook import open_gradebook

    out = {}
    for jobs in (1, 2):
        with open_gradebook(f"sqlite:///{tmp / f'ours-{jobs}.sqlite'}") as gradebook:
            rows = gradebook.submissions("hw1_storage")
            out[f"tensorgrade --jobs {jobs}"] = f"{sum(r.score == r.max_score for r in rows)}/{len(rows)}"
    run([tool("nbgrader"), "export", "--to", "grades.csv"], setup["course"], "nbgrader export")
    with open(setup["course"] / "grades.csv") as handle:
        rows = list(csv.DictReader(handle))
    out["nbgrader autograde"] = f"{sum(float(r['score']) == float(r['max_score']) for r in rows)}/{len(rows)}"
    results = [json.loads(p.read_text()) for p in sorted(setup["otter_subs"].glob("*/results.json"))]
    scores = [(sum(t.get("score") or 0 for t in r["tests"]), sum(t.get("max_score") or 0 for t in r["tests"]))
              for r in results]
    out["otter run"] = f"{sum(s == m for s, m in scores)}/{len(scores)}"
    return out


def set_up(tmp: Path, count: int) -> dict:
    """Build the nbgrader course, the otter autograder and the class in each format."""
    from release.nbgrader_export import write_course
    from release.otter_export import write_master

    hw1 = load_assignment("hw1_storage")
    course = tmp / "nbgrader"
    write_course(hw1, course)
    run([tool("nbgrader"), "generate_assignment", hw1.name, "--force"], course, "nbgrader generate_assignment")
    otter_dir = tmp / "otter"
    master = write_master(hw1, otter_dir)
    run([tool("otter"), "assign", str(master), "dist"], otter_dir, "otter assign")
    autograder_zip = next((otter_dir / "dist" / "autograder").glob("*.zip"))
    nbgrader_template = nbformat.read(course / "source" / hw1.name / "storage.ipynb", as_version=4)
    otter_template = nbformat.read(otter_dir / "dist" / "autograder" / "storage.ipynb", as_version=4)
    ours = tmp / "ours"
    otter_subs = tmp / "otter-submissions"
    otter_subs.mkdir()
    kinds = {}
    for n, (kind, source) in enumerate(plan(hw1, count)):
        student = f"s{n:03d}"
        answers = functions_of(source)
        answers = {k: f"# {student}\n{v}" for k, v in answers.items()}  # distinct files (batch dedups identical ones)
        nb = fill(nbgrader_template, answers)
        for folder in (course / "submitted" / student / hw1.name, ours / student):
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / "storage.ipynb")
        nbformat.write(fill(otter_template, answers), otter_subs / f"{student}.ipynb")
        kinds[student] = kind
    return {"course": course, "ours": ours, "otter_zip": autograder_zip, "otter_subs": otter_subs, "kinds": kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    if not (TOOLS / "bin" / "nbgrader").exists() or not (TOOLS / "bin" / "otter").exists():
        sys.exit(f"no nbgrader/otter in {TOOLS}: run release/tools_env.sh first")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="tensorgrade-vs-") as name:
        tmp = Path(name)
        setup = set_up(tmp, args.count)
        n = args.count
        seconds = {}
        for jobs in (1, 2):
            db = f"sqlite:///{tmp / f'ours-{jobs}.sqlite'}"
            seconds[f"tensorgrade --jobs {jobs}"] = run(
                [sys.executable, "-m", "autograder.cli", "grade", "hw1_storage", str(setup["ours"]), "--db", db,
                 "--jobs", str(jobs), "--quiet"], ROOT, "tensorgrade grade")
            print(f"  tensorgrade --jobs {jobs}: {seconds[f'tensorgrade --jobs {jobs}']:.1f} s", flush=True)
        seconds["nbgrader autograde"] = run([tool("nbgrader"), "autograde", "hw1_storage"], setup["course"],
                                            "nbgrader autograde")
        print(f"  nbgrader autograde: {seconds['nbgrader autograde']:.1f} s", flush=True)
        started = time.perf_counter()
        for notebook in sorted(setup["otter_subs"].glob("*.ipynb")):
            out = setup["otter_subs"] / notebook.stem
            out.mkdir()
            run([tool("otter"), "run", "-a", str(setup["otter_zip"]), "-o", str(out), str(notebook)], tmp, "otter run")
        seconds["otter run"] = time.perf_counter() - started
        print(f"  otter run: {seconds['otter run']:.1f} s", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        marks = full_marks(tmp, setup)
        expected = sum(kind == "correct" for kind in setup["kinds"].values())
    ours = seconds["tensorgrade --jobs 2"]
    print(f"\n{'grader':22} {'total s':>8} {'s/submission':>13} {'vs tensorgrade -j2':>19}  full marks "
          f"(expected {expected}/{n})")
    for key, value in seconds.items():
        print(f"{key:22} {value:8.1f} {value / n:13.2f} {value / ours:18.1f}x  {marks[key]}")
    for other in ("nbgrader autograde", "otter run"):
        for jobs in (1, 2):
            ratio = seconds[other] / seconds[f"tensorgrade --jobs {jobs}"]
            verdict = "met" if ratio >= TARGET else f"MISSED by {TARGET / ratio:.2f}x"
            print(f"throughput vs {other}, tensorgrade --jobs {jobs}: {ratio:.1f}x (target {TARGET:g}x: {verdict})")


if __name__ == "__main__":
    main()
