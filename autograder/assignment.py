"""Where an assignment's parts live, and its settings (``autograder/graders/<hw>/assignment.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
GRADERS_DIR = PACKAGE_DIR / "graders"
SOLUTIONS_DIR = REPO_DIR / "solutions"
ASSIGNMENTS_DIR = REPO_DIR / "assignments"


class UnknownAssignment(LookupError):
    """No assignment of that name."""


@dataclass(frozen=True)
class LatePolicy:
    """Late penalty: a fraction of the score per started day late, up to a cap."""

    due: datetime | None = None
    penalty_per_day: float = 0.0
    cap: float = 1.0


@dataclass(frozen=True)
class Assignment:
    """One assignment: its module name, its files, its limits."""

    name: str
    title: str
    module: str
    call_timeout: float = 10.0
    worker_cpu_seconds: int = 600
    late: LatePolicy = field(default_factory=LatePolicy)
    extra: dict = field(default_factory=dict)

    @property
    def graders_dir(self) -> Path:
        return GRADERS_DIR / self.name

    @property
    def solution(self) -> Path:
        return SOLUTIONS_DIR / self.name / f"{self.module}.py"

    @property
    def stub(self) -> Path:
        return ASSIGNMENTS_DIR / self.name / f"{self.module}.py"

    @property
    def public_tests_dir(self) -> Path:
        return ASSIGNMENTS_DIR / self.name

    @property
    def mistakes_dir(self) -> Path:
        """Realistic wrong submissions, used by the demo and by the tests."""
        return SOLUTIONS_DIR / self.name / "mistakes"


def all_assignments() -> list[Assignment]:
    """Every assignment with a grader folder, in name order."""
    return [load_assignment(p.parent.name) for p in sorted(GRADERS_DIR.glob("*/assignment.toml"))]


def load_assignment(name: str) -> Assignment:
    """Read ``autograder/graders/<name>/assignment.toml``."""
    config_path = GRADERS_DIR / name / "assignment.toml"
    if not config_path.is_file():
        known = ", ".join(p.parent.name for p in sorted(GRADERS_DIR.glob("*/assignment.toml")))
        raise UnknownAssignment(f"no assignment named {name!r} (known: {known})")
    config = tomllib.loads(config_path.read_text())
    late = config.pop("late", {})
    due = late.get("due")
    policy = LatePolicy(
        due=datetime.fromisoformat(str(due)) if due else None,
        penalty_per_day=float(late.get("penalty_per_day", 0.0)),
        cap=float(late.get("cap", 1.0)),
    )
    known_keys = {"title", "module", "call_timeout", "worker_cpu_seconds"}
    return Assignment(
        name=name,
        title=config.get("title", name),
        module=config["module"],
        call_timeout=float(config.get("call_timeout", 10.0)),
        worker_cpu_seconds=int(config.get("worker_cpu_seconds", 600)),
        late=policy,
        extra={k: v for k, v in config.items() if k not in known_keys},
    )
