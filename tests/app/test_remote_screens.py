"""Remote requests driven by keys on a copy of the demo database (80x24): written from a
resident's page, withdrawn from its page, and a critical value acknowledged, with the header's
red mark gone after. Each step is checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import select

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import OutboxEntry, RemoteEvent, RemoteRequest, Resident
from clinic_tui.screens import routes

QUESTION = "ST elevation in II III aVF?"


def _a_resident(app) -> Resident:
    with read_session(app.store.engine) as session:
        return (
            session.execute(select(Resident).where(Resident.deleted == False).order_by(Resident.name)).scalars().first()
        )


def _requests(app, resident_id: str) -> list[RemoteRequest]:
    with read_session(app.store.engine) as session:
        return list(session.execute(select(RemoteRequest).where(RemoteRequest.resident_id == resident_id)).scalars())


def _outbox(app, request_id: str) -> OutboxEntry | None:
    with read_session(app.store.engine) as session:
        return session.get(OutboxEntry, ("remote_request", request_id))


def _screen(app, name: str) -> bool:
    return type(app.screen).__name__ == name and app.screen.is_mounted


async def test_write_a_request_from_a_resident_page_then_withdraw_it(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        assert _requests(app, resident.id) == []
        await app.push_screen(routes.record_page("resident", resident.id))
        await wait_for(pilot, lambda: _screen(app, "ResidentScreen"))
        await pilot.press("f10")
        await wait_for(pilot, lambda: _screen(app, "RemoteFormScreen"))
        form = app.screen.form
        await wait_for(pilot, lambda: app.screen.focused is form.input("service"))
        # 3 = ECG read; urgency starts as 1 (routine), confirmed with Enter or changed: 2 = urgent.
        await pilot.press("3", "enter", "backspace", "2", "enter", *QUESTION)
        form.input("consent").focus()
        await pilot.press("1")

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _screen(app, "RemoteRequestScreen") and app.screen.detail is not None)
        (request,) = _requests(app, resident.id)
        assert (request.service, request.urgency, request.question) == ("ecg", "urgent", QUESTION)
        assert request.status == "requested" and request.consent is True
        assert request.requesting_doctor == app.user_name
        assert request.request_no.endswith("-R0001")
        assert _outbox(app, request.id).revision == 1
        assert any(request.request_no in n.message for n in app._notifications)

        await pilot.press("f7")
        await wait_for(pilot, lambda: _screen(app, "ConfirmScreen"))
        await pilot.press("y")
        await wait_for(pilot, lambda: _requests(app, resident.id)[0].status == "withdrawn")
        assert _outbox(app, request.id).revision == 2
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.status == "withdrawn")
        assert app.screen.detail.can_withdraw is False


async def test_a_request_refused_says_why_beside_the_field_and_keeps_the_typing(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        await app.push_screen(routes.record_page("resident", resident.id))
        await wait_for(pilot, lambda: _screen(app, "ResidentScreen"))
        await pilot.press("f10")
        await wait_for(pilot, lambda: _screen(app, "RemoteFormScreen"))
        form = app.screen.form
        await wait_for(pilot, lambda: app.screen.focused is form.input("service"))
        await pilot.press("3", "enter", "enter", *QUESTION)
        form.input("time_wished").focus()
        await pilot.press(*"2026-11-25 15:30")
        form.input("consent").focus()
        await pilot.press("0")  # not yet agreed
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert _screen(app, "RemoteFormScreen")
        assert _requests(app, resident.id) == []
        messages = {row: str(form.row(row).query_one(".field-message").render()) for row in ("time_wished", "consent")}
        assert "视频会诊" in messages["time_wished"] and "同意" in messages["consent"]
        assert form.input("question").value == QUESTION


async def test_acknowledging_a_critical_value_clears_the_header_mark(tmp_path):
    app = app_on_demo_copy(tmp_path)
    engine = None
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        resident = _a_resident(app)
        request_id, _number = app.store.remote.submit(
            resident_id=resident.id,
            values={"service": "ecg", "urgency": "urgent", "question": QUESTION, "consent": True},
            user_id=app.user_id,
        )
        with unit_of_work(engine) as session:  # the hospital's report, as a pull stores it
            session.add(
                RemoteEvent(
                    id="00000000-0000-4000-8000-000000000018",
                    arrival=100,
                    request_id=request_id,
                    to_status="reported",
                    at=datetime.now(UTC),
                    received_at=datetime.now(UTC),
                    conclusion="急性下壁心肌梗死",
                    critical=True,
                    critical_note="ST 段抬高",
                )
            )
        app.refresh_header()
        assert app.header_text.startswith("危急值 1")
        await app.push_screen(routes.record_page("remote_request", request_id))
        await wait_for(pilot, lambda: _screen(app, "RemoteRequestScreen") and app.screen.detail is not None)
        assert app.screen.detail.needs_critical_ack
        await pilot.press("f9")
        with read_session(engine) as session:
            await wait_for(
                pilot, lambda: session.get(RemoteRequest, request_id, populate_existing=True).critical_ack_at
            )
            acknowledged = session.get(RemoteRequest, request_id, populate_existing=True)
        assert acknowledged.critical_ack_by == app.user_name
        assert _outbox(app, request_id).revision == 2
        await wait_for(pilot, lambda: not app.header_text.startswith("危急值"))
        assert app.store.critical_values() == 0


async def test_what_is_typed_is_kept_as_a_draft_and_comes_back(tmp_path):
    from pilot_helpers import draft_data

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        await app.push_screen(routes.record_page("resident", resident.id))
        await wait_for(pilot, lambda: _screen(app, "ResidentScreen"))
        await pilot.press("f10")
        await wait_for(pilot, lambda: _screen(app, "RemoteFormScreen"))
        form_screen = app.screen
        await wait_for(pilot, lambda: app.screen.focused is form_screen.form.input("service"))
        await pilot.press("4", "enter", "enter", *QUESTION)
        await wait_for(pilot, lambda: draft_data(app, form_screen).get("question") == QUESTION)
        draft = app.drafts.get(form_screen.draft_id)
        assert draft.form == "remote" and draft.context["resident_id"] == resident.id
        assert _requests(app, resident.id) == []  # a draft is never a record (nor on the wire)

        again = routes.form_for_draft(draft)  # as the drafts list reopens it (after a kill, say)
        await app.push_screen(again)
        await wait_for(pilot, lambda: app.screen is again and again.form.input("question").value == QUESTION)
        assert again.form.input("service").value == "4"


async def test_f10_on_a_past_visit_asks_about_that_visit(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        from clinic_tui.data.models import Visit

        with read_session(app.store.engine) as session:
            visit = session.execute(
                select(Visit).where(Visit.deleted == False, Visit.sbp.is_not(None)).limit(1)
            ).scalar_one()
        await app.push_screen(routes.screen_for(app.store, "visit", visit.id))  # read only, as from the timeline
        await wait_for(pilot, lambda: _screen(app, "VisitFormScreen"))
        await pilot.press("f10")
        await wait_for(pilot, lambda: _screen(app, "RemoteFormScreen"))
        form = app.screen
        assert form.context == {"resident_id": visit.resident_id, "visit_id": visit.id}
        assert f"{visit.sbp}/{visit.dbp}" in form.form.input("findings").value
        assert form.record_values(form.form.parse_all()[0])["source_id"] == visit.id
