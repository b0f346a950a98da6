"""nbgrader and otter exports without the tools (cell metadata, points, config), and the leak check every
release command runs: a planted secret stops each one before anything is handed out."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from autograder.cli import main
from autograder.stubs import solution_lines
from release import gradescope, nbgrader_export, otter_export, student
from release import notebooks as release_notebooks
from release.golden import FILES_DIR, use_sources
from release.public_checks import group_points, public_tests
from release.verify import LeakFound


@pytest.fixture
def case(tmp_path):
    """A private copy of the example case, so a test may plant secrets in it."""
    root = tmp_path / "case"
    shutil.copytree(FILES_DIR / "example", root)
    with use_sources(root) as assignments:
        yield assignments[0], root


def total_public_points(assignment) -> float:
    tests = (assignment.solution.parent / "test_public.py").read_text()
    return group_points(tests, list(public_tests(tests)))


def test_nbgrader_source_notebook_has_solution_cells_and_pointless_locked_checks(case):
    """The check cells are feedback: locked, worth nothing; the points are recorded by --from-nbgrader."""
    assignment, _ = case
    nb = nbformat.from_dict(nbgrader_export.source_notebook(assignment))
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    solution_cells = [c for c, m in zip(nb.cells, meta) if m and m["solution"]]
    assert {m["schema_version"] for m in meta if m} == {3}
    assert len({m["grade_id"] for m in meta if m}) == len([m for m in meta if m])  # unique ids
    assert all("### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in solution_cells)
    assert not [m for m in meta if m and m["grade"]] and total_public_points(assignment) > 0
    one_liner = next(c.source for c in solution_cells if c.source.startswith("def double"))
    assert "    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION" in one_liner
    checks = [c.source for c, m in zip(nb.cells, meta) if m and m["locked"] and "run_checks(" in c.source
              and m["grade_id"].startswith("check-")]
    assert checks and all(s.endswith("strict=True)") for s in checks)
    view = nbgrader_export.student_view(nb)
    secrets = set(solution_lines(assignment.solution.read_text()))
    assert not [line for c in view.cells for line in c.source.splitlines() if line.strip() in secrets]


def test_nbgrader_keeps_a_course_config_it_did_not_write(case, tmp_path):
    assignment, _ = case
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'mine'\n")
    path = nbgrader_export.write_course(assignment, course)
    assert path == course / "source" / "example_ops" / "ops.ipynb"
    assert "course_id = 'mine'" in (course / "nbgrader_config.py").read_text()


def test_otter_master_notebook_structure(case):
    yaml = pytest.importorskip("yaml")
    assignment, _ = case
    nb = otter_export.master_notebook(assignment)
    raws = [c.source for c in nb.cells if c.cell_type == "raw"]
    config = yaml.safe_load(raws[0].removeprefix("# ASSIGNMENT CONFIG"))
    assert config["name"] == "example_ops" and config["tests"]["ok_format"] is True
    questions = [yaml.safe_load(r.removeprefix("# BEGIN QUESTION")) for r in raws if r.startswith("# BEGIN QUESTION")]
    hidden = otter_export.hidden_tests(assignment)  # (key, name, points) from grading the reference now
    public = ["double", "clamp_positive", "scaled_sum", "other_checks"]
    assert [q["name"] for q in questions] == public + [f"tg_{key}" for key, _, _ in hidden]
    assert all(q["points"] == 0 for q in questions[:4])  # public checks: feedback only
    assert sum(q["points"] for q in questions[4:]) == sum(points for _, _, points in hidden) > 0
    assert all(q["check_cell"] is False for q in questions[4:])
    assert config["plugins"] == [{otter_export.PLUGIN: {"assignment": "example_ops",
                                                         "questions": {f"tg_{k}": k for k, _, _ in hidden}}}]
    assert raws.count("# BEGIN SOLUTION") == raws.count("# END SOLUTION") == 3
    assert raws.count("# BEGIN TESTS") == raws.count("# END TESTS") == raws.count("# END QUESTION") == 4 + len(hidden)
    tests = [c.source for c in nb.cells if c.cell_type == "code" and "BEGIN TEST CONFIG" in c.source]
    assert tests[0] == '""" # BEGIN TEST CONFIG\npoints: 0\n""" # END TEST CONFIG\nrun_checks(\'double\', strict=True)'
    placeholders = tests[4:]
    assert all("hidden: true" in t and t.endswith(otter_export.PLACEHOLDER) for t in placeholders)


def test_every_release_command_refuses_a_leaking_bundle(case, tmp_path, capsys, monkeypatch):
    """Text that is only in the hidden graders, or solution code, slipping into what is built stops the build.

    (A line the public tests or instructions share with a grader is public by the instructor's choice, so the
    plant goes in through the builders, as a bug in them would.)"""
    assignment, root = case
    grader_line = "hidden_values = torch.linspace(-1.5, 4.25, steps=11)"
    assert grader_line in (root / "graders" / "example_ops" / "test_ops.py").read_text()
    how_to = release_notebooks.how_to_text
    monkeypatch.setattr(release_notebooks, "how_to_text", lambda a: f"{how_to(a)}\n\n    {grader_line}")

    with pytest.raises(LeakFound, match=r"ops.ipynb \[cell \d+\]:\d+: hidden grader text from .*/test_ops.py"):
        student.write_student_bundle(assignment, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # checked before anything was written
    assert main(["release", "student", "example_ops", "--out", str(tmp_path / "out")]) == 1
    assert "LEAK CHECK FAILED" in capsys.readouterr().out
    for export in (lambda: nbgrader_export.write_course(assignment, tmp_path / "course"),
                   lambda: otter_export.write_master(assignment, tmp_path / "otter")):
        with pytest.raises(LeakFound, match="hidden grader text"):
            export()
    assert not (tmp_path / "course" / "source").exists() and not (tmp_path / "otter").exists()

    solution_line = "return float(SCALE * total)"
    monkeypatch.setattr(gradescope, "readme", lambda a: f"a note\n    {solution_line}\n")
    with pytest.raises(LeakFound, match=r"README.md:2: solution text from solutions/example_ops/ops.py"):
        gradescope.write_gradescope_zip(assignment, tmp_path / "gs.zip")
    assert not (tmp_path / "gs.zip").exists()
