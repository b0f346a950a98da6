"""``tensorgrade grade FILE``: every path writes a results.json, and a grader failure exits 3 with the failure in it."""

from __future__ import annotations

import json

from autograder import exitcodes
from autograder.assignment import load_assignment
from autograder.cli import main
from autograder.grading import runner

HW1 = load_assignment("hw1_storage")


def test_a_grader_that_raises_still_writes_results_and_exits_3(tmp_path, monkeypatch, capsys):
    """Grading the second file raises: the first file's results and the failure are both in results.json."""
    real_grade = runner.grade
    broken = tmp_path / "broken" / "storage.py"
    broken.parent.mkdir()
    broken.write_text(HW1.stub.read_text())

    def grade(assignment, path, **kwargs):
        if path == broken:
            raise MemoryError("the grader ran out of memory")
        return real_grade(assignment, path, **kwargs)

    monkeypatch.setattr(runner, "grade", grade)
    out = tmp_path / "results.json"
    code = main(["grade", "hw1_storage", str(HW1.stub), str(broken), "--json", str(out), "--quiet"])
    assert code == exitcodes.GRADER_ERROR
    first, failed = json.loads(out.read_text())
    assert first["max_score"] > 0 and first["tests"], "the file graded before the failure is kept"
    assert failed["score"] == 0 and failed["tests"] == []
    assert "the grader failed on this submission" in failed["output"]
    assert "MemoryError" in capsys.readouterr().out


def test_results_are_written_after_each_file(tmp_path, monkeypatch):
    """A run stopped after the first file (the grader process killed, say) has that file's results on disk."""
    real_grade = runner.grade
    out = tmp_path / "results.json"
    seen = []

    def grade(assignment, path, **kwargs):
        seen.append(out.exists())
        return real_grade(assignment, path, **kwargs)

    monkeypatch.setattr(runner, "grade", grade)
    assert main(["grade", "hw1_storage", str(HW1.stub), str(HW1.stub), "--json", str(out), "--quiet"]) == 0
    assert seen == [False, True]
    assert len(json.loads(out.read_text())) == 2


def test_a_submission_nested_too_deep_gets_results_not_a_traceback(tmp_path):
    """The real path, no stand-in: a legal expression thousands deep is a problem in results.json."""
    deep = tmp_path / "storage.py"
    deep.write_text("def same_storage(a, b):\n    return " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    out = tmp_path / "results.json"
    assert main(["grade", "hw1_storage", str(deep), "--json", str(out), "--quiet"]) == exitcodes.OK
    results = json.loads(out.read_text())
    assert results["score"] == 0 and "Problem with the submission" in results["output"]


def test_a_missing_file_is_a_usage_error_with_results_saying_so(tmp_path):
    out = tmp_path / "results.json"
    assert main(["grade", "hw1_storage", str(tmp_path / "nope.py"), "--json", str(out)]) == exitcodes.USAGE
    assert "no such file" in json.loads(out.read_text())["output"]
