"""The remote request's rules: moves and who makes them, overdue limits, numbers, what a request needs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from clinic_tui.domain import remote
from clinic_tui.domain.problems import DomainError

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (None, "requested", "clinic"),
        ("requested", "accepted", "hospital"),
        ("requested", "withdrawn", "clinic"),
        ("requested", "timed_out", "system"),
        ("timed_out", "accepted", "hospital"),
        ("accepted", "scheduled", "hospital"),
        ("scheduled", "scheduled", "hospital"),
        ("scheduled", "reported", "hospital"),
        ("accepted", "reported", "hospital"),
        ("reported", "read", "clinic"),
    ],
)
def test_the_moves_the_table_allows(current, target, actor):
    remote.transition(current, target, actor)


@pytest.mark.parametrize(
    ("current", "target", "actor", "code"),
    [
        ("accepted", "withdrawn", "clinic", "remote.illegal_move"),  # too late to withdraw
        ("reported", "accepted", "hospital", "remote.illegal_move"),
        ("returned", "accepted", "hospital", "remote.illegal_move"),
        ("requested", "accepted", "clinic", "remote.wrong_actor"),
        ("reported", "read", "hospital", "remote.wrong_actor"),
        (None, "accepted", "hospital", "remote.illegal_move"),
        ("requested", "returned", "hospital", "remote.reason_required"),
        ("requested", "lost", "hospital", "remote.unknown_status"),
        ("requested", "accepted", "nurse", "remote.unknown_actor"),
    ],
)
def test_moves_refused_with_their_code(current, target, actor, code):
    with pytest.raises(DomainError) as refused:
        remote.transition(current, target, actor)
    assert refused.value.problem.code == code


def test_a_return_with_a_reason_is_allowed_and_the_refusal_names_both_states(zh_catalog):
    remote.transition("requested", "returned", "hospital", reason="资料不全")
    with pytest.raises(DomainError) as refused:
        remote.transition("accepted", "withdrawn", "clinic")
    assert refused.value.message == "远程申请不能从“已受理”改为“已撤销”。"


def test_allowed_targets_and_terminal_states():
    assert set(remote.allowed_targets("requested", "hospital")) == {"accepted", "returned"}
    assert remote.allowed_targets("requested", "clinic") == ("withdrawn",)
    assert remote.allowed_targets(None, "clinic") == ("requested",)
    assert {s for s in remote.Status if remote.is_terminal(s)} == {"returned", "withdrawn", "read"}
    assert set(remote.HOSPITAL_STATUSES) == {"accepted", "returned", "timed_out", "scheduled", "reported"}


def test_overdue_limits_per_service_and_urgency():
    assert remote.accept_within("ecg", "urgent") == timedelta(minutes=30)
    assert remote.accept_within("imaging_ct", "urgent") == timedelta(hours=2)
    assert remote.accept_within("ecg", "routine") == timedelta(hours=24)
    assert not remote.is_overdue("requested", "ecg", "urgent", T0, T0 + timedelta(minutes=29))
    assert remote.is_overdue("requested", "ecg", "urgent", T0, T0 + timedelta(minutes=30))
    assert not remote.is_overdue("accepted", "ecg", "urgent", T0, T0 + timedelta(days=3))


def test_urgent_requests_come_first_then_the_oldest():
    queue = [("routine", T0), ("urgent", T0 + timedelta(hours=1)), ("urgent", T0)]
    assert sorted(queue, key=lambda r: remote.priority_key(*r)) == [queue[2], queue[1], queue[0]]


def test_request_numbers_round_trip_and_continue_after_the_days_last():
    day = date(2025, 3, 14)
    assert remote.make_request_number("c0123", day, 7) == "C0123-20250314-R0007"
    assert remote.parse_request_number("C0123-20250314-R0007") == ("C0123", day, 7)
    taken = ["C0123-20250314-R0002", "C0123-20250314-R0009", "C0123-20250313-R0040", "C0123-20250314-0050"]
    assert remote.request_number_after("C0123", day, taken) == "C0123-20250314-R0010"
    for bad in ("C0123-20250230-R0001", "C0123-20250314-0007", "C0123-20250314-R0000", "x"):
        with pytest.raises(DomainError) as refused:
            remote.parse_request_number(bad)
        assert refused.value.problem.code == "remote.number_invalid"
    with pytest.raises(ValueError):
        remote.make_request_number("C-1", day, 1)


def test_what_a_request_needs_before_it_is_sent():
    good = {"service": "ecg", "urgency": "urgent", "question": "ST 段抬高？", "consent": True}
    assert remote.submission_problems(good) == []
    problems = remote.submission_problems({"service": "mri", "question": " ", "consent": False, "history": "x" * 4001})
    assert {(p.code, p.field) for p in problems} == {
        ("remote.service_unknown", "service"),
        ("remote.urgency_unknown", "urgency"),
        ("remote.question_missing", "question"),
        ("remote.consent_missing", "consent"),
        ("remote.text_too_long", "history"),
    }


def test_a_wished_time_is_for_a_video_consultation_only():
    moment = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    video = {"service": "consult_video", "urgency": "routine", "question": "请会诊", "consent": True}
    assert remote.submission_problems(video | {"time_wished": moment}) == []
    problems = remote.submission_problems(video | {"service": "ecg", "time_wished": moment, "expert_wished": "x" * 101})
    assert {(p.code, p.field) for p in problems} == {
        ("remote.time_not_video", "time_wished"),
        ("remote.expert_too_long", "expert_wished"),
    }
