"""Late penalties: per started day, capped, from timestamps in the forms LMS exports write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from autograder.assignment import LatePolicy, load_assignment
from autograder.late import ON_TIME, clustered_lateness, late_result, parse_timestamp

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
POLICY = LatePolicy(due=DUE, penalty_per_day=0.1, cap=0.5)


@pytest.mark.parametrize(("after", "days", "penalty"), [
    (timedelta(seconds=-1), 0, 0.0),
    (timedelta(0), 0, 0.0),
    (timedelta(seconds=1), 1, 0.1),  # a day started is a day late
    (timedelta(hours=23, minutes=59), 1, 0.1),
    (timedelta(days=1, seconds=1), 2, 0.2),
    (timedelta(days=4, hours=2), 5, 0.5),
    (timedelta(days=30), 30, 0.5),  # capped
])
def test_penalty_per_started_day_up_to_the_cap(after, days, penalty):
    result = late_result(POLICY, DUE + after)
    assert result.days_late == days
    assert result.penalty == pytest.approx(penalty)
    assert result.apply(20.0) == pytest.approx(20.0 * (1 - penalty))


def test_no_due_date_or_no_timestamp_means_no_penalty():
    assert late_result(LatePolicy(), DUE + timedelta(days=3)) == ON_TIME
    assert late_result(POLICY, None) == ON_TIME
    assert ON_TIME.apply(7.5) == 7.5 and not ON_TIME.late


def test_offsets_are_respected_and_naive_times_are_utc():
    pacific = timezone(timedelta(hours=-8))
    # 16:30 in UTC-8 is 00:30 UTC the next day: 31 minutes late
    assert late_result(POLICY, datetime(2026, 12, 1, 16, 30, tzinfo=pacific)).days_late == 1
    assert late_result(POLICY, datetime(2026, 12, 1, 23, 0)).days_late == 0
    naive_due = LatePolicy(due=datetime(2026, 12, 1, 23, 59), penalty_per_day=0.25, cap=1.0)
    assert late_result(naive_due, datetime(2026, 12, 3, 0, 0, tzinfo=UTC)).penalty == pytest.approx(0.5)


def test_the_cap_never_exceeds_the_whole_score():
    greedy = LatePolicy(due=DUE, penalty_per_day=0.6, cap=3.0)
    assert late_result(greedy, DUE + timedelta(days=5)).apply(10.0) == 0.0


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-02T01:00:00+00:00", datetime(2026, 12, 2, 1, tzinfo=UTC)),
    ("2026-12-02T01:00:00Z", datetime(2026, 12, 2, 1, tzinfo=UTC)),
    ("2026-12-01 17:00:00 -08:00", datetime(2026, 12, 2, 1, tzinfo=UTC)),  # Gradescope export
    ("2026-12-01T17:00:00.123456789-08:00", datetime(2026, 12, 2, 1, 0, 0, 123456, tzinfo=UTC)),
    ("2026-12-02 01:00:00.000000 UTC\n", datetime(2026, 12, 2, 1, tzinfo=UTC)),  # nbgrader timestamp.txt
    ("2026-12-02 01:00:00", datetime(2026, 12, 2, 1, tzinfo=UTC)),
])
def test_parse_timestamp_forms(text, expected):
    assert parse_timestamp(text) == expected


def test_parse_timestamp_rejects_garbage_with_the_text():
    with pytest.raises(ValueError, match="not a timestamp: 'yesterday'"):
        parse_timestamp("yesterday")


def test_hw1_policy_comes_from_its_config():
    policy = load_assignment("hw1_storage").late
    assert policy.due is not None and policy.penalty_per_day > 0
    two_days = late_result(policy, policy.due + timedelta(days=1, hours=1))
    assert two_days.days_late == 2
    assert two_days.penalty == pytest.approx(min(2 * policy.penalty_per_day, policy.cap))


def test_an_extension_moves_that_students_due_date_only():
    policy = LatePolicy(due=DUE, penalty_per_day=0.1, cap=0.5, extensions={"ann": DUE + timedelta(days=3)})
    two_days = DUE + timedelta(days=2)
    assert late_result(policy, two_days, "ann") == ON_TIME
    assert late_result(policy, two_days, "ben").days_late == 2
    assert late_result(policy, two_days).days_late == 2
    assert late_result(policy, DUE + timedelta(days=3, minutes=1), "ann").days_late == 1


def test_many_late_at_one_moment_is_flagged():
    policy = LatePolicy(due=DUE, penalty_per_day=0.1)
    copied = DUE + timedelta(days=1, hours=3)
    # a folder copied after the deadline: every file "handed in" within seconds of each other
    class_times = [(f"s{i}", copied + timedelta(seconds=i)) for i in range(8)] + [("early", DUE - timedelta(days=1))]
    warning = clustered_lateness(policy, class_times)
    assert warning is not None and "8 of 9 submissions" in warning and "1 d 3 h" in warning
    # real lateness is spread out; a few late ones or on-time ones are no pattern
    spread = [(f"s{i}", DUE + timedelta(hours=5 * i + 1)) for i in range(8)]
    assert clustered_lateness(policy, spread) is None
    assert clustered_lateness(policy, class_times[:2] + [("a", DUE), ("b", DUE), ("c", DUE)]) is None
    on_time = [(f"s{i}", DUE - timedelta(hours=1)) for i in range(8)]
    assert clustered_lateness(policy, on_time) is None
    assert clustered_lateness(LatePolicy(), class_times) is None
