"""``tensorgrade new HW``: add an assignment to a course, with a grader skeleton that already grades three ways."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder import exitcodes
from autograder.commands.init import assignment_table, toml_string
from autograder.course import COURSE_FILE, find_course

NAME = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
MISTAKE = "row_sums_over_columns"

SOLUTION = '''"""{title}: fill in each function below; `tensorgrade check {name} {module}.py` runs the public checks."""

import torch


def row_sums(x: torch.Tensor) -> torch.Tensor:
    """The sum of each row of the 2-D tensor ``x``: a tensor of shape ``(rows,)``."""
    # BEGIN SOLUTION
    return x.sum(dim=1)
    # END SOLUTION


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """``x`` multiplied by ``factor``, as a new tensor; ``x`` itself stays unchanged."""
    # BEGIN SOLUTION
    return x * factor
    # END SOLUTION
'''

MISTAKE_CODE = '''"""A realistic mistake: row_sums adds up the columns (dim=0) instead of the rows."""

import torch


def row_sums(x: torch.Tensor) -> torch.Tensor:
    return x.sum(dim=0)


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x * factor
'''

INSTRUCTIONS = '''# {title}

Hand in `{module}.py` with these functions filled in. Check your work with
`tensorgrade check {name} {module}.py`: the public checks try a few cases; the hidden graders try more.

## row_sums

`row_sums(x)` returns the sum of each row of a 2-D tensor: shape `(rows,)`.

## scale

`scale(x, factor)` returns `x * factor` as a new tensor and leaves `x` unchanged.
'''

PUBLIC_TESTS = '''"""Public checks for {name}: run them with `tensorgrade check {name} {module}.py`."""

import pytest
import torch

from autograder.checks import expect_tensor


@pytest.mark.points(1)
def test_row_sums_example(student):
    """row_sums on a small example"""
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expect_tensor(student.row_sums(x), torch.tensor([6.0, 15.0]), "row_sums([[1, 2, 3], [4, 5, 6]])")


@pytest.mark.points(1)
def test_scale_example(student):
    """scale on a small example"""
    expect_tensor(student.scale(torch.ones(3), 2.0), torch.full((3,), 2.0), "scale(torch.ones(3), 2.0)")
'''

GRADERS = '''"""Hidden graders for {name}. Expected values are computed here, never in the worker.

Each test reaches the submission only through ``student`` (calls into the sandboxed worker), is worth
``@pytest.mark.points(n)``, and gives partial credit per case with ``credit``. Raise ``Mistake`` with
feedback that names the mistake; ``tensorgrade demo {name}`` grades the solution, the stub and
solutions/{name}/mistakes/.
"""

from __future__ import annotations

import pytest
import torch

from autograder.checks import Mistake, expect_tensor, expect_type, expect_unchanged


def grid(rows: int, cols: int) -> torch.Tensor:
    """Distinct values, so a wrong row or a transpose cannot pass by accident."""
    return torch.arange(rows * cols, dtype=torch.float32).reshape(rows, cols) * 1.5 - 4


@pytest.mark.points(2)
def test_row_sums(student, credit):
    """row_sums adds up each row"""
    for rows, cols in ((3, 4), (2, 5), (1, 7)):
        with credit.case(f"a {{rows}}x{{cols}} tensor"):
            x = grid(rows, cols)
            result = student.row_sums(x)
            if type(result) is torch.Tensor and tuple(result.shape) == (cols,):
                raise Mistake(f"row_sums of a {{rows}}x{{cols}} tensor has one value per column: sum over "
                              "dim=1 (along each row), not dim=0")
            expect_tensor(result, x.sum(dim=1), f"row_sums(a {{rows}}x{{cols}} tensor)")


@pytest.mark.points(2)
def test_scale(student, credit):
    """scale multiplies by the factor and leaves x unchanged"""
    for factor in (2.0, -0.5, 0.0):
        with credit.case(f"factor {{factor}}"):
            x = grid(3, 4)
            call = student.call("scale", x, factor)
            expect_tensor(call.result, x * factor, f"scale(x, {{factor}})")
            expect_type(call.args[0], torch.Tensor, "x after the call")
            expect_unchanged(call.args[0], x, "x")
'''

ASSIGNMENT_TOML = '''title = {title}
module = "{module}"
call_timeout = 10  # seconds one call into the submission may take
'''


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new", help="add an assignment to the course, with a grader skeleton that already works",
        description="Add an assignment to the course: solutions/HW/<module>.py (the solution, with "
                    "# BEGIN/END SOLUTION markers), INSTRUCTIONS.md, test_public.py, one example mistake, "
                    "graders/HW/ (assignment.toml and hidden graders), assignments/HW/ (the student stub), and "
                    "its table in course.toml. The skeleton already grades the solution full, the stub 0 and "
                    "the mistake with exactly its points lost: replace its two functions with yours.",
        epilog="Then: tensorgrade demo HW; tensorgrade release assignments HW; tensorgrade release student HW")
    parser.add_argument("name", metavar="HW", help="the assignment's name, e.g. hw6_attention")
    parser.add_argument("--module", help="the file students hand in, without .py (default: HW without its "
                                         "hwN_ prefix, e.g. attention)")
    parser.add_argument("--title", help="the assignment's title (default: from its name)")
    parser.set_defaults(run=run)


def default_module(name: str) -> str:
    module = re.sub(r"^hw\d+_", "", name)
    return module if module.isidentifier() else name


def run(args: argparse.Namespace) -> int:
    console = Console(soft_wrap=True)
    course = find_course()
    if course.root is None:
        console.print("[red]not in a course folder[/]: create one with `tensorgrade init DIR`, then run this "
                      "inside it (or pass --course DIR)")
        return exitcodes.USAGE
    name = args.name
    if not NAME.match(name):
        console.print(f"[red]{escape(name)!r} cannot name an assignment[/]: use lower-case letters, digits and "
                      "_, starting with a letter (e.g. hw6_attention)")
        return exitcodes.USAGE
    module = args.module or default_module(name)
    if not module.isidentifier() or module.startswith("test"):
        console.print(f"[red]{escape(module)!r} cannot name the module[/]: a Python identifier not starting "
                      "with test (e.g. --module attention)")
        return exitcodes.USAGE
    taken = [part for part in ("solutions", "graders", "assignments") if (course.root / part / name).exists()]
    if taken or name in course.section("assignments"):
        where = ", ".join(f"{p}/{name}" for p in taken) or f"[assignments.{name}] in {COURSE_FILE}"
        console.print(f"[red]{escape(name)} already exists[/] in this course ({escape(where)})")
        return exitcodes.USAGE
    title = args.title or name.replace("_", " ").capitalize()
    fields = {"name": name, "module": module, "title": title}
    solution_dir = course.root / "solutions" / name
    graders_dir = course.root / "graders" / name
    files = {
        solution_dir / f"{module}.py": SOLUTION.format(**fields),
        solution_dir / "INSTRUCTIONS.md": INSTRUCTIONS.format(**fields),
        solution_dir / "test_public.py": PUBLIC_TESTS.format(**fields),
        solution_dir / "mistakes" / f"{MISTAKE}.py": MISTAKE_CODE,
        graders_dir / "assignment.toml": ASSIGNMENT_TOML.format(title=toml_string(title), module=module),
        graders_dir / f"test_{module}.py": GRADERS.format(**fields),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    stub_written = write_student_files(course.root, name)
    config = course.root / COURSE_FILE
    text = config.read_text(encoding="utf-8")
    config.write_text(text.rstrip("\n") + "\n\n" + "\n".join(assignment_table(name)))
    console.print(f"added {escape(name)} to {escape(course.name)}: hand-in file {escape(module)}.py")
    for path in files:
        console.print(f"  wrote {escape(str(path.relative_to(course.root)))}")
    if stub_written:
        console.print(f"  wrote assignments/{escape(name)}/ (the stub, instructions and public checks students get)")
    console.print(f"next: edit solutions/{name}/{module}.py and graders/{name}/test_{module}.py, set its due date in "
                  f"{COURSE_FILE}, then `tensorgrade demo {name}` and `tensorgrade release assignments {name}`")
    return exitcodes.OK


def write_student_files(root: Path, name: str) -> bool:
    """Generate assignments/<name>/ through the ``release`` verb, where a package registered one.

    The engine never imports the release tool by name (it registers its verbs; a bundle's engine
    copy has none), so this goes through the command line's registry, exactly as a user would.
    """
    import contextlib
    import io

    from autograder import cli

    if not any(verb.startswith("release.") for verb in cli.registered_verbs()):
        return False
    with contextlib.redirect_stdout(io.StringIO()):  # its "wrote ..." lines: summarised by our caller
        return cli.main(["release", "assignments", name, "--course", str(root)]) == exitcodes.OK
