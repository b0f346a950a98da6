"""SQLAlchemy models of the gradebook (the schema itself is created by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

# constraint names that are the same on every backend, so migrations can refer to them
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}

FIRST_ROUND = "first"  # grading_round of a submission's normal grading; regrades are "regrade-<run id>"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset: we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Student(Base):
    """A student, known by the id their folder or file carried (``key``)."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    sis_id: Mapped[str | None] = mapped_column(String(200))  # e.g. Gradescope's "sid"
    lms_id: Mapped[str | None] = mapped_column(String(200))  # e.g. the Canvas user id from a Canvas download
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentRow(Base):
    """An assignment as the gradebook knows it (its late policy as it was when grading ran)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    penalty_per_day: Mapped[float] = mapped_column(Float, default=0.0)
    late_cap: Mapped[float] = mapped_column(Float, default=1.0)


class Run(Base):
    """One invocation of batch grading; a run that never finished was interrupted."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # grade | regrade
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | finished | interrupted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    host: Mapped[str | None] = mapped_column(String(200))
    command: Mapped[str | None] = mapped_column(Text)
    workers: Mapped[int | None] = mapped_column(Integer)
    graded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionRow(Base):
    """One graded submission: what was graded, when it was handed in, and its scores."""

    __tablename__ = "submissions"
    __table_args__ = (
        # exactly once: the same file of the same student is graded once per grading round
        UniqueConstraint("assignment_id", "student_id", "content_hash", "grading_round",
                         name="uq_submissions_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    grading_round: Mapped[str] = mapped_column(String(40), default=FIRST_ROUND)
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    origin: Mapped[str | None] = mapped_column(Text)  # where the file was found
    source: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timestamp_source: Mapped[str | None] = mapped_column(String(60))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[float] = mapped_column(Float)  # raw score, before any late penalty
    max_score: Mapped[float] = mapped_column(Float)
    late_days: Mapped[int] = mapped_column(Integer, default=0)
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0)  # fraction of the raw score taken off
    final_score: Mapped[float] = mapped_column(Float)
    execution_time: Mapped[float] = mapped_column(Float, default=0.0)
    problem: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    grader_errors: Mapped[list] = mapped_column(JSON, default=list)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)

    student: Mapped[Student] = relationship(lazy="joined")
    tests: Mapped[list[TestResultRow]] = relationship(
        back_populates="submission", order_by="TestResultRow.position", cascade="all, delete-orphan")


class TestResultRow(Base):
    """One grader test of one submission."""

    __tablename__ = "test_results"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    nodeid: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    visibility: Mapped[str] = mapped_column(String(30), default="visible")
    output: Mapped[str] = mapped_column(Text, default="")
    duration: Mapped[float] = mapped_column(Float, default=0.0)

    submission: Mapped[SubmissionRow] = relationship(back_populates="tests")
