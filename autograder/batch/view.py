"""A batch run in the terminal: the progress bar while it grades (plain lines when piped), the summary at the end."""

from __future__ import annotations

import threading
import time
from statistics import mean, median

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from autograder.assignment import Assignment
from autograder.batch.discover import FoundSubmission
from autograder.batch.executors import JobResult
from autograder.batch.run import BatchSummary


class RateColumn(ProgressColumn):
    """Submissions per minute, from rich's own speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed * 60:.1f}/min" if speed else "–/min", style="progress.data.speed")


PLAIN_EVERY = 10.0  # piped output (CI logs): a progress line at least this often, in seconds


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class Heartbeat:
    """Piped output only: ``<what>: still grading, elapsed 0:00:20`` at least every ``PLAIN_EVERY`` seconds."""

    def __init__(self, console: Console, what: str) -> None:
        self.console, self.what = console, what
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if not self.console.is_terminal:
            self.thread = threading.Thread(target=self.beat, name="heartbeat", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def beat(self) -> None:
        started = time.monotonic()
        while not self.stopped.wait(PLAIN_EVERY - 0.5):
            self.console.print(f"{self.what}: still grading, elapsed {_clock(time.monotonic() - started)}",
                               markup=False, highlight=False, soft_wrap=True)


class BatchProgress:
    """The progress of a batch: done/total, rate, elapsed, ETA, failures so far.

    In a terminal, a live bar; piped (a CI log, ``| tee``), a plain line per finished submission and
    at least one every ``PLAIN_EVERY`` seconds while a long one runs, so a silent log means a stuck job.
    """

    def __init__(self, console: Console, title: str, quiet: bool = False, plain: bool | None = None) -> None:
        self.console, self.title, self.quiet = console, title, quiet
        self.plain = (not console.is_terminal) if plain is None else plain
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            TextColumn("[red]{task.fields[failed]} failed"), console=console, disable=quiet or self.plain)
        self.task = None
        self.failed = 0
        self.done = self.total = 0
        self.started = time.monotonic()
        self.last_line = 0.0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None

    def __enter__(self) -> BatchProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join(timeout=5)
        self.progress.__exit__(*exc)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed * 60 if elapsed > 0 and self.done else 0.0
        eta = _clock((self.total - self.done) / (self.done / elapsed)) if self.done and elapsed > 0 else "?"
        return (f"grading {self.title}: {self.done}/{self.total} done, {self.failed} failed, {rate:.1f}/min, "
                f"elapsed {_clock(elapsed)}, ETA {eta}")

    def say(self) -> None:
        with self.lock:
            self.last_line = time.monotonic()
            self.console.print(self.line(), markup=False, highlight=False, soft_wrap=True)

    def tick(self) -> None:
        while not self.stopped.wait(0.5):
            if time.monotonic() - self.last_line >= PLAIN_EVERY - 0.5:
                self.say()

    def start(self, summary: BatchSummary) -> None:
        if summary.resumed:
            self.console.print(f"resuming regrade run #{summary.run_id}")
        if summary.already_recorded:
            self.console.print(f"{summary.already_recorded} of {summary.found} submissions are already in the "
                               "gradebook (use --regrade to grade them again)")
        if summary.to_grade:
            self.task = self.progress.add_task(f"grading {self.title}", total=summary.to_grade, failed=0)
            self.total, self.started = summary.to_grade, time.monotonic()
            if self.plain and not self.quiet:
                self.say()
                self.ticker = threading.Thread(target=self.tick, name="progress-lines", daemon=True)
                self.ticker.start()

    def advance(self, students: int, group: list[FoundSubmission], result: JobResult) -> None:
        if self.task is None:
            return
        if not result.ok or result.report.get("grader_errors"):
            self.failed += students
        self.done += students
        self.progress.update(self.task, advance=students, failed=self.failed)
        if self.plain and not self.quiet:
            self.say()


def print_summary(console: Console, assignment: Assignment, summary: BatchSummary, where: str,
                  quiet: bool = False) -> None:
    """The end-of-run table: each submission recorded now, then totals and what to do next."""
    rows = sorted(summary.recorded, key=lambda r: r.student.key)
    if rows and not quiet:
        table = Table(title=f"{assignment.name}: graded in run #{summary.run_id}", title_justify="left")
        for column, justify in (("student", "left"), ("score", "right"), ("late", "right"),
                                ("final", "right"), ("time", "right"), ("note", "left")):
            table.add_column(column, justify=justify, overflow="fold")
        shown = rows[:40]
        for row in shown:
            late = f"{row.late_days} d, −{row.late_penalty:.0%}" if row.late_days else ""
            note = row.problem or ("grader error" if row.grader_errors else "")
            table.add_row(escape(row.student.key), f"{round(row.score, 2):g}/{row.max_score:g}", late,
                          f"{round(row.final_score, 2):g}", f"{row.execution_time:.1f} s", escape(note[:80]))
        console.print(table)
        if len(rows) > len(shown):
            console.print(f"… and {len(rows) - len(shown)} more (all of them: tensorgrade export {assignment.name})")
    totals = Table(show_header=False, box=None, title="summary", title_justify="left")
    totals.add_column(justify="right")
    totals.add_column()
    totals.add_row(str(summary.found), "submissions found")
    totals.add_row(str(summary.already_recorded), "already in the gradebook (skipped)")
    totals.add_row(str(len(rows)), "graded and recorded now" +
                   (f" ({summary.identical} identical files graded once)" if summary.identical else ""))
    if summary.missing_found:
        totals.add_row(f"[yellow]{summary.missing_found}[/]", "[yellow]with no submission found[/] (a row with score "
                                                               f"0 each; {len(summary.missing)} recorded now)")
    if summary.recorded_elsewhere:
        totals.add_row(str(summary.recorded_elsewhere), "recorded meanwhile by another grader")
    if rows:
        finals = [r.final_score for r in rows]
        totals.add_row(f"{mean(finals):.2f}", f"mean score (median {median(finals):g}, out of {rows[0].max_score:g})")
        late = sum(1 for r in rows if r.late_days)
        if late:
            totals.add_row(str(late), "late (penalty recorded apart from the raw score)")
    if summary.failures:
        totals.add_row(f"[red]{len(summary.failures)}[/]", "[red]could not be graded[/] (run the same command "
                                                           "again to retry them)")
    if summary.grader_errors:
        totals.add_row(f"[magenta]{len(summary.grader_errors)}[/]", "[magenta]hit a grader error[/] (fix the "
                                                                     "grader, then grade again with --regrade)")
    console.print(totals)
    for students, error in summary.failures:
        console.print(f"[red]failed:[/] {escape(students)}: {escape(error)}")
    for row in summary.missing[:40]:
        console.print(f"[yellow]no submission:[/] {escape(row.student.key)}: {escape(row.problem or '')}")
    console.print(f"gradebook: {escape(where)}, run #{summary.run_id}. Next: tensorgrade report {assignment.name} "
                  f"--out feedback/  ·  tensorgrade export {assignment.name} --format canvas --out grades.csv")
