"""What the trusted side keeps of a reply: every field exact-typed and bounded before any grader code sees it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder import protocol, wire
from autograder.faults import StudentError, describe_error


def nested(depth: int) -> list:
    x: list = []
    for _ in range(depth):
        x = [x, x]
    return x


HOSTILE_ERRORS = [
    5, None, [1, 2], "text",
    {"type": ["ValueError"], "builtins": 5, "message": nested(40), "where": {"line": 1}},
    {"type": 2**2000, "builtins": {"ValueError": 1}, "message": None, "where": 7},
    {"type": "E" * 10**6, "builtins": ["ValueError", 5, None, ["x"]] * 10_000, "message": "m" * (8 * 2**20),
     "where": ["w" * 10**6] * 1000},
    {"type": "", "builtins": [torch.zeros(3)], "message": torch.zeros(3), "where": [torch.zeros(2), "line 1"]},
]


@pytest.mark.parametrize("error", HOSTILE_ERRORS, ids=range(len(HOSTILE_ERRORS)))
def test_a_hostile_error_report_becomes_four_bounded_fields(error):
    checked = protocol.checked_error(error)
    assert set(checked) == {"type", "builtins", "message", "where"}
    assert type(checked["type"]) is str and 0 < len(checked["type"]) <= protocol.MAX_ERROR_TYPE + 2
    assert type(checked["message"]) is str and len(checked["message"]) <= protocol.MAX_ERROR_MESSAGE + 2
    assert type(checked["builtins"]) is list and len(checked["builtins"]) <= protocol.MAX_BUILTINS
    assert all(type(b) is str for b in checked["builtins"])
    assert type(checked["where"]) is list and len(checked["where"]) <= protocol.MAX_WHERE
    assert all(type(w) is str and len(w) <= protocol.MAX_WHERE_LINE + 2 for w in checked["where"])
    fault = StudentError(describe_error(checked, "`f`"), checked)
    assert fault.is_a("ValueError") in (True, False) and type(fault.type_name) is str
    assert len(str(fault)) < 3000


def test_a_well_formed_error_report_is_kept_as_it_is():
    error = protocol.error_info("ValueError", "bad cols", ["ValueError", "Exception", "BaseException"],
                                ["line 3, in as_matrix: raise ValueError('bad cols')"])
    assert protocol.checked_error(error) == error
    fault = StudentError(describe_error(error, "`as_matrix`"), error)
    assert fault.is_a("ValueError") and not fault.is_a("TypeError") and fault.type_name == "ValueError"
    assert str(fault) == ("`as_matrix` raised ValueError: bad cols "
                          "(at line 3, in as_matrix: raise ValueError('bad cols'))")


def test_studenterror_and_describe_error_never_raise_on_raw_reports():
    """Errors built elsewhere (the notebook harness) get the same strictness without the protocol's check."""
    for error in HOSTILE_ERRORS:
        fault = StudentError("x", error)  # type: ignore[arg-type]
        assert fault.is_a("ValueError") in (True, False)
        assert type(fault.type_name) is str
        assert len(describe_error(error if type(error) is dict else {}, "`f`")) < 3000


def test_arguments_after_a_call_keep_their_number_names_and_types():
    x, arr = torch.zeros(3), np.zeros(2)
    args, kwargs = (x, 2, arr), {"out": x}
    reply = {"args": (torch.ones(3), 5, np.ones(2)), "kwargs": {"out": torch.ones(3)}}
    assert protocol.args_after(reply, args, kwargs) == (reply["args"], reply["kwargs"])
    forged = [
        {"args": (5, 2, arr), "kwargs": {"out": x}},  # a tensor came back as an int
        {"args": ("x" * 2**20, 2, arr), "kwargs": {"out": x}},
        {"args": (x, 2), "kwargs": {"out": x}},  # one missing
        {"args": [x, 2, arr], "kwargs": {"out": x}},  # a list, not a tuple
        {"args": (x, 2, arr), "kwargs": [("out", x)]},
        {"args": (x, 2, arr), "kwargs": {"out": x, "more": 1}},
        {"args": (x, True, arr), "kwargs": {"out": x}},  # bool is not int
        {"args": (x, 2, x), "kwargs": {"out": x}},  # a tensor where an array was sent
        {},
    ]
    for reply in forged:
        assert protocol.args_after(reply, args, kwargs) is None, reply


def test_answers_of_handles_are_bounded():
    assert protocol.length({"value": 3}) == 3
    for value in (-1, 2**63, 2**2000, True, 3.0, "3", None, torch.tensor(3)):
        assert protocol.length({"value": value}) is None, value
    assert protocol.stopped({"value": 1}) is False and protocol.stopped({"stop": True}) is True
    for stop in (1, "yes", None, torch.tensor(True), [True]):
        assert protocol.stopped({"stop": stop}) is None, stop


def test_a_reply_must_answer_the_request_in_flight():
    assert protocol.reply_problem({"ok": True, "value": 1, "seq": 4}, 4) is None
    assert protocol.reply_problem({"ok": False, "error": 5, "seq": 4}, 4) is None  # the error is checked later
    for reply in ({"ok": True, "seq": 4}, {"ok": 1, "value": 1, "seq": 4}, {"ok": True, "value": 1, "seq": 5},
                  {"ok": True, "value": 1, "seq": torch.tensor([4, 4])}, {"ok": True, "value": 1, "seq": 4.0},
                  [1], None):
        assert protocol.reply_problem(reply, 4), reply


def test_loaded_keeps_identifiers_and_checked_cell_errors():
    value = {"names": ["row_view", 5, "x" * 1000, "not a name", "as_matrix"],
             "cell_errors": [{"cell": 1, "error": {"type": ["x"], "message": nested(30)}},
                             {"cell": -1, "error": {}}, {"cell": 2**70, "error": {}}, {"cell": "1", "error": {}},
                             {"cell": 2, "error": 5}, 7]}
    names, cells = protocol.loaded(value)
    assert names == ["row_view", "as_matrix"]
    assert cells == [{"cell": 1, "error": {"type": "an error", "builtins": [], "message": "", "where": []}}]
    assert protocol.loaded({"names": 5, "cell_errors": []}) is None


def test_checked_fields_survive_the_wire():
    """What a worker can actually send (through the codec) is what the checks are tested against."""
    error = {"type": ["ValueError"], "builtins": 5, "message": nested(15), "where": {"line": 1}}
    decoded = wire.loads(wire.dumps({"ok": False, "error": error, "seq": 1}))
    assert protocol.reply_problem(decoded, 1) is None
    assert protocol.error_of(decoded)["type"] == "an error"
