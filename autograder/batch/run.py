"""Grade a class into the gradebook: skip what is recorded, grade the rest in parallel, record each result.

Exactly once: a submission is identified by (assignment, student, content hash, grading round),
which the database holds unique, and each result is committed in its own transaction as it
arrives. Re-running after an interruption therefore grades only what is missing. ``regrade``
opens a new grading round (history is kept); an interrupted regrade resumes its own round.
Identical files (the untouched stub, a shared group file) are graded once and recorded per student.
A student who handed in nothing gets a row too (score 0, the reason as its problem), after the
graded ones, so it carries the same maximum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from autograder.assignment import Assignment
from autograder.batch.discover import Discovery, FoundSubmission
from autograder.batch.executors import Executor, Job, JobResult
from autograder.course import apply_points
from autograder.gradebook import Gradebook
from autograder.gradebook.models import FIRST_ROUND, SubmissionRow
from autograder.gradebook.store import clean_text
from autograder.late import late_result


@dataclass
class BatchSummary:
    """What one batch run did."""

    run_id: int
    grading_round: str
    resumed: bool = False
    found: int = 0
    already_recorded: int = 0
    to_grade: int = 0
    recorded: list[SubmissionRow] = field(default_factory=list)
    recorded_elsewhere: int = 0  # another grader recorded them first (shared database)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (students, why grading failed)
    identical: int = 0  # students whose file was byte-identical to another's in this batch
    interrupted: bool = False
    missing: list[SubmissionRow] = field(default_factory=list)  # students with no file: recorded with score 0
    missing_found: int = 0  # students with no file, whether recorded now or already

    @property
    def grader_errors(self) -> list[SubmissionRow]:
        return [row for row in self.recorded if row.grader_errors]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.grader_errors and not self.interrupted


Progress = Callable[[int, list[FoundSubmission], JobResult], None]  # (students done now, who, result)


def plan_jobs(assignment: Assignment, pending: list[FoundSubmission]) -> dict[str, list[FoundSubmission]]:
    """One job per distinct file, keyed by content hash (and kind, .py or .ipynb)."""
    groups: dict[str, list[FoundSubmission]] = {}
    for found in pending:
        kind = "ipynb" if found.filename.lower().endswith(".ipynb") else "py"
        groups.setdefault(f"{found.content_hash}.{kind}", []).append(found)
    return groups


def grade_batch(assignment: Assignment, discovery: Discovery, gradebook: Gradebook, executor: Executor, *,
                regrade: bool = False, workers: int | None = None, command: str = "",
                on_start: Callable[[BatchSummary], None] | None = None,
                on_progress: Progress | None = None) -> BatchSummary:
    """Grade every discovered submission not yet recorded in this grading round."""
    assignment_row = gradebook.assignment_row(assignment)
    run, resumed = gradebook.start_run(assignment_row.id, "regrade" if regrade else "grade", workers, command)
    grading_round = f"regrade-{run.id}" if regrade else FIRST_ROUND
    summary = BatchSummary(run_id=run.id, grading_round=grading_round, resumed=resumed,
                           found=len(discovery.submissions))
    done = gradebook.recorded(assignment_row.id, grading_round)
    pending = [f for f in discovery.submissions if (clean_text(f.student), f.content_hash) not in done]
    summary.missing_found = len(discovery.missing)
    summary.already_recorded = summary.found - len(pending)
    summary.to_grade = len(pending)
    groups = plan_jobs(assignment, pending)
    summary.identical = sum(len(g) - 1 for g in groups.values())
    jobs = [Job(key=key, assignment=assignment.name, filename=group[0].filename, content=group[0].content,
                size=group[0].size) for key, group in groups.items()]
    if on_start:
        on_start(summary)

    def on_result(result: JobResult) -> None:
        group = groups[result.key]
        if not result.ok:
            summary.failures.append((", ".join(f.student for f in group), result.error or "unknown error"))
        else:
            report = apply_points(result.report, assignment.test_points, assignment.points)
            for found in group:
                row = gradebook.record(run=run, assignment_id=assignment_row.id, grading_round=grading_round,
                                       found=found, report=report,
                                       late=late_result(assignment.late, found.submitted_at, found.student))
                if row is None:
                    summary.recorded_elsewhere += 1
                else:
                    summary.recorded.append(row)
        if on_progress:
            on_progress(len(group), group, result)

    status = "interrupted"
    try:
        executor.run(jobs, on_result)
        maximum = max((r.max_score for r in summary.recorded), default=None)
        if maximum is None:
            maximum = gradebook.max_score(assignment.name) or assignment.points or 0.0
        for missing in discovery.missing:
            row = gradebook.record_missing(run=run, assignment_id=assignment_row.id, grading_round=grading_round,
                                           missing=missing, max_score=maximum)
            if row is not None:
                summary.missing.append(row)
        status = "finished"
    finally:
        summary.interrupted = status != "finished"
        try:
            gradebook.finish_run(run.id, status, graded=len(summary.recorded), failed=len(summary.failures))
        except SQLAlchemyError:
            if status == "finished":
                raise
            # the database is what failed: the run stays "running", which reads as interrupted
    return summary
