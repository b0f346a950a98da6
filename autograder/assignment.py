"""Where an assignment's parts live in its course, and its settings (``graders/<hw>/assignment.toml`` + course.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# the bundled course's layout lives in course.py (which must not import this module); re-exported here
from autograder.course import (  # noqa: F401 - re-exported paths
    ASSIGNMENTS_DIR,
    GRADERS_DIR,
    PACKAGE_DIR,
    REPO_DIR,
    SOLUTIONS_DIR,
    Course,
    CourseError,
    find_course,
    parse_extension,
    parse_moment,
)
from autograder.late import LatePolicy


class UnknownAssignment(LookupError):
    """No assignment of that name."""


@dataclass(frozen=True)
class Assignment:
    """One assignment: its module name, its files, its limits, its course settings."""

    name: str
    title: str
    module: str
    call_timeout: float = 10.0
    worker_cpu_seconds: int = 600
    late: LatePolicy = field(default_factory=LatePolicy)
    extra: dict = field(default_factory=dict)
    course_root: Path | None = None  # None: the bundled course (paths read when used: tests repoint them)
    points: float | None = None  # the total the LMS sees; scores are scaled to it
    test_points: Mapping[str, float] = field(default_factory=dict)  # grader test function -> its worth

    def _dir(self, part: str) -> Path:
        if self.course_root is None:
            return {"graders": GRADERS_DIR, "solutions": SOLUTIONS_DIR, "assignments": ASSIGNMENTS_DIR}[part]
        return self.course_root / part

    @property
    def graders_dir(self) -> Path:
        return self._dir("graders") / self.name

    @property
    def solution(self) -> Path:
        return self._dir("solutions") / self.name / f"{self.module}.py"

    @property
    def stub(self) -> Path:
        return self._dir("assignments") / self.name / f"{self.module}.py"

    @property
    def public_tests_dir(self) -> Path:
        return self._dir("assignments") / self.name

    @property
    def mistakes_dir(self) -> Path:
        """Realistic wrong submissions, used by the demo and by the tests."""
        return self._dir("solutions") / self.name / "mistakes"


def assignment_names(course: Course | None = None) -> list[str]:
    course = course or find_course()
    return [p.parent.name for p in sorted(course.graders_dir.glob("*/assignment.toml"))]


def all_assignments(course: Course | None = None) -> list[Assignment]:
    """Every assignment of the course (default: the current one) with a grader folder, in name order."""
    course = course or find_course()
    return [load_assignment(name, course) for name in assignment_names(course)]


def load_assignment(name: str, course: Course | None = None) -> Assignment:
    """Read ``graders/<name>/assignment.toml`` of the course (default: the current one), with course.toml's settings."""
    course = course or find_course()
    config_path = course.graders_dir / name / "assignment.toml"
    if not config_path.is_file():
        known = ", ".join(assignment_names(course)) or "none yet: add one with `tensorgrade new <hw>`"
        where = "" if course.bundled else f" in the course at {course.root}"
        raise UnknownAssignment(f"no assignment named {name!r}{where} (known: {known})")
    try:
        config = tomllib.loads(config_path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{config_path}: {exc}") from exc
    if "module" not in config:
        raise CourseError(f"{config_path}: no `module = \"...\"` (the name of the file students hand in)")
    settings = course.assignment_settings(name)
    policy = _late_policy(config.pop("late", {}), course, settings, f"{course.root}/course.toml [assignments.{name}]")
    known_keys = {"title", "module", "call_timeout", "worker_cpu_seconds"}
    points = settings.get("points")
    test_points = settings.get("test_points", {})
    if points is not None and (isinstance(points, bool) or not isinstance(points, int | float) or points <= 0):
        raise CourseError(f"course.toml [assignments.{name}] points must be a positive number, not {points!r}")
    if not isinstance(test_points, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in test_points.values()):
        raise CourseError(f"course.toml [assignments.{name}] test_points must map test names to points")
    return Assignment(
        name=name,
        title=str(settings.get("title") or config.get("title", name)),
        module=config["module"],
        call_timeout=float(config.get("call_timeout", 10.0)),
        worker_cpu_seconds=int(config.get("worker_cpu_seconds", 600)),
        late=policy,
        extra={k: v for k, v in config.items() if k not in known_keys},
        course_root=course.root,
        points=float(points) if points is not None else None,
        test_points={str(k): float(v) for k, v in test_points.items()},
    )


def _late_policy(own: dict, course: Course, settings: dict, what: str) -> LatePolicy:
    """assignment.toml's [late], then course.toml's [late] defaults, then [assignments.<hw>]: the last one wins."""
    late: dict = {**own}
    if course.section("late"):
        late.update({k: v for k, v in course.section("late").items() if k in ("penalty_per_day", "cap")})
    chosen = settings.get("late")
    if chosen in ("none", False):
        late.update(penalty_per_day=0.0, cap=0.0)
    elif isinstance(chosen, dict):
        late.update(chosen)
    elif chosen is not None:
        raise CourseError(f"{what}: late must be \"none\" or {{ penalty_per_day = 0.1, cap = 0.5 }}, not {chosen!r}")
    if "due" in settings:
        late["due"] = settings["due"]
    due = parse_moment(late["due"], f"{what} due") if late.get("due") else None
    extensions = settings.get("extensions", {})
    if not isinstance(extensions, dict):
        raise CourseError(f"{what}: extensions must map student ids to a due date or a number of days")
    return LatePolicy(
        due=due,
        penalty_per_day=float(late.get("penalty_per_day", 0.0)),
        cap=float(late.get("cap", 1.0)),
        extensions={str(k): parse_extension(v, due, f"{what} extension of {k}") for k, v in extensions.items()},
    )
