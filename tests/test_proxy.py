"""The trusted side of the channel: calls, handles, trusted helpers, restarts after faults."""

from __future__ import annotations

import pytest
import torch

from autograder.grading.session import Session
from autograder.limits import Limits
from autograder.proxy import RemoteObject, StudentCrash, StudentError, StudentProxy, StudentTimeout
from autograder.submission import load_submission

SOURCE = '''
import torch
state = {"calls": 0}

def add(a, b):
    state["calls"] += 1
    return a + b

def make_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))

def batches(n):
    for i in range(n):
        yield torch.full((2,), float(i))

def call_twice(f, x):
    return f(f(x))

def boom():
    raise KeyError("missing")

def loop():
    while True:
        pass

def crash():
    import os
    os._exit(3)

def calls():
    return state["calls"]
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "mod.py"
    path.write_text(SOURCE)
    with Session(load_submission(path, "mod"), Limits(call_timeout=2.0)) as session:
        yield StudentProxy(session)


def test_calls_return_data_and_the_arguments_after_the_call(student):
    x = torch.arange(3.0)
    assert torch.equal(student.add(x, x), 2 * x)
    call = student.call("add", x, 1)
    assert torch.equal(call.args[0], x) and torch.equal(call.result, x + 1)


def test_objects_stay_in_the_worker_behind_handles(student):
    model = student.make_model()
    assert isinstance(model, RemoteObject) and model.type_name == "Sequential"
    logits = model(torch.ones(2, 2, 2))
    assert type(logits) is torch.Tensor and logits.shape == (2, 3)
    assert model.training is True
    model.call_method("eval")
    assert model.training is False
    assert [t[0].item() for t in student.batches(3)] == [0.0, 1.0, 2.0]


def test_trusted_helpers_run_in_the_worker_and_can_be_passed_to_student_code(student):
    def make_double():
        def double(x):
            return 2 * x
        return double

    double = student.trusted(make_double)
    assert isinstance(double, RemoteObject)
    assert torch.equal(student.call_twice(double, torch.ones(2)), torch.full((2,), 4.0))


def test_student_exceptions_arrive_as_messages(student):
    with pytest.raises(StudentError, match="raised KeyError: 'missing'") as info:
        student.boom()
    assert info.value.is_a("LookupError")
    with pytest.raises(StudentError, match="no function named `nope`"):
        student.nope()


def test_timeout_and_crash_kill_the_worker_which_restarts_for_the_next_call(student):
    before = student.calls()
    with pytest.raises(StudentTimeout, match="did not finish within 2 s"):
        student.loop()
    with pytest.raises(StudentCrash, match="exited with status 3"):
        student.crash()
    assert student.calls() == 0 <= before  # a fresh worker: module state is new
    assert torch.equal(student.add(torch.ones(1), 1), torch.full((1,), 2.0))


def test_handles_from_a_dead_worker_are_refused(student):
    model = student.make_model()
    with pytest.raises(StudentCrash):
        student.crash()
    with pytest.raises(StudentCrash, match="restarted"):
        model(torch.ones(1, 4))


def test_a_broken_submission_fails_every_call_with_its_problem(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("def f(:\n")
    with Session(load_submission(path, "mod")) as session:
        with pytest.raises(StudentError, match="syntax error on line 1"):
            StudentProxy(session).f()
