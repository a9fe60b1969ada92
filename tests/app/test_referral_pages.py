"""The referral list and page, driven by keys on a copy of the demo database (80x24)."""

from __future__ import annotations

import webbrowser

import pytest
from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import select
from textual.widgets import DataTable, Static

from clinic_tui.data.db import read_session
from clinic_tui.data.models import OutboxEntry, Referral, ReferralEvent


@pytest.fixture(autouse=True)
def no_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No system viewer in tests: record what would have been opened instead."""
    opened: list[str] = []

    class Recorder(webbrowser.BackgroundBrowser):
        def open(self, url, new=0, autoraise=True):
            opened.append(url)
            return True

    monkeypatch.setattr(webbrowser, "get", lambda using=None: Recorder("true"))
    return opened


def _referral(app, **where) -> Referral:
    with read_session(app.store.engine) as session:
        statement = select(Referral)
        for name, value in where.items():
            statement = statement.where(getattr(Referral, name) == value)
        return session.execute(statement.order_by(Referral.referral_no)).scalars().first()


def _table_keys(app) -> list[str]:
    table = app.screen.query_one("#results", DataTable)
    return [row.key.value for row in table.rows.values()]


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _open_list(app, pilot) -> None:
    await sign_in(app, pilot)
    await pilot.press("ctrl+e")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ReferralsScreen" and _table_keys(app))


async def _open_referral(app, pilot, referral: Referral) -> None:
    """From the list, move the cursor to ``referral`` and press Enter."""
    await wait_for(pilot, lambda: referral.id in _table_keys(app))
    table = app.screen.query_one("#results", DataTable)
    table.focus()
    table.move_cursor(row=_table_keys(app).index(referral.id))
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ReferralScreen" and app.screen.detail is not None)


async def test_filters_by_direction_and_status_group(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        with read_session(app.store.engine) as session:
            total = len(session.execute(select(Referral.id)).all())
            upward_sent = {
                r
                for (r,) in session.execute(
                    select(Referral.id).where(Referral.direction == "up", Referral.status.in_(["review", "sent"]))
                )
            }
        assert len(_table_keys(app)) == total

        await pilot.press("f5")  # both -> upward
        await wait_for(pilot, lambda: all(_referral(app, id=k).direction == "up" for k in _table_keys(app)))
        await pilot.press("f6")  # all -> waiting
        await wait_for(pilot, lambda: set(_table_keys(app)) == upward_sent)
        assert f"{len(upward_sent)}" in _text(app, "#filters")

        await pilot.press("f5")  # upward -> downward: waiting ones are the received
        await wait_for(pilot, lambda: {_referral(app, id=k).status for k in _table_keys(app)} == {"received"})


async def test_search_by_referral_number_and_green_channel_mark(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        emergency = _referral(app, urgency="emergency", status="draft")
        await pilot.press("f7")
        await pilot.press(*emergency.referral_no[-13:])
        await wait_for(pilot, lambda: _table_keys(app) == [emergency.id])
        table = app.screen.query_one("#results", DataTable)
        assert "绿色通道" in str(table.get_row(emergency.id)[3])

        await pilot.press("enter")  # to the table
        await _open_referral(app, pilot, emergency)
        assert "绿色通道" in _text(app, "#referral-state")


async def test_a_search_answered_late_for_an_earlier_query_does_not_replace_the_results(tmp_path):
    """The list's loads run in threads; one for the box as it was a key ago can end after the one
    for what it holds now (CI met it in tmux: every referral listed under a typed number)."""
    import threading

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        emergency = _referral(app, urgency="emergency", status="draft")
        number = emergency.referral_no
        referrals = app.store.referrals  # one object per store (a cached property)
        real_page = referrals.page
        release = threading.Event()

        def page(filter_, **kwargs):
            if filter_.text != number:  # every query but the whole number answers late
                release.wait(5)
            return real_page(filter_, **kwargs)

        referrals.page = page
        await pilot.press("f7")
        await pilot.press(*number)
        await wait_for(pilot, lambda: _table_keys(app) == [emergency.id])
        release.set()  # now the loads for the shorter queries answer
        await pilot.pause(0.5)
        assert _table_keys(app) == [emergency.id]
        assert "1-1" in _text(app, "#status")


async def test_cancel_unanswered_referral_with_a_reason(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        sent = _referral(app, direction="up", status="sent")
        await _open_referral(app, pilot, sent)
        assert "医院尚未答复" in _text(app, "#referral-state")

        await pilot.press("f7")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReasonScreen")
        await pilot.press("enter")  # no reason: refused, the box stays open
        await wait_for(pilot, lambda: "原因" in _text(app, "#reason-error"))
        assert _referral(app, id=sent.id).status == "sent"

        await pilot.press(*"patient went elsewhere", "enter")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "ReferralScreen" and app.screen.detail.referral.status == "cancelled",
        )
        assert "已撤销" in _text(app, "#referral-state")

    cancelled = _referral(app, id=sent.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "patient went elsewhere"
    with read_session(app.store.engine) as session:
        event = session.execute(
            select(ReferralEvent).where(ReferralEvent.referral_id == sent.id, ReferralEvent.to_status == "cancelled")
        ).scalar_one()
        assert (event.from_status, event.actor, event.actor_name) == ("sent", "clinic", "李建国")
        assert event.reason == "patient went elsewhere"
        assert session.get(OutboxEntry, ("referral", sent.id)).revision == cancelled.revision
        assert session.get(OutboxEntry, ("referral_event", event.id)) is not None


async def test_cancelling_an_accepted_referral_is_refused_with_the_rules_message(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        accepted = _referral(app, direction="up", status="accepted")
        await _open_referral(app, pilot, accepted)
        assert "医院已接收" in _text(app, "#referral-state")

        await pilot.press("f7")
        await wait_for(pilot, lambda: any("不能从“已接收”变为“已撤销”" in str(n.message) for n in app._notifications))
        assert type(app.screen).__name__ == "ReferralScreen"  # no reason asked for
    assert _referral(app, id=accepted.id).status == "accepted"
    assert _referral(app, id=accepted.id).revision == accepted.revision


async def test_export_slip_saves_html_and_text_named_by_number(tmp_path, no_browser):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        referral = _referral(app, direction="up", status="accepted")
        await _open_referral(app, pilot, referral)
        await pilot.press("f8")
        folder = tmp_path / "data" / "slips"
        html = folder / f"{referral.referral_no}.html"
        await wait_for(pilot, lambda: any(str(html) in str(n.message) for n in app._notifications))

    text = (folder / f"{referral.referral_no}.txt").read_text(encoding="utf-8-sig")
    page = html.read_text(encoding="utf-8")
    assert referral.referral_no in text and referral.patient_name in text
    assert "size: A4" in page and referral.patient_name in page and "石桥镇青石村卫生室" in page
    assert no_browser == [html.resolve().as_uri()]


async def test_the_dashboard_marks_emergency_referrals_as_the_green_channel(tmp_path):
    from clinic_tui.screens.dashboard import DashboardScreen

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.data is not None)
        await pilot.press("3")  # referrals waiting for an answer
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == len(app.screen.data.referrals_waiting) > 0)
        details = [str(table.get_row_at(row)[2]) for row in range(table.row_count)]
        emergencies = [item for item in app.screen.data.referrals_waiting if item.urgency == "emergency"]
        marked = [detail for detail in details if detail.startswith("绿色通道")]
        assert emergencies and len(marked) == len(emergencies)
