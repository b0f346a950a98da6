"""A submission's budget: wall-clock and CPU for the import and all calls together, across worker restarts."""

from __future__ import annotations

import pytest

from autograder.grading.session import Session
from autograder.limits import Limits
from autograder.proxy import StudentCrash, StudentTimeout
from autograder.submission import load_submission

SOURCE = '''
import os
import time


def nap(seconds):
    time.sleep(seconds)
    return seconds


def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def die():
    os._exit(3)
'''


@pytest.fixture
def submission(tmp_path):
    path = tmp_path / "budget.py"
    path.write_text(SOURCE)
    return load_submission(path, "budget")


def calls_until_stopped(session: Session, name: str, seconds: float, most: int = 40) -> tuple[int, str]:
    for count in range(most):
        try:
            session.call(name, (seconds,), {})
        except StudentTimeout as exc:
            return count, str(exc)
    raise AssertionError(f"{most} calls of {name}({seconds}) and the budget never ran out")


@pytest.mark.slow
def test_calls_under_their_deadline_stop_at_the_wall_clock_budget(submission):
    limits = Limits(call_timeout=5.0, budget_wall=4.0, budget_cpu=100.0)
    with Session(submission, limits) as session:
        count, message = calls_until_stopped(session, "nap", 1.0)
        assert 2 <= count <= 4, count  # ~4 naps fit; the one that crosses the budget is stopped
        assert "used up its grading budget" in message and "wall-clock budget ran out" in message
        assert session.process is None, "the worker is stopped once the budget is spent"
        with pytest.raises(StudentTimeout, match="was not run: the submission used up its grading budget"):
            session.call("nap", (0.0,), {})  # every later request fails at once, without a worker
        assert session.process is None


@pytest.mark.slow
def test_cpu_budget_counts_every_worker_of_the_submission(submission):
    limits = Limits(call_timeout=10.0, budget_wall=300.0, budget_cpu=4.0)
    with Session(submission, limits) as session:
        session.call("spin", (1.5,), {})
        with pytest.raises(StudentCrash):
            session.call("die", (), {})  # a restart must not reset what the submission has spent
        assert session.cpu_spent >= 1.4
        count, message = calls_until_stopped(session, "spin", 1.0)
        assert count <= 3, count
        assert "used up its grading budget" in message
        assert session.cpu_spent + session.cpu_now >= 3.5


@pytest.mark.slow
def test_a_worker_may_use_only_what_is_left_of_the_cpu_budget(submission):
    limits = Limits(call_timeout=60.0, budget_wall=300.0, budget_cpu=3.0)
    with Session(submission, limits) as session:
        session.call("spin", (1.2,), {})
        with pytest.raises(StudentCrash):
            session.call("die", (), {})
        session.ensure_started()
        assert session._worker_cpu_limit == 2, "3 s budget, 1.2 s spent: the new worker's RLIMIT_CPU is 2 s"
        with pytest.raises((StudentCrash, StudentTimeout)):
            session.call("spin", (30.0,), {})  # stopped by its rlimit (or the budget check), far before 30 s
        with pytest.raises(StudentTimeout, match="grading budget"):
            session.call("nap", (0.0,), {})
