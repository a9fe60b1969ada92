"""Referral state machine, slip completeness, referral numbers and queue order."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui import i18n
from clinic_tui.domain import referral
from clinic_tui.domain.problems import DomainError, Severity, errors
from clinic_tui.domain.referral import (
    CLINIC_UP_STATUSES,
    Actor,
    Direction,
    Status,
    Urgency,
    allowed_targets,
    check_due_date,
    is_answered,
    is_terminal,
    make_referral_number,
    parse_referral_number,
    priority_key,
    should_expire,
    status_label,
    submission_problems,
    transition,
)

PO_FILE = Path(i18n.__file__).with_name("locale") / "zh_CN" / "LC_MESSAGES" / "clinic_tui.po"
WORKFLOW_MODULES = ("referral.py", "contract.py", "followup.py")
UP, DOWN = "up", "down"
ALL_ACTORS = [a.value for a in Actor]
# Written out from DOMAIN.md rather than derived from the table, so that the table is checked.
TERMINAL = {
    UP: {"rejected", "cancelled", "expired", "no_show", "completed"},
    DOWN: {"completed", "lost"},
}


@pytest.fixture
def zh():
    """Chinese messages from the shipped catalogue."""
    i18n.set_language("zh")
    yield
    i18n.translations.cache_clear()


@pytest.fixture
def en():
    i18n.set_language("en")


def refusal(*args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        transition(*args, **kwargs)
    return caught.value


# --- Allowed moves


def test_upward_referral_from_draft_to_completed():
    steps = [
        (None, "draft", "clinic"),
        ("draft", "review", "clinic"),
        ("review", "sent", "reviewer"),
        ("sent", "accepted", "hospital"),
        ("accepted", "arrived", "hospital"),
        ("arrived", "completed", "hospital"),
    ]
    for current, target, actor in steps:
        transition(UP, current, target, actor)


def test_downward_referral_from_received_to_completed():
    steps = [
        (None, "received", "hospital"),
        ("received", "acknowledged", "clinic"),
        ("acknowledged", "in_followup", "clinic"),
        ("in_followup", "completed", "clinic"),
    ]
    for current, target, actor in steps:
        transition(DOWN, current, target, actor)


@pytest.mark.parametrize("current", ["draft", "review", "sent"])
def test_the_clinic_may_cancel_before_the_hospital_answers(current):
    transition(UP, current, "cancelled", "clinic", reason="患者已好转")


@pytest.mark.parametrize("current", ["accepted", "arrived", "no_show", "rejected"])
def test_the_clinic_may_not_cancel_once_the_hospital_answered(current):
    assert refusal(UP, current, "cancelled", "clinic", reason="x").problem.code == ("referral.illegal_move")


@pytest.mark.parametrize(
    ("current", "target"),
    [("sent", "accepted"), ("sent", "rejected"), ("accepted", "arrived"),
     ("accepted", "no_show"), ("arrived", "completed")],
)  # fmt: skip
@pytest.mark.parametrize("actor", ["clinic", "reviewer", "system"])
def test_only_the_hospital_answers_and_records_arrival(current, target, actor):
    problem = refusal(UP, current, target, actor, reason="床位已满").problem
    assert problem.code == "referral.wrong_actor"


def test_only_the_system_expires_a_referral():
    transition(UP, "sent", "expired", "system")
    assert refusal(UP, "sent", "expired", "hospital").problem.code == "referral.wrong_actor"
    assert refusal(UP, "accepted", "expired", "system").problem.code == "referral.illegal_move"


def test_the_reviewer_may_send_back_but_the_clinic_may_not_approve_its_own_review():
    transition(UP, "review", "draft", "reviewer")
    assert refusal(UP, "review", "sent", "clinic").problem.code == "referral.wrong_actor"


def test_the_hospital_creates_downward_referrals_and_the_clinic_upward_ones():
    assert refusal(DOWN, None, "received", "clinic").problem.code == "referral.wrong_actor"
    assert refusal(UP, None, "draft", "hospital").problem.code == "referral.wrong_actor"
    assert refusal(UP, None, "sent", "clinic").problem.code == "referral.illegal_start"


@pytest.mark.parametrize("current", ["acknowledged", "in_followup"])
def test_the_clinic_may_mark_a_downward_referral_lost(current):
    transition(DOWN, current, "lost", "clinic")


@pytest.mark.parametrize("target", ["rejected", "cancelled"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_or_cancelling_needs_a_reason(target, reason):
    actor = "hospital" if target == "rejected" else "clinic"
    problem = refusal(UP, "sent", target, actor, reason=reason).problem
    field = "cancel_reason" if target == "cancelled" else "reason"
    assert (problem.code, problem.field) == ("referral.reason_required", field)


@pytest.mark.parametrize(
    ("direction", "current", "target", "actor", "code"),
    [
        ("sideways", "draft", "sent", "clinic", "referral.unknown_direction"),
        (UP, "received", "acknowledged", "clinic", "referral.unknown_status"),
        (UP, "draft", "bogus", "clinic", "referral.unknown_status"),
        (DOWN, "sent", "accepted", "hospital", "referral.unknown_status"),
        (UP, "draft", "sent", "doctor", "referral.unknown_actor"),
    ],
)
def test_unknown_codes_are_refused(direction, current, target, actor, code):
    assert refusal(direction, current, target, actor).problem.code == code


# --- Messages in both languages


def test_refusals_name_the_statuses_and_who_may_in_english(en):
    assert refusal(UP, "sent", "accepted", "clinic").message == (
        "Only the hospital referral desk may move a referral from “Awaiting hospital answer” to “Accepted”."
    )
    assert refusal(UP, "completed", "draft", "clinic").message == ("A referral cannot go from “Completed” to “Draft”.")


def test_refusals_are_in_chinese_under_zh(zh):
    assert refusal(UP, "sent", "accepted", "clinic").message == ("只有医院转诊中心可以将转诊单从“待接收”变为“已接收”。")
    assert refusal(UP, "accepted", "cancelled", "clinic", reason="x").message == ("转诊单不能从“已接收”变为“已撤销”。")
    assert refusal(UP, "sent", "rejected", "hospital").message == "将转诊单标记为“已拒绝”须填写原因。"
    assert refusal(UP, None, "sent", "clinic").message == "新建的转诊单应为“草稿”，不能直接为“待接收”。"
    assert refusal(DOWN, "sent", "accepted", "hospital").message == "“sent”不是此类转诊（下转）的状态。"


def test_a_refusal_follows_a_language_switch_after_it_was_raised(zh):
    error = refusal(DOWN, None, "received", "clinic")
    assert error.message == "只有医院转诊中心可以将转诊单从“新建”变为“待确认”。"
    i18n.set_language("en")
    assert error.message == (
        "Only the hospital referral desk may move a referral from “New” to “Awaiting confirmation”."
    )


def test_labels_are_translated(zh):
    assert status_label("sent") == "待接收"
    assert status_label("expired") == "已超时"
    assert i18n._(referral.URGENCY_LABELS[Urgency.EMERGENCY]) == "急诊（绿色通道）"
    assert i18n._(referral.OUTCOME_LABELS["3"]) == "稳定"
    i18n.set_language("en")
    assert status_label("no_show") == "Did not arrive"


@pytest.mark.parametrize("module", WORKFLOW_MODULES)
def test_every_message_of_the_workflow_modules_has_a_chinese_translation(module):
    """Every N_() string of referral, contract and followup, with the same placeholders."""
    with PO_FILE.open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    path = Path(referral.__file__).with_name(module)
    msgids = {message for _line, message, _comments, _context in extract_from_file("python", path)}
    assert msgids, "nothing extracted: is the module marking its strings with N_()?"
    for msgid in msgids:
        entry = catalog.get(msgid)
        assert entry is not None and entry.string, f"no translation for {msgid!r}"
        placeholders = set(re.findall(r"{(\w+)}", msgid))
        assert set(re.findall(r"{(\w+)}", entry.string)) == placeholders, msgid


# --- Queries


def test_allowed_targets_depend_on_who_asks():
    assert allowed_targets(UP, "sent", "hospital") == ("accepted", "rejected")
    assert allowed_targets(UP, "sent", "clinic") == ("cancelled",)
    assert allowed_targets(UP, "sent", "system") == ("expired",)
    assert allowed_targets(UP, "draft", "clinic") == ("review", "sent", "cancelled")
    assert allowed_targets(UP, None, "clinic") == ("draft",)
    assert allowed_targets(DOWN, "received", "hospital") == ()


def test_terminal_statuses():
    for direction in (UP, DOWN):
        terminal = {s for s in referral.STATUSES[Direction(direction)] if is_terminal(direction, s)}
        assert terminal == TERMINAL[direction]


def test_answered_means_the_other_side_has_responded():
    assert not is_answered(UP, "sent")
    assert not is_answered(UP, "cancelled")
    assert not is_answered(UP, "expired")
    assert is_answered(UP, "rejected")
    assert is_answered(UP, "no_show")
    assert not is_answered(DOWN, "received")
    assert is_answered(DOWN, "acknowledged")


def test_a_sent_referral_expires_after_the_configured_days():
    sent = datetime(2025, 3, 14, 9, 30)
    assert not should_expire("sent", sent, sent + timedelta(days=3, seconds=-1))
    assert should_expire("sent", sent, sent + timedelta(days=3))
    assert not should_expire("accepted", sent, sent + timedelta(days=30))
    assert not should_expire("sent", sent, sent + timedelta(days=6), answer_within_days=7)


def test_the_check_on_an_upward_referral_is_due_two_weeks_after_sending():
    assert check_due_date(date(2025, 12, 25)) == date(2026, 1, 8)


def test_the_queue_puts_emergencies_first_then_the_oldest():
    day = datetime(2025, 3, 14, 8)
    queue = [
        ("normal", day),
        ("urgent", day + timedelta(hours=2)),
        ("emergency", day + timedelta(hours=3)),
        ("urgent", day + timedelta(hours=1)),
        ("emergency", day + timedelta(hours=4)),
    ]
    ordered = sorted(queue, key=lambda item: priority_key(*item))
    assert ordered == [queue[2], queue[4], queue[3], queue[1], queue[0]]


# --- Referral numbers


def test_referral_number_is_readable_and_parses_back():
    number = make_referral_number("c0123", date(2025, 3, 14), 7)
    assert number == "C0123-20250314-0007"
    assert parse_referral_number(" c0123-20250314-0007 ") == ("C0123", date(2025, 3, 14), 7)


@pytest.mark.parametrize(
    "text", ["", "C0123", "C0123-2025031-0007", "C0123-20250230-0001", "C0123-20250314-0000",
             "C 0123-20250314-0001", "C0123-20250314-00001"],
)  # fmt: skip
def test_malformed_referral_numbers_are_refused(text):
    with pytest.raises(DomainError) as caught:
        parse_referral_number(text)
    assert caught.value.problem.code == "referral.number_invalid"


def test_malformed_referral_number_message_in_chinese(zh):
    with pytest.raises(DomainError) as caught:
        parse_referral_number("abc")
    assert caught.value.message == "“abc”不是转诊单号，转诊单号形如 C0123-20250314-0007。"


@pytest.mark.parametrize(("code", "sequence"), [("", 1), ("C-1", 1), ("C01", 0), ("C01", 10000)])
def test_referral_number_needs_a_clean_code_and_a_sequence_in_range(code, sequence):
    with pytest.raises(ValueError):
        make_referral_number(code, date(2025, 1, 1), sequence)


# --- The slip before it is sent


def complete_slip(**changes):
    slip = {
        "diagnoses": [{"code": "I10", "name": "原发性高血压"}],
        "reason": "血压控制不佳，需调整用药",
        "treatment_so_far": "氨氯地平 5mg qd 三个月",
        "to_org_code": "H001",
        "to_department_code": "0301",
        "consent_given": True,
        "consent_signer": "张三（本人）",
        "urgency": "normal",
        "purpose": "outpatient",
    }
    return slip | changes


def codes(problems):
    return {p.code for p in problems}


def test_a_complete_slip_has_no_problem():
    assert submission_problems(complete_slip()) == []
    by_name = complete_slip(to_department_code=None, to_department_name="心内科")
    assert submission_problems(by_name) == []  # a department outside the directory


def test_an_empty_slip_lists_every_missing_field():
    problems = submission_problems({})
    assert {(p.code, p.field) for p in problems} == {
        ("referral.diagnosis_missing", "diagnoses"),
        ("referral.reason_missing", "reason"),
        ("referral.treatment_missing", "treatment_so_far"),
        ("referral.target_missing", "to_org_code"),
        ("referral.department_missing", "to_department_code"),
        ("referral.consent_missing", "consent_given"),
        ("referral.consent_signer_missing", "consent_signer"),
        ("referral.urgency_unknown", "urgency"),
        ("referral.purpose_unknown", "purpose"),
    }
    assert errors(problems) == problems


def test_blank_text_counts_as_missing():
    slip = complete_slip(reason="   ", diagnoses=[{"code": " ", "name": ""}])
    problems = submission_problems(slip)
    assert codes(problems) == {"referral.reason_missing", "referral.diagnosis_missing"}


def test_an_uncoded_diagnosis_is_accepted_and_flagged(zh):
    problems = submission_problems(complete_slip(diagnoses=[{"code": "", "name": "头晕待查"}]))
    assert [(p.code, p.severity) for p in problems] == [("referral.diagnosis_uncoded", Severity.FLAG)]
    assert errors(problems) == []
    assert problems[0].message == "“头晕待查”没有 ICD-10 编码，将按自由文本发送。"


def test_consent_must_be_given_not_merely_present():
    missing = {"referral.consent_missing"}
    assert codes(submission_problems(complete_slip(consent_given="yes"))) == missing
    assert codes(submission_problems(complete_slip(consent_given=False))) == missing


def test_an_emergency_needs_a_transport_assessment(en):
    problems = submission_problems(complete_slip(urgency="emergency"))
    assert [(p.code, p.field) for p in problems] == [("referral.transport_missing", "transport")]
    assert problems[0].message.startswith("Assess transport for an emergency")
    assessed = {"oxygen": False, "monitor": True, "stretcher": False, "escort": True, "120": False}
    slip = complete_slip(urgency="emergency", transport=assessed)
    assert submission_problems(slip) == []
    assert submission_problems(complete_slip(urgency="urgent")) == []


def test_submission_messages_in_chinese(zh):
    messages = {p.code: p.message for p in submission_problems(complete_slip(consent_signer=""))}
    assert messages == {"referral.consent_signer_missing": "请填写知情同意书签字人。"}


# --- Properties

directions = st.sampled_from([UP, DOWN])


@given(directions, st.data())
def test_random_walks_stop_at_terminal_states_and_never_leave_them(direction, data):
    status = None
    for _step in range(20):
        moves = [(to, actor) for actor in ALL_ACTORS for to in allowed_targets(direction, status, actor)]
        if status is not None and status in TERMINAL[direction]:
            assert moves == [] and is_terminal(direction, status)
            for target in referral.STATUSES[Direction(direction)]:
                for actor in ALL_ACTORS:
                    with pytest.raises(DomainError):
                        transition(direction, status, target, actor, reason="原因")
            return
        assert moves, f"{status} is a dead end but not terminal"
        target, actor = data.draw(st.sampled_from(moves))
        transition(direction, status, target, actor, reason="原因")
        status = target


@given(
    directions,
    st.sampled_from([None, *Status]),
    st.sampled_from(list(Status)),
    st.sampled_from(ALL_ACTORS),
)
def test_a_move_is_allowed_exactly_when_the_table_lists_it(direction, current, target, actor):
    known = referral.STATUSES[Direction(direction)]
    listed = actor in referral.TRANSITIONS.get((direction, current, target), ())
    if listed:
        transition(direction, current, target, actor, reason="原因")
        assert target in allowed_targets(direction, current, actor)
    else:
        with pytest.raises(DomainError):
            transition(direction, current, target, actor, reason="原因")
        if current is None or current in known:
            assert target not in allowed_targets(direction, current, actor)


@given(
    st.from_regex(r"[A-Za-z0-9]{1,30}", fullmatch=True),
    st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    st.integers(1, 9999),
)
def test_referral_numbers_round_trip(code, on, sequence):
    assert parse_referral_number(make_referral_number(code, on, sequence)) == (
        code.upper(),
        on,
        sequence,
    )


@given(st.lists(st.tuples(st.sampled_from(list(Urgency)), st.datetimes()), max_size=30))
def test_queue_order_never_puts_a_less_urgent_or_newer_referral_first(queue):
    rank = {"emergency": 0, "urgent": 1, "normal": 2}
    ordered = sorted(queue, key=lambda item: priority_key(*item))
    for (urgency_a, sent_a), (urgency_b, sent_b) in zip(ordered, ordered[1:], strict=False):
        assert rank[urgency_a] < rank[urgency_b] or (urgency_a == urgency_b and sent_a <= sent_b)


def test_the_next_number_follows_the_highest_of_the_day():
    from clinic_tui.domain.referral import number_after

    taken = ["C0123-20250314-0002", "C0123-20250314-0011", "C0123-20250313-0040", "C0123-20250314-x"]
    assert number_after("c0123", date(2025, 3, 14), taken) == "C0123-20250314-0012"
    assert number_after("C0123", date(2025, 3, 15), taken) == "C0123-20250315-0001"


def test_a_check_task_ends_at_completed_and_cancelled_only():
    from clinic_tui.domain.referral import check_ends

    ends = {status for status in referral.STATUSES[referral.Direction.UP] if check_ends("up", status)}
    assert ends == {referral.Status.COMPLETED, referral.Status.CANCELLED}
    assert not check_ends("down", "completed")


def test_the_clinic_pushes_the_upward_statuses_its_side_sets():
    # What the outbox sends and the hub accepts from a clinic (sync/outbox.py, hub referral_rules).
    assert CLINIC_UP_STATUSES == (Status.DRAFT, Status.REVIEW, Status.SENT, Status.CANCELLED)
