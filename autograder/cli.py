"""The ``tensorgrade`` command: one sub-command per verb, each in its own module.

The engine's verbs are :data:`VERBS`; other packages add theirs through the ``tensorgrade.commands``
entry point group (the release tool registers ``release`` in pyproject.toml), so the engine never
imports them by name and a bundle's copy of the engine, installed without them, simply lacks them.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys

from autograder import exitcodes
from autograder.assignment import UnknownAssignment
from autograder.course import COURSE_ENV, CourseError, use_course

# verb modules, in the order --help lists them; each has add_parser() and run()
VERBS = ("autograder.commands.demo", "autograder.commands.check", "autograder.commands.init",
         "autograder.commands.new", "autograder.commands.grade", "autograder.commands.report",
         "autograder.commands.export", "autograder.commands.doctor", "autograder.commands.mutants")
VERB_GROUP = "tensorgrade.commands"  # entry points: name = "module with add_parser() and run()"
COURSE_HELP = (f"the course folder (default: ${COURSE_ENV}, else the nearest course.toml above the working "
               "directory, else the bundled course)")


def add_course_option(parser: argparse.ArgumentParser) -> None:
    """``--course DIR`` on every verb and sub-verb, wherever it is written on the line.

    A verb with a ``--course`` of its own (``release nbgrader --course``: nbgrader's folder) keeps it.
    """
    if "--course" not in parser._option_string_actions:
        parser.add_argument("--course", metavar="DIR", dest="tg_course", default=argparse.SUPPRESS,
                            help=COURSE_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                add_course_option(sub)


def registered_verbs() -> tuple[str, ...]:
    """Modules that installed packages registered as verbs (entry point group ``tensorgrade.commands``).

    Every distribution found is read, not only the first of each name: a checkout's stale
    ``*.egg-info`` on the path must not hide the installed metadata.
    """
    return tuple(sorted({ep.value for dist in importlib.metadata.distributions() for ep in dist.entry_points
                         if ep.group == VERB_GROUP}))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tensorgrade",
        description="Graded PyTorch exercises and the autograder that scores them. Student code runs in "
                    "a sandboxed worker process; scores are decided only in the grader.",
        epilog="Start with `tensorgrade demo`. Students: `tensorgrade check hw1_storage storage.py`.")
    subparsers = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for name in VERBS + registered_verbs():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # registered by a distribution whose package is not importable here: skip its verbs, nothing else
            if exc.name not in (name, name.partition(".")[0]) or name in VERBS:
                raise
            continue
        module.add_parser(subparsers)
    add_course_option(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return exitcodes.USAGE
    try:
        if getattr(args, "needs_course", True):  # init makes a course: it must not look for one
            use_course(getattr(args, "tg_course", None))
        return args.run(args)
    except (UnknownAssignment, CourseError) as exc:
        print(f"tensorgrade: {exc.args[0]}", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        print("tensorgrade: interrupted; grades already recorded are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
