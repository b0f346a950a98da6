"""Splitting a solution module into notebook cells and INSTRUCTIONS.md into sections; the public-check plan."""

from __future__ import annotations

import pytest

from release import public_checks
from release.classroom import slice_tests
from release.golden import FILES_DIR
from release.sources import function_names, instruction_sections, split_module, strip_markers

EXAMPLE = FILES_DIR / "example" / "solutions" / "example_ops"


def test_split_module_keeps_definitions_whole_with_their_comments_and_markers():
    source = (EXAMPLE / "ops.py").read_text()
    parts = split_module(source)
    assert [p.name for p in parts] == [None, "double", "clamp_positive", "scaled_sum", "Accumulator"]
    assert parts[0].code.startswith("from __future__ import annotations")  # the module docstring is dropped
    assert "# how much scaled_sum multiplies by\nSCALE = 2.0  # SOLUTION" in parts[0].code
    assert parts[2].code.endswith("    # END SOLUTION")  # the indented end marker stays in its function
    assert parts[2].signature == "clamp_positive(x: torch.Tensor) -> torch.Tensor"
    assert parts[4].signature == "class Accumulator"
    # nothing is lost or duplicated: the cells put back together are the module without its docstring
    body = source.split('"""', 2)[2].strip("\n")
    assert "\n\n\n".join(p.code for p in parts) == body.rstrip("\n")


def test_decorators_and_plain_statements_between_definitions():
    source = ("import functools\n\n\n@functools.cache\ndef a():\n    return 1\n\n\nX = a()\nY = 2\n\n\n"
              "def b():\n    pass\n")
    parts = split_module(source)
    assert [p.name for p in parts] == [None, "a", None, "b"]
    assert parts[1].code.startswith("@functools.cache")
    assert parts[2].code == "X = a()\nY = 2"
    assert function_names(source) == ["a", "b"]


def test_strip_markers_leaves_runnable_solution_code():
    stripped = strip_markers((EXAMPLE / "ops.py").read_text())
    assert "SOLUTION" not in stripped
    assert "SCALE = 2.0\n" in stripped and "    return x * 2\n" in stripped
    namespace: dict = {}
    exec(compile(stripped, "ops.py", "exec"), namespace)  # noqa: S102 - our own fixture
    assert namespace["scaled_sum"](__import__("torch").tensor([1.0, 2.0])) == 6.0


def test_instruction_sections_split_at_headings_outside_code_fences():
    sections = instruction_sections((EXAMPLE / "INSTRUCTIONS.md").read_text())
    assert [s.heading for s in sections] == ["example_ops: tiny tensor operations", "The functions", "Hints"]
    assert "## not a heading" in sections[1].text


def test_public_tests_are_grouped_under_the_last_function_they_use():
    tests = (EXAMPLE / "test_public.py").read_text()
    refs = public_checks.public_tests(tests)
    assert refs["test_scaled_sum"] == {"scaled_sum"}  # found through the helper sum_of
    assert refs["test_double_then_clamp"] == {"double", "clamp_positive"}
    groups = public_checks.group_tests(tests, ["double", "clamp_positive", "scaled_sum", "Accumulator"])
    assert groups == {"double": ["test_double"], "clamp_positive": ["test_clamp_positive", "test_double_then_clamp"],
                      "scaled_sum": ["test_scaled_sum"], public_checks.OTHER: ["test_torch_is_there"]}
    assert public_checks.group_points(tests, groups["clamp_positive"]) == 3.0  # 2 + the default 1


@pytest.mark.parametrize("line, message", [
    ("import autograder.proxy", "not `import autograder"),
    ("from autograder.grading.plugin import Credit", "only from autograder.checks, autograder.proxy"),
    ("from autograder.proxy import Session", "autograder.proxy.Session is not available"),
    ("from autograder.checks import no_such_check", "no_such_check is not available"),
])
def test_public_tests_may_import_only_what_notebooks_provide(line, message):
    with pytest.raises(public_checks.UnsupportedPublicTest, match=message) as caught:
        public_checks.check_imports(f"import torch\n{line}\n", "solutions/hw/test_public.py")
    assert "solutions/hw/test_public.py:2" in str(caught.value)


def test_py_literal_round_trips_awkward_text():
    for text in ["plain", "ends with a quote'", "'''triple''' and \\backslash\\n", "tab\tcr\r\nend\\"]:
        assert eval(public_checks.py_literal(text)) == text  # noqa: S307 - our own literal


def test_slice_tests_keeps_helpers_and_drops_other_tests():
    tests = (EXAMPLE / "test_public.py").read_text()
    sliced = slice_tests(tests, ["test_scaled_sum"])
    assert "def sum_of(" in sliced and "def test_scaled_sum(" in sliced
    assert "def test_double(" not in sliced and "@pytest.mark.points(1)" not in sliced
    compile(sliced, "sliced.py", "exec")
