"""Golden trees: what the release tool builds for tests/files/<case> must equal tests/files/<case>-correct/.

After an intended change: ``TENSORGRADE_REGEN_GOLDEN=1 pytest tests/test_release_golden.py`` (or
``.venv/bin/python -m release.golden``), then review ``git diff tests/files/``.
"""

from __future__ import annotations

import difflib
import os

import pytest

from release import golden

REGENERATE = os.environ.get("TENSORGRADE_REGEN_GOLDEN") == "1"


def describe_difference(kind: str, built: dict[str, bytes], expected: dict[str, bytes]) -> str:
    missing, extra = sorted(expected.keys() - built.keys()), sorted(built.keys() - expected.keys())
    lines = [f"{kind}: the release differs from its golden tree"]
    lines += [f"  no longer built: {name}" for name in missing] + [f"  new: {name}" for name in extra]
    for name in sorted(built.keys() & expected.keys()):
        if built[name] != expected[name]:
            diff = difflib.unified_diff(expected[name].decode(errors="replace").splitlines(),
                                        built[name].decode(errors="replace").splitlines(),
                                        f"golden/{name}", f"built/{name}", lineterm="", n=2)
            lines += list(diff)[:60]
            break
    lines.append("if the change is intended: TENSORGRADE_REGEN_GOLDEN=1 pytest tests/test_release_golden.py")
    return "\n".join(lines)


@pytest.mark.parametrize("case", golden.CASES)
def test_release_outputs_match_the_golden_trees(case):
    if REGENERATE:
        golden.regenerate(case)
    built = golden.build_case(case)
    for kind in golden.KINDS:
        expected = golden.read_tree(golden.expected_dir(case) / kind)
        assert built[kind] == expected, describe_difference(kind, built[kind], expected)


def test_the_golden_comparison_notices_a_change_in_the_sources(tmp_path, monkeypatch):
    """Honesty check: edit the case's solution and the built tree no longer matches."""
    source = golden.FILES_DIR / "example"
    copy = tmp_path / "example"
    for path in source.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    solution = copy / "solutions" / "example_ops" / "ops.py"
    solution.write_text(solution.read_text().replace('"""``x`` times two', '"""Twice ``x``'))
    expected = golden.read_tree(golden.expected_dir("example") / "student")
    monkeypatch.setattr(golden, "FILES_DIR", tmp_path)
    changed = golden.build_case("example")
    assert changed["student"] != expected
    assert changed["student"]["example_ops/ops.py"].decode().count("Twice ``x``") == 1


def test_engine_copies_are_left_out_of_golden_trees_and_checks_py_is_masked():
    built = golden.build_case("example")
    names = [n for files in built.values() for n in files]
    assert not [n for n in names if n.endswith(("/autograder/grading/runner.py", "/pyproject.toml"))]
    assert "example_ops/.tensorgrade/autograder/graders/example_ops/assignment.toml" in built["student"]
    notebook = built["student"]["example_ops/ops.ipynb"].decode()
    assert "def expect_tensor(" not in notebook and "the engine's autograder/checks.py" in notebook
