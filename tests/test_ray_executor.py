"""The Ray executor: the same jobs as Ray tasks on a local Ray instance, the same scores as the local pool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignment import REPO_DIR, load_assignment
from autograder.batch.executors import EXECUTORS, Job, JobResult
from autograder.gradebook import open_gradebook
from autograder.stubs import make_stub

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'tensorgrade[cluster]')")

from autograder.batch.ray import RayExecutor, RayUnavailable  # noqa: E402

HW1 = load_assignment("hw1_storage")


def jobs(*commands: str) -> list[Job]:
    return [Job(key=f"job{i}", assignment="hw1_storage", filename="storage.py", content=c.encode(), size=len(c))
            for i, c in enumerate(commands)]


@pytest.mark.slow
def test_every_job_is_answered_once_and_crashes_and_hangs_cost_only_their_job(tmp_path, monkeypatch):
    from autograder.course import COURSE_ENV
    from autograder.datasets import DATA_ROOT_ENV

    def fake_grade(job: Job) -> JobResult:
        import os
        import time

        command = job.content.decode()
        if command == "crash":
            os._exit(7)
        if command == "hang":
            time.sleep(120)
        return JobResult(job.key, report={"pid": os.getpid(), "course": os.environ.get(COURSE_ENV),
                                          "data": os.environ.get(DATA_ROOT_ENV)})

    results: dict[str, JobResult] = {}

    def on_result(result: JobResult) -> None:
        assert result.key not in results, "a job was answered twice"
        results[result.key] = result

    executor = RayExecutor(2, job_timeout=20, target=fake_grade, max_retries=0)
    assert ray.is_initialized() and executor.started_ray
    # the command line pins the course and --data-root in the environment: tasks must see them as lanes do,
    # also when Ray's workers were started before (as on a cluster, which never saw this environment)
    monkeypatch.setenv(COURSE_ENV, str(tmp_path / "course"))
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "data"))
    executor.run(jobs("ok", "crash", "ok", "hang", "ok", "ok"), on_result)
    assert not ray.is_initialized()  # the instance it started is stopped again
    assert set(results) == {f"job{i}" for i in range(6)}
    assert {k for k, r in results.items() if not r.ok} == {"job1", "job3"}
    assert "Ray task failed" in results["job1"].error and "retried" in results["job1"].error
    assert "longer than 20 s" in results["job3"].error
    assert all(r.report["pid"] != os.getpid() for r in results.values() if r.ok)
    assert {(r.report["course"], r.report["data"]) for r in results.values() if r.ok} == {
        (str(tmp_path / "course"), str(tmp_path / "data"))}


def test_ray_is_a_registered_executor_and_an_unreachable_cluster_is_said_in_words():
    assert "ray" in EXECUTORS
    with pytest.raises(RayUnavailable, match="nothing answers at 127.0.0.1:1"):
        RayExecutor(2, address="127.0.0.1:1")


def make_class(root: Path) -> dict[str, str]:
    reference = HW1.solution.read_text()
    work = {"correct": reference, "stub": make_stub(reference), "broken": "def same_storage(a, b)\n",
            **{f"wrong-{p.stem}": p.read_text() for p in sorted(HW1.mistakes_dir.glob("*.py"))[:3]}}
    for student, source in work.items():
        (root / student).mkdir(parents=True)
        (root / student / "storage.py").write_text(source)
    return work


def scores(url: str) -> dict[str, tuple[float, float]]:
    with open_gradebook(url) as gradebook:
        return {row.student.key: (row.score, row.max_score) for row in gradebook.submissions("hw1_storage")}


@pytest.mark.slow
def test_ray_grades_a_class_into_the_gradebook_with_the_local_pools_scores(tmp_path):
    root = tmp_path / "class"
    work = make_class(root)
    by_executor = {}
    for executor in ("local", "ray"):
        url = f"sqlite:///{tmp_path / executor}.sqlite"
        command = [sys.executable, "-m", "autograder.cli", "grade", "hw1_storage", str(root), "--db", url,
                   "--jobs", "2", "--executor", executor, "--quiet"]
        done = subprocess.run(command, cwd=REPO_DIR, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        by_executor[executor] = scores(url)
    assert by_executor["ray"] == by_executor["local"]
    got = by_executor["ray"]
    assert set(got) == set(work)
    full = got["correct"][1]
    assert full > 0 and got["correct"] == (full, full)
    assert got["stub"][0] == 0 and got["broken"][0] == 0
    assert all(0 < got[k][0] < full for k in work if k.startswith("wrong-"))
