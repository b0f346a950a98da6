"""Late penalties: a fraction of the raw score per started day late, up to a cap.

Naive timestamps (no UTC offset) are read as UTC, the same convention as the due date in
``course.toml`` and ``assignment.toml`` when it has no offset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class LatePolicy:
    """Late penalty: a fraction of the score per started day late, up to a cap; per-student due dates."""

    due: datetime | None = None
    penalty_per_day: float = 0.0
    cap: float = 1.0
    extensions: Mapping[str, datetime] = field(default_factory=dict)  # student id -> their own due date

    def due_for(self, student: str | None) -> datetime | None:
        if student is not None and student in self.extensions:
            return self.extensions[student]
        return self.due


DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LateResult:
    """How late one submission was and what it costs; kept apart from the raw score."""

    days_late: int = 0
    penalty: float = 0.0  # fraction of the raw score taken off, 0..cap

    def apply(self, raw_score: float) -> float:
        return round(raw_score * (1.0 - self.penalty), 4)

    @property
    def late(self) -> bool:
        return self.days_late > 0


ON_TIME = LateResult()


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def late_result(policy: LatePolicy, submitted_at: datetime | None, student: str | None = None) -> LateResult:
    """The penalty for a submission handed in at ``submitted_at`` (no timestamp or no due date: none).

    ``student``: whose submission it is, for a per-student extension.
    """
    due = policy.due_for(student)
    if due is None or submitted_at is None:
        return ON_TIME
    seconds = (as_utc(submitted_at) - as_utc(due)).total_seconds()
    if seconds <= 0:
        return ON_TIME
    days = math.ceil(seconds / DAY_SECONDS)  # a day started is a day late
    penalty = min(days * policy.penalty_per_day, policy.cap, 1.0)
    return LateResult(days_late=days, penalty=round(max(penalty, 0.0), 6))


_ZONE_WORD = re.compile(r"\s+(UTC|GMT|Z)$", re.IGNORECASE)
_SPACE_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(text: str) -> datetime:
    """Read ISO 8601 and the forms LMS exports write (nbgrader's "… UTC", Gradescope's "… -07:00").

    Raises ValueError with the text when it is not a timestamp.
    """
    cleaned = text.strip()
    cleaned = _ZONE_WORD.sub("+00:00", cleaned)
    cleaned = _SPACE_OFFSET.sub(r"\1", cleaned)
    cleaned = _LONG_FRACTION.sub(r"\1", cleaned)  # Gradescope writes nanoseconds; Python keeps microseconds
    try:
        return as_utc(datetime.fromisoformat(cleaned))
    except ValueError:
        raise ValueError(f"not a timestamp: {text.strip()[:80]!r}") from None


CLUSTER_SECONDS = 120  # hand-in times this close together read as one moment (a copy, an upload of the folder)
CLUSTER_MIN = 3


def describe_delay(seconds: float) -> str:
    days, rest = divmod(int(seconds), DAY_SECONDS)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} d"] if days else []
    return " ".join(parts + [f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min"])


def clustered_lateness(policy: LatePolicy, handed_in: list[tuple[str, datetime | None]]) -> str | None:
    """A warning when many late submissions were handed in at one moment (then lateness is likely an artefact).

    ``handed_in``: (student, hand-in time) of every submission. Copying a class folder after the
    deadline gives every file the same modification time: each would be "late" by the same amount.
    """
    late = sorted(as_utc(when) for student, when in handed_in
                  if when is not None and late_result(policy, when, student).late)
    if len(late) < CLUSTER_MIN:
        return None
    best, start = 0, 0
    for end in range(len(late)):
        while (late[end] - late[start]).total_seconds() > CLUSTER_SECONDS:
            start += 1
        if end - start + 1 > best:
            best, first = end - start + 1, late[start]
    if best < max(CLUSTER_MIN, len(handed_in) / 2):
        return None
    delay = describe_delay((first - as_utc(policy.due)).total_seconds()) if policy.due else "?"
    return (f"{best} of {len(handed_in)} submissions were handed in within {CLUSTER_SECONDS // 60} minutes of "
            f"{first:%Y-%m-%d %H:%M} UTC, all late by about {delay}: that looks like when the files were copied, "
            "not when they were handed in")
