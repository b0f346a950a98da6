"""The local executor: spawned child processes, every job answered once, crashes and hangs contained."""

from __future__ import annotations

import os
import time

import pytest

from autograder.batch.executors import EXECUTORS, Job, JobResult, LocalExecutor, grade_job, make_executor


def fake_grade(job: Job) -> JobResult:
    """Stands in for grading (runs in the child): behaves as the job's content says."""
    command = job.content.decode()
    if command == "crash":
        os._exit(7)
    if command == "hang":
        time.sleep(60)
    if command == "slow":
        time.sleep(0.3)
    import multiprocessing

    return JobResult(job.key, report={"pid": os.getpid(), "parent": os.getppid(),
                                      "method": multiprocessing.get_start_method(allow_none=True)})


def jobs(*commands: str) -> list[Job]:
    return [Job(key=f"job{i}", assignment="hw1_storage", filename="storage.py", content=c.encode(), size=len(c))
            for i, c in enumerate(commands)]


def run(executor, batch) -> dict[str, JobResult]:
    results: dict[str, JobResult] = {}

    def on_result(result: JobResult) -> None:
        assert result.key not in results, "a job was answered twice"
        results[result.key] = result

    executor.run(batch, on_result)
    return results


def test_every_job_is_answered_once_by_spawned_children():
    results = run(LocalExecutor(2, target=fake_grade), jobs(*["slow"] * 6))
    assert set(results) == {f"job{i}" for i in range(6)}
    assert all(r.ok for r in results.values())
    pids = {r.report["pid"] for r in results.values()}
    assert len(pids) == 2 and os.getpid() not in pids
    assert {r.report["parent"] for r in results.values()} == {os.getpid()}
    assert {r.report["method"] for r in results.values()} == {"spawn"}


def test_a_crashed_child_fails_its_job_only_and_is_replaced():
    results = run(LocalExecutor(2, target=fake_grade), jobs("ok", "crash", "ok", "ok", "crash", "ok"))
    failed = {k for k, r in results.items() if not r.ok}
    assert failed == {"job1", "job4"}
    assert "exit code 7" in results["job1"].error and "retried" in results["job1"].error
    assert all(results[k].ok for k in ("job0", "job2", "job3", "job5"))


def test_a_hung_job_is_stopped_at_the_timeout():
    started = time.monotonic()
    results = run(LocalExecutor(2, target=fake_grade, job_timeout=3), jobs("hang", "ok", "ok"))
    assert "longer than 3 s" in results["job0"].error
    assert results["job1"].ok and results["job2"].ok
    assert time.monotonic() - started < 50


def test_children_are_recycled_after_some_jobs():
    results = run(LocalExecutor(1, target=fake_grade, jobs_per_worker=2), jobs(*["ok"] * 5))
    assert len({r.report["pid"] for r in results.values()}) == 3


def test_a_failing_callback_stops_the_pool():
    def on_result(result: JobResult) -> None:
        raise RuntimeError("database went away")

    executor = LocalExecutor(2, target=fake_grade)
    with pytest.raises(RuntimeError, match="database went away"):
        executor.run(jobs("slow", "slow", "slow"), on_result)
    assert [p for p in __import__("multiprocessing").active_children() if p.name == "tensorgrade-grader"] == []


def test_fork_is_refused_and_executors_are_registered():
    with pytest.raises(ValueError, match="fork is not safe"):
        LocalExecutor(2, start_method="fork")
    assert isinstance(make_executor("local", workers=3), LocalExecutor) and "local" in EXECUTORS
    with pytest.raises(ValueError, match="no executor named 'nope'"):
        make_executor("nope")
    run(LocalExecutor(1, target=fake_grade), [])  # nothing to do: returns at once


def test_grade_job_grades_in_process_and_never_raises():
    broken = Job("k", "hw1_storage", "storage.py", b"def broken(:\n", 13)
    result = grade_job(broken)
    assert result.ok and result.report["score"] == 0 and result.report["max_score"] > 0
    assert "syntax error on line 1" in result.report["problem"]
    assert result.report["submission"] == "storage.py"
    unknown = grade_job(Job("k", "no_such_hw", "x.py", b"x = 1\n", 6))
    assert not unknown.ok and "UnknownAssignment" in unknown.error
