"""The first gradebook schema: students, assignments, runs, submissions, test results.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# self-contained on purpose: a migration must keep meaning what it meant when it was written
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "students",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("sis_id", sa.String(200)),
        sa.Column("lms_id", sa.String(200)),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_students"),
        sa.UniqueConstraint("key", name="uq_students_key"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("due_at", TZ),
        sa.Column("penalty_per_day", sa.Float(), nullable=False),
        sa.Column("late_cap", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assignments"),
        sa.UniqueConstraint("name", name="uq_assignments_name"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("host", sa.String(200)),
        sa.Column("command", sa.Text()),
        sa.Column("workers", sa.Integer()),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"], name="fk_runs_assignment_id_assignments"),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_assignment_id", "runs", ["assignment_id"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer()),
        sa.Column("grading_round", sa.String(40), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("origin", sa.Text()),
        sa.Column("source", sa.LargeBinary()),
        sa.Column("submitted_at", TZ),
        sa.Column("timestamp_source", sa.String(60)),
        sa.Column("graded_at", TZ, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("late_days", sa.Integer(), nullable=False),
        sa.Column("late_penalty", sa.Float(), nullable=False),
        sa.Column("final_score", sa.Float(), nullable=False),
        sa.Column("execution_time", sa.Float(), nullable=False),
        sa.Column("problem", sa.Text()),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("grader_errors", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"],
                                name="fk_submissions_assignment_id_assignments"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name="fk_submissions_student_id_students"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_submissions_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint("assignment_id", "student_id", "content_hash", "grading_round",
                            name="uq_submissions_once"),
    )
    op.create_index("ix_submissions_assignment_id", "submissions", ["assignment_id"])
    op.create_index("ix_submissions_student_id", "submissions", ["student_id"])
    op.create_index("ix_submissions_run_id", "submissions", ["run_id"])
    op.create_table(
        "test_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("nodeid", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("visibility", sa.String(30), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE",
                                name="fk_test_results_submission_id_submissions"),
        sa.PrimaryKeyConstraint("id", name="pk_test_results"),
    )
    op.create_index("ix_test_results_submission_id", "test_results", ["submission_id"])


def downgrade() -> None:
    op.drop_table("test_results")
    op.drop_table("submissions")
    op.drop_table("runs")
    op.drop_table("assignments")
    op.drop_table("students")
