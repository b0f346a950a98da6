"""The public checks as notebook cells: which public tests belong to which function, and the setup cell.

The checks in a notebook are the assignment's own ``test_public.py`` (one source for
``tensorgrade check`` and for notebooks), run by pytest inside the kernel through
:mod:`release.harness_runtime`, whose source the setup cell embeds together with
``autograder/checks.py``. Nothing here knows a particular assignment.
"""

from __future__ import annotations

import ast
import json

from autograder.assignment import PACKAGE_DIR
from release.answers import EMBEDDED_ENGINE, HARNESS_PATH, student_source, withheld

CHECKS_PATH = PACKAGE_DIR / "checks.py"  # embedded in notebooks as the student edition carries it
# what the embedded harness can stand in for when public tests import from the engine
PROVIDED = {"autograder.checks": None,  # None: every name of the embedded checks module
            "autograder.proxy": {"StudentFault", "StudentError", "StudentTimeout", "StudentCrash", "BadReply", "Call",
                                     "RemoteObject"}}
PROXY_METHODS = {"call", "timed", "has"}  # student.<method>("name", ...) names a function by string
OTHER = "other checks"  # group key of public tests that name no function (a space: never a function name)


class UnsupportedPublicTest(ValueError):
    """A public test uses something a notebook cannot provide."""


def check_imports(tests_source: str, filename: str = "test_public.py") -> None:
    """Refuse engine imports that the notebook harness cannot provide, naming the line."""
    checks_names = _module_names(student_source(CHECKS_PATH))
    hidden = set(withheld(CHECKS_PATH))
    for node in ast.walk(ast.parse(tests_source)):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "autograder" for a in node.names):
            raise UnsupportedPublicTest(f"{filename}:{node.lineno}: use `from autograder.checks import ...`, "
                                        "not `import autograder...` (notebooks embed only the checks)")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "autograder":
            allowed = PROVIDED.get(node.module or "", set())
            if node.module not in PROVIDED:
                raise UnsupportedPublicTest(f"{filename}:{node.lineno}: public tests may import only from "
                                            f"{', '.join(PROVIDED)}, not {node.module}")
            for alias in node.names:
                if node.module == "autograder.checks" and alias.name in hidden:
                    raise UnsupportedPublicTest(
                        f"{filename}:{node.lineno}: {node.module}.{alias.name} answers an exercise, so student "
                        "bundles do not carry it: check the property directly in the test instead")
                known = checks_names if allowed is None else allowed
                if alias.name not in known:
                    raise UnsupportedPublicTest(f"{filename}:{node.lineno}: {node.module}.{alias.name} is not "
                                                "available to notebooks")


def _module_names(source: str) -> set[str]:
    """Top-level names a module defines."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _student_refs(node: ast.AST) -> set[str]:
    """Function names a piece of test code reaches through ``student``."""
    refs: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "student":
            if sub.attr not in PROXY_METHODS | {"trusted", "session"}:
                refs.add(sub.attr)
        if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in PROXY_METHODS
                and isinstance(sub.func.value, ast.Name) and sub.func.value.id == "student" and sub.args
                and isinstance(sub.args[0], ast.Constant) and isinstance(sub.args[0].value, str)):
            refs.add(sub.args[0].value)
    return refs


def _called_names(node: ast.AST) -> set[str]:
    return {sub.func.id for sub in ast.walk(node) if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)}


def public_tests(tests_source: str) -> dict[str, set[str]]:
    """Test id (``test_x`` or ``TestClass::test_x``) -> the student functions it exercises.

    A module-level helper that the test calls counts as part of the test.
    """
    tree = ast.parse(tests_source)
    helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("test")}

    def reach(node: ast.AST, seen: set[str]) -> set[str]:
        refs = _student_refs(node)
        for name in _called_names(node) & helpers.keys() - seen:
            seen.add(name)
            refs |= reach(helpers[name], seen)
        return refs

    tests: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            tests[node.name] = reach(node, set())
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    tests[f"{node.name}::{item.name}"] = reach(item, set())
    return tests


def group_tests(tests_source: str, functions: list[str]) -> dict[str, list[str]]:
    """Function -> its public tests, each test placed after the last function it needs (in notebook order).

    Tests that name no known function land under :data:`OTHER`.
    """
    order = {name: i for i, name in enumerate(functions)}
    groups: dict[str, list[str]] = {}
    for test, refs in public_tests(tests_source).items():
        known = [r for r in refs if r in order]
        key = max(known, key=order.__getitem__) if known else OTHER
        groups.setdefault(key, []).append(test)
    return groups


def points_of(node: ast.FunctionDef) -> float:
    """The ``@pytest.mark.points(n)`` of a test (1 when absent, as in the grader)."""
    for decorator in node.decorator_list:
        if (isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("mark.points")
                and decorator.args and isinstance(decorator.args[0], ast.Constant)):
            return float(decorator.args[0].value)
    return 1.0


def group_points(tests_source: str, tests: list[str]) -> float:
    nodes = {n.name: n for n in ast.parse(tests_source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    total = 0.0
    for test in tests:
        top, _, method = test.partition("::")
        node = nodes.get(top)
        if isinstance(node, ast.ClassDef):
            node = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == method), None)
        total += points_of(node) if isinstance(node, ast.FunctionDef) else 1.0
    return total


def py_literal(text: str) -> str:
    """A readable triple-quoted Python literal that evaluates to ``text`` exactly."""
    body = text.replace("\\", "\\\\").replace("'''", "\\'\\'\\'").replace("\r", "\\r")
    if body.endswith("'"):
        body = body[:-1] + "\\'"
    return "'''" + body + "'''"


def embedded_engine_lines() -> list[str]:
    """Setup-cell lines that load the engine's faults and scoring rule as modules (the harness imports them)."""
    lines = []
    for name, path in EMBEDDED_ENGINE.items():
        lines += [f"_tg_m = _tg_sys.modules[{name!r}] = _tg_types.ModuleType({name!r})",
                  f"exec(compile({py_literal(path.read_text())}, {path.name!r}, 'exec'), _tg_m.__dict__)"]
    return lines


def setup_cell(assignment: str, tests_source: str, groups: dict[str, list[str]]) -> str:
    """Source of the notebook cell that defines ``run_checks`` (run it first)."""
    return "\n".join([
        "# Public checks (generated by tensorgrade: do not edit). Run this cell first; it defines run_checks().",
        "# They call the functions this notebook defines, using pytest; grading itself happens elsewhere.",
        "import sys as _tg_sys, types as _tg_types",
        *embedded_engine_lines(),
        "_tg = _tg_sys.modules['tensorgrade_notebook'] = _tg_types.ModuleType('tensorgrade_notebook')",
        f"exec(compile({py_literal(HARNESS_PATH.read_text())}, 'tensorgrade_notebook.py', 'exec'), _tg.__dict__)",
        f"run_checks = _tg.setup(globals(), assignment={assignment!r}, groups={json.dumps(groups, sort_keys=True)},",
        f"    checks_source={py_literal(student_source(CHECKS_PATH))},",
        f"    tests_source={py_literal(tests_source)})",
        "print('public checks ready: run_checks() runs them all')",
    ])


def check_cell(function: str, strict: bool = False) -> str:
    """Source of the cell that runs one function's public checks."""
    call = f"run_checks({function!r}" + (", strict=True)" if strict else ")")
    return call
