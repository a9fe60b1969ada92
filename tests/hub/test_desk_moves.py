"""The move every desk shares (clinic_hub/desk_moves.py): each desk's refusals keep their own codes,
numbers and words in both languages, on SQLite and PostgreSQL. The moves themselves (events, rows,
history) are proven through each desk: test_desk.py, test_lab_desk.py, test_remote_desk.py,
test_exam_bookings.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clinic_hub import desk, desk_moves, exam_desk, lab_desk, remote_desk
from clinic_hub.errors import ApiError
from clinic_hub.messages import MESSAGES, message

DESKS = {
    "referral": (desk.REFERRALS, desk._summary_query, "referral_no"),
    "lab": (lab_desk.LAB, lab_desk._query, "order_no"),
    "remote": (remote_desk.REMOTE, remote_desk._query, "request_no"),
    "exam": (exam_desk.EXAM, exam_desk._query, "booking_no"),
}


def _worded(refused: ApiError) -> None:
    for language in ("zh", "en"):
        assert refused.code in MESSAGES[language]
        assert "{" not in message(refused.code, language, **refused.params)


@pytest.mark.parametrize("name", DESKS)
def test_an_unknown_number_is_refused_in_each_desks_own_words(hub, name):
    one, query, number = DESKS[name]
    with hub.engine.begin() as conn, pytest.raises(ApiError) as refused:
        desk_moves.find(conn, one, query(), " no-such-1 ", lock=True)
    assert (refused.value.status, refused.value.code) == (404, f"{name}_not_found")
    assert refused.value.params == {number: " no-such-1 "}  # as the caller typed it
    _worded(refused.value)


@pytest.mark.parametrize("name", ["lab", "remote", "exam"])
def test_a_request_moved_since_the_page_was_shown_is_refused_as_taken(name):
    one, _query, number = DESKS[name]
    row = SimpleNamespace(status="reported", **{number: "QS0101-20261203-X0001"})
    with pytest.raises(ApiError) as refused:
        desk_moves.check(one, row, "reported", expected="received")
    assert (refused.value.status, refused.value.code) == (409, f"{name}_taken")
    assert refused.value.params[number] == "QS0101-20261203-X0001"
    _worded(refused.value)


def test_the_examination_desk_names_the_state_in_words_and_the_others_by_code():
    row = SimpleNamespace(status="reported", booking_no="B1", order_no="L1", request_no="R1")
    states = {name: desk_moves.taken(DESKS[name][0], row).params["state"] for name in ("lab", "remote", "exam")}
    assert states["lab"] == states["remote"] == "reported" and states["exam"] != "reported"


@pytest.mark.parametrize(
    ("name", "target", "reason", "status", "code"),
    [
        ("lab", "received", None, 409, "illegal_transition"),  # reported -> received: no such move
        ("exam", "returned", "", 422, "reason_required"),
        ("remote", "returned", None, 409, "illegal_transition"),
    ],
)
def test_a_move_the_state_machine_refuses_says_why(name, target, reason, status, code):
    row = SimpleNamespace(status="reported", booking_no="B1", order_no="L1", request_no="R1")
    if name == "exam":
        row.status = "booked"
    with pytest.raises(ApiError) as refused:
        desk_moves.check(DESKS[name][0], row, target, reason)
    assert (refused.value.status, refused.value.code) == (status, code)
