"""The leak check: a planted solution line or hidden-grader snippet fails loudly, naming file and line."""

from __future__ import annotations

import json
import zipfile

import nbformat
import pytest

from autograder.assignment import PACKAGE_DIR, all_assignments, load_assignment
from autograder.cli import main
from autograder.stubs import solution_lines
from release.answers import answering, student_source, withheld, withhold
from release.assignments import expected_files
from release.public_checks import UnsupportedPublicTest, check_imports
from release.verify import (
    AUTOGRADER,
    INSTRUCTOR,
    STUDENT,
    LeakFound,
    scan_files,
    scan_tree,
    secrets,
    verify,
    verify_files,
)

HW1 = load_assignment("hw1_storage")


def student_folder(tmp_path):
    folder = tmp_path / "hw1_storage"
    folder.mkdir()
    for name, text in expected_files(HW1).items():
        (folder / name).write_text(text)
    return folder


def a_grader_line() -> str:
    """A distinctive line of hw1's hidden graders (taken from the file, never hard-coded)."""
    table = secrets().lines["hidden grader"]
    return next(line for line, origin in table.items() if origin.endswith("hw1_storage/test_storage.py"))


def test_clean_student_files_pass(tmp_path):
    assert scan_tree(student_folder(tmp_path)) == []


def test_a_planted_solution_line_fails_naming_file_and_line(tmp_path):
    folder = student_folder(tmp_path)
    line = next(x for x in solution_lines(HW1.solution.read_text()) if x in secrets().lines["solution"])
    stub = folder / "storage.py"
    lines = stub.read_text().splitlines()
    lines.insert(5, f"    {line}")
    stub.write_text("\n".join(lines) + "\n")
    with pytest.raises(LeakFound) as caught:
        verify(folder)
    assert f"storage.py:6: solution text from solutions/hw1_storage/storage.py: {line}" in str(caught.value)
    assert [(leak.file, leak.line, leak.kind) for leak in caught.value.leaks] == [("storage.py", 6, "solution")]


def test_a_hidden_grader_snippet_fails_naming_file_and_line(tmp_path):
    folder = student_folder(tmp_path)
    snippet = a_grader_line()
    (folder / "notes.md").write_text(f"# my notes\n\nfound this somewhere:\n    {snippet}\n")
    leaks = scan_tree(folder)
    assert [(leak.file, leak.line, leak.kind) for leak in leaks] == [("notes.md", 4, "hidden grader")]
    assert "autograder/graders/hw1_storage/test_storage.py" in str(leaks[0])


def test_a_long_secret_is_found_inside_a_longer_line():
    snippet = max(secrets().lines["hidden grader"], key=len)
    leaks = scan_files({"x.py": f"print({snippet!r})  # copied\n".encode()}, STUDENT)
    assert [leak.line for leak in leaks] == [1]


def test_leaks_inside_notebooks_and_zips_name_the_cell_and_the_member(tmp_path):
    line = next(iter(secrets().lines["solution"]))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("intro"),
                                         nbformat.v4.new_code_cell(f"x = 1\n{line}")])
    leaks = scan_files({"storage.ipynb": nbformat.writes(nb).encode()}, STUDENT)
    assert [(leak.file, leak.line) for leak in leaks] == [("storage.ipynb [cell 2]", 2)]
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hw/ok.py", "x = 1\n")
        zipped.writestr("hw/inner.zip", _zip_bytes(tmp_path, {"deep.py": f"\n\n{line}\n"}))
    leaks = scan_tree(archive)
    assert [(leak.file, leak.line) for leak in leaks] == [("bundle.zip!hw/inner.zip!deep.py", 3)]


def _zip_bytes(tmp_path, members: dict[str, str]) -> bytes:
    path = tmp_path / "inner.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        for name, text in members.items():
            zipped.writestr(name, text)
    return path.read_bytes()


def test_policies_allow_what_each_bundle_is_for():
    engine = "\n".join(p.read_text() for p in PACKAGE_DIR.rglob("*.py"))
    solution = next(s for s in secrets().lines["solution"] if s not in engine)
    grader = a_grader_line()
    files = {"a.py": f"{solution}\n".encode(), "b.py": f"{grader}\n".encode()}
    assert {leak.kind for leak in scan_files(files, STUDENT)} == {"solution", "hidden grader"}
    assert {leak.kind for leak in scan_files(files, AUTOGRADER)} == {"solution"}  # Gradescope carries graders
    assert {leak.kind for leak in scan_files(files, INSTRUCTOR)} == {"hidden grader"}  # nbgrader source/ has solutions


def test_layouts_choose_the_policy(tmp_path):
    solution = next(iter(secrets().lines["solution"]))
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    for folder in ("source/hw", "release/hw"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "answer.py").write_text(f"{solution}\n")
    assert [leak.file for leak in scan_tree(tmp_path)] == ["release/hw/answer.py"]


def test_public_text_is_not_a_secret():
    """Lines that also appear in stubs, public tests, instructions or the engine never count as leaks."""
    for assignment in all_assignments():
        files = {name: text.encode() for name, text in expected_files(assignment).items()}
        verify_files(files, STUDENT)


def test_cli_verify_exits_1_and_names_the_leak(tmp_path, capsys):
    from autograder.cli import main

    folder = student_folder(tmp_path)
    assert main(["release", "verify", str(folder)]) == 0
    snippet = a_grader_line()
    (folder / "test_public.py").write_text((folder / "test_public.py").read_text() + f"\n{snippet}\n")
    assert main(["release", "verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "LEAK CHECK FAILED" in out and "test_public.py:" in out and "hidden grader" in out
    assert main(["release", "verify", str(tmp_path / "missing")]) == 2
    json.dumps(str(out))  # printable, no markup left over


def test_engine_functions_that_answer_an_exercise_are_withheld_from_students():
    """checks.same_storage is hw1's answer; expect_view_of answers it through a call: neither ships to students."""
    checks = PACKAGE_DIR / "checks.py"
    assert {"same_storage", "expect_view_of", "expect_not_shared"} <= set(withheld(checks))
    text = student_source(checks)
    assert "untyped_storage().data_ptr() ==" not in text and "shares_memory" not in text
    assert not scan_files({"autograder/checks.py": text.encode()}, STUDENT)
    # the full engine is what the leak check catches in a student bundle (and allows in Gradescope's)
    full = {"autograder/checks.py": checks.read_bytes()}
    assert any(leak.kind == "solution" for leak in scan_files(full, STUDENT))
    assert not scan_files(full, AUTOGRADER)
    namespace: dict = {}
    exec(compile(text, "checks.py", "exec"), namespace)  # still a working module: the rest of the checks are there
    namespace["expect_value"](3, 3, "x")
    with pytest.raises(NotImplementedError, match="would answer an exercise"):
        namespace["same_storage"](1, 2)


def test_withholding_follows_calls_and_keeps_signatures():
    source = ("def answer(x):\n    return x.untyped_storage().data_ptr()  # the solution\n\n\n"
              "def uses(x):\n    return answer(x) + 1\n\n\ndef unrelated(y: int = 2) -> int:\n    return y\n")
    names = answering(source, {"return x.untyped_storage().data_ptr()": "hw"})
    assert names == ["answer", "uses"]
    out = withhold(source, names, "m")
    assert "def uses(x):" in out and "def unrelated(y: int = 2) -> int:" in out and "data_ptr" not in out


def test_public_tests_may_not_import_a_withheld_helper():
    with pytest.raises(UnsupportedPublicTest, match="same_storage answers an exercise"):
        check_imports("from autograder.checks import Mistake, same_storage\n")


def test_student_release_of_every_assignment_leaks_no_solution_line(tmp_path):
    """Every file of every student bundle: engine, notebooks (embedded cells), workflow, zips."""
    assert main(["release", "student", "--all", "--out", str(tmp_path)]) == 0
    table = secrets().lines["solution"]
    for assignment in all_assignments():
        for root in (tmp_path / assignment.name, tmp_path / f"{assignment.name}.zip"):
            assert scan_tree(root) == []
        for path in (tmp_path / assignment.name).rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                assert not [s for s in table if len(s) >= 24 and s in text], path
