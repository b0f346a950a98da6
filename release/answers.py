"""Which engine functions answer an exercise, and the engine's student-safe text without them.

The engine's own helpers can solve exercises: ``autograder.checks.same_storage`` *is* the answer
to hw1's ``same_storage``, and ``expect_view_of`` answers it through a call. Student bundles
(the installable engine in ``.tensorgrade/``, the check cell embedded in every notebook) carry
the engine with every such function replaced by a stub that raises, so no bundle holds one.

A function answers an exercise when it returns what a solution returns (it holds a solution's
``return`` line, as the leak check matches lines), or when it has an exercise's name and holds any
solution line, or when it calls such a function of the same module. A helper that merely shares a
common line with a solution (``buffer = io.BytesIO()``) is not withheld. Nothing here knows a
particular assignment or helper.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

from autograder.assignment import PACKAGE_DIR, all_assignments
from autograder.stubs import solution_lines
from release.assignments import expected_files

HARNESS_PATH = Path(__file__).with_name("harness_runtime.py")
# engine files every notebook's setup cell embeds before the harness, as modules of these names
# (standard library only: a notebook runs where tensorgrade may not be installed)
EMBEDDED_ENGINE = {"tensorgrade_faults": PACKAGE_DIR / "faults.py", "tensorgrade_scoring": PACKAGE_DIR / "scoring.py"}
CONTAINED = 24  # secrets at least this long are found inside longer lines too
MIN_SOLUTION = 8  # shorter solution lines ("pass", "x = 0") say nothing about the answer
TRIVIAL = re.compile(r"^(import |from \S+ import|@pytest\.mark\.|[\w.]+\)?:?$|[)\]}]+[,:]?$|#)")
WITHHELD = ("{name} is not part of the student edition of tensorgrade: it would answer an exercise. "
            "The hidden graders have it; public checks must not use it.")


def _stripped(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def student_lines() -> set[str]:
    """Lines students receive anyway: stubs, instructions, public tests, the notebook harness and what it embeds."""
    lines = _stripped(HARNESS_PATH.read_text())
    for path in EMBEDDED_ENGINE.values():
        lines |= _stripped(path.read_text())
    for assignment in all_assignments():
        for content in expected_files(assignment).values():
            lines |= _stripped(content)
    return lines


def solution_secrets() -> dict[str, str]:
    """Distinctive solution lines of every assignment -> the assignment they answer."""
    public = student_lines()
    secrets: dict[str, str] = {}
    for assignment in all_assignments():
        for line in solution_lines(assignment.solution.read_text()):
            if len(line) >= MIN_SOLUTION and line not in public and not TRIVIAL.match(line):
                secrets.setdefault(line, assignment.name)
    # a secret that public text holds whole (the instructions quote a call) is no secret
    long_public = [line for line in public if len(line) >= CONTAINED]
    return {s: a for s, a in secrets.items() if len(s) < CONTAINED or not any(s in line for line in long_public)}


def _fingerprint() -> tuple:
    paths = [a.solution for a in all_assignments()]
    paths += [a.solution.parent / n for a in all_assignments() for n in ("test_public.py", "INSTRUCTIONS.md")]
    paths += sorted(p for p in PACKAGE_DIR.rglob("*.py") if "graders" not in p.parts)
    return tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.exists())


def _holds(text: str, secrets: dict[str, str]) -> bool:
    """A line equal to a secret, or containing a long one (as the leak check matches)."""
    stripped = text.strip()
    return stripped in secrets or any(len(s) >= CONTAINED and s in stripped for s in secrets)


def exercise_names() -> set[str]:
    """Names of the functions and classes students write, in every assignment."""
    names: set[str] = set()
    for assignment in all_assignments():
        tree = ast.parse(assignment.solution.read_text())
        names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names


def answering(source: str, secrets: dict[str, str], exercises: set[str] = frozenset()) -> list[str]:
    """Top-level functions of a module that answer an exercise (see the module docstring), in source order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returns = {line for line in secrets if line.startswith("return ")}

    def answers(name: str, node: ast.AST) -> bool:
        body = lines[node.lineno - 1:node.end_lineno]
        if name in exercises and any(_holds(line, secrets) for line in body):
            return True
        return any(_holds(line, dict.fromkeys(returns, "")) for line in body)

    bad = {name for name, node in functions.items() if answers(name, node)}
    grew = True
    while grew:  # a function that calls a withheld one answers through it
        calls = {name: {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
                 for name, node in functions.items() if name not in bad}
        more = {name for name, called in calls.items() if called & bad}
        bad |= more
        grew = bool(more)
    return [name for name in functions if name in bad]


def withhold(source: str, names: list[str], module: str) -> str:
    """``source`` with each named top-level function's body replaced by a raise (signature kept)."""
    if not names:
        return source
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in sorted((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and n.name in names), key=lambda n: n.lineno, reverse=True):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        signature = lines[start:node.body[0].lineno - 1]  # decorators and the def line(s), as written
        message = WITHHELD.format(name=f"{module}.{node.name}")
        lines[start:node.end_lineno] = [
            *signature,
            '    """Withheld from the student edition (it would answer an exercise)."""',
            f"    raise NotImplementedError({message!r})",
        ]
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=8)
def _student_text(path: str, fingerprint: tuple) -> tuple[str, tuple[str, ...]]:
    source = Path(path).read_text()
    if not path.endswith(".py"):
        return source, ()
    module = "autograder." + ".".join(Path(path).relative_to(PACKAGE_DIR).with_suffix("").parts)
    names = answering(source, solution_secrets(), exercise_names())
    return withhold(source, names, module), tuple(names)


def student_source(path: Path) -> str:
    """The text of an engine file as the student edition carries it."""
    return _student_text(str(Path(path).resolve()), _fingerprint())[0]


def withheld(path: Path) -> tuple[str, ...]:
    """The functions of an engine file that the student edition withholds."""
    return _student_text(str(Path(path).resolve()), _fingerprint())[1]
