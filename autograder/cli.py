"""The ``tensorgrade`` command: one sub-command per verb, each in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys

from autograder import exitcodes
from autograder.assignment import UnknownAssignment
from autograder.course import COURSE_ENV, CourseError, use_course

# verb modules, in the order --help lists them; each has add_parser() and run()
VERBS = ("autograder.commands.demo", "autograder.commands.check", "autograder.commands.init",
         "autograder.commands.new", "autograder.commands.grade", "autograder.commands.report",
         "autograder.commands.export", "autograder.commands.doctor", "autograder.commands.mutants",
         "release.cli")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tensorgrade",
        description="Graded PyTorch exercises and the autograder that scores them. Student code runs in "
                    "a sandboxed worker process; scores are decided only in the grader.",
        epilog="Start with `tensorgrade demo`. Students: `tensorgrade check hw1_storage storage.py`.")
    subparsers = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for name in VERBS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # a bundle's copy of the engine ships without the release package: skip its verbs, nothing else
            if exc.name not in (name, name.partition(".")[0]):
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
