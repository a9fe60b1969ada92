"""Lab orders driven by keys on a copy of the demo database (80x24): written from a resident's page
(the tests typed as catalogue codes, the specimen following from them), refused beside the field
with the typing kept, cancelled from its page, results with a critical value shown with their
flags and acknowledged with the header's red mark gone after, the order on the resident's
timeline. Each step is checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import select

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import LabEvent, LabOrder, OutboxEntry, Resident
from clinic_tui.screens import routes


def _a_resident(app) -> Resident:
    with read_session(app.store.engine) as session:
        return (
            session.execute(select(Resident).where(Resident.deleted == False).order_by(Resident.name)).scalars().first()
        )


def _orders(app, resident_id: str) -> list[LabOrder]:
    with read_session(app.store.engine) as session:
        return list(session.execute(select(LabOrder).where(LabOrder.resident_id == resident_id)).scalars())


def _outbox(app, order_id: str) -> OutboxEntry | None:
    with read_session(app.store.engine) as session:
        return session.get(OutboxEntry, ("lab_order", order_id))


def _screen(app, name: str) -> bool:
    return type(app.screen).__name__ == name and app.screen.is_mounted


async def _open_form(app, pilot, resident):
    await app.push_screen(routes.record_page("resident", resident.id))
    await wait_for(pilot, lambda: _screen(app, "ResidentScreen"))
    await pilot.press("f12")
    await wait_for(pilot, lambda: _screen(app, "LabFormScreen"))
    form = app.screen.form
    await wait_for(pilot, lambda: app.screen.focused is form.input("tests"))
    return form


async def test_order_tests_from_a_resident_page_then_cancel_them(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        form = await _open_form(app, pilot, resident)
        assert "K 血钾" in str(app.screen.query_one("#lab-legend").render())  # the catalogue, listed
        assert form.input("collected_by").value == app.user_name  # the signed-in doctor collects
        await pilot.press(*"k na crea", "enter", "backspace", "2")  # urgent
        form.input("barcode").focus()
        await pilot.press(*"S0012345")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _screen(app, "LabOrderScreen") and app.screen.detail is not None)
        (order,) = _orders(app, resident.id)
        assert [i["code"] for i in order.items] == ["K", "NA", "CREA"] and order.specimen == "serum"
        assert (order.status, order.priority, order.barcode) == ("sent", "urgent", "S0012345")
        assert order.collected_by == app.user_name and order.collected_at is not None
        assert order.order_no.endswith("-L0001") and _outbox(app, order.id).revision == 1
        assert any(order.order_no in n.message for n in app._notifications)

        await pilot.press("f7")
        await wait_for(pilot, lambda: _screen(app, "ConfirmScreen"))
        await pilot.press("y")
        await wait_for(pilot, lambda: _orders(app, resident.id)[0].status == "cancelled")
        assert _outbox(app, order.id).revision == 2
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.status == "cancelled")
        assert app.screen.detail.can_cancel is False


async def test_tests_of_two_specimens_are_refused_beside_the_field_and_the_typing_kept(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        form = await _open_form(app, pilot, resident)
        await pilot.press(*"K WBC")  # serum and whole blood: two tubes
        form.input("barcode").focus()
        await pilot.press(*"S0012345")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert _screen(app, "LabFormScreen") and _orders(app, resident.id) == []
        message = str(form.row("tests").query_one(".field-message").render())
        assert "同一份标本" in message
        assert form.input("tests").value == "K WBC"


async def test_critical_results_show_with_flags_and_are_acknowledged(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        resident = _a_resident(app)
        order_id, _number = app.store.lab.order(
            resident_id=resident.id,
            values={
                "items": [{"code": "K"}, {"code": "CREA"}],
                "specimen": "serum",
                "priority": "urgent",
                "collected_at": datetime.now(UTC),
                "collected_by": "王护士",
                "barcode": "S0012345",
            },
            user_id=app.user_id,
            send=True,
        )
        results = [
            {
                "code": "K",
                "name": "血钾",
                "value": "6.8",
                "unit": "mmol/L",
                "reference_range": "3.5-5.3",
                "flag": "critical",
            },
            {
                "code": "CREA",
                "name": "肌酐",
                "value": "130",
                "unit": "μmol/L",
                "reference_range": "57-111",
                "flag": "H",
            },
        ]
        with unit_of_work(engine) as session:  # the lab's results, as a pull stores them
            session.add(
                LabEvent(
                    id="00000000-0000-4000-8000-000000000118",
                    arrival=1,
                    order_id=order_id,
                    to_status="reported",
                    at=datetime.now(UTC),
                    received_at=datetime.now(UTC),
                    results=results,
                    reporter="检验科张护士",
                    reviewer="赵主任",
                    reported_at=datetime.now(UTC),
                    institution="县人民医院检验科",
                    recognised=True,
                    critical=True,
                )
            )
        app.refresh_header()
        assert app.header_text.startswith("危急值 1")
        await app.push_screen(routes.record_page("resident", resident.id))
        await wait_for(pilot, lambda: _screen(app, "ResidentScreen") and not app.workers)
        timeline = app.screen.query_one("#timeline")
        rows = [" ".join(str(c) for c in timeline.get_row_at(i)) for i in range(timeline.row_count)]
        assert any("血钾 6.8!" in row and "已报告" in row for row in rows)  # on the timeline

        await app.push_screen(routes.record_page("lab_order", order_id))
        await wait_for(pilot, lambda: _screen(app, "LabOrderScreen") and app.screen.detail is not None)
        assert app.screen.detail.needs_critical_ack
        shown = app.screen.query_one("#lab-state").render()
        assert "危急值" in str(shown)
        await pilot.press("f9")
        with read_session(engine) as session:
            await wait_for(pilot, lambda: session.get(LabOrder, order_id, populate_existing=True).critical_ack_at)
            acknowledged = session.get(LabOrder, order_id, populate_existing=True)
        assert acknowledged.critical_ack_by == app.user_name
        assert _outbox(app, order_id).revision == 2
        await wait_for(pilot, lambda: not app.header_text.startswith("危急值"))
        assert app.store.critical_values() == 0


async def test_what_is_typed_is_kept_as_a_draft_and_comes_back(tmp_path):
    from pilot_helpers import draft_data

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        await _open_form(app, pilot, resident)
        form_screen = app.screen
        await pilot.press(*"GLU HBA1C")
        await wait_for(pilot, lambda: draft_data(app, form_screen).get("tests") == "GLU HBA1C")
        draft = app.drafts.get(form_screen.draft_id)
        assert draft.form == "lab" and draft.context["resident_id"] == resident.id
        assert _orders(app, resident.id) == []
        again = routes.form_for_draft(draft)
        await app.push_screen(again)
        await wait_for(pilot, lambda: app.screen is again and again.form.input("tests").value == "GLU HBA1C")


async def test_the_palette_opens_the_list_and_its_filters_cycle(tmp_path):
    from textual.command import CommandPalette

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        app.store.lab.order(
            resident_id=resident.id,
            values={"items": [{"code": "GLU"}], "specimen": "serum", "priority": "routine"},
            user_id=app.user_id,
        )
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"jyd")  # 检验单 by its pinyin initials
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app, "LabOrdersScreen"))
        _rows, counts = app.store.lab.page()
        assert counts == {"all": 6, "waiting": 3, "rejected": 1, "critical": 0}  # the demo's five and this one
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: table.row_count == 6)
        await pilot.press("f6")  # awaiting results: sent, received, and this one (ordered)
        await wait_for(pilot, lambda: app.screen.which == "waiting" and not app.workers)
        await wait_for(pilot, lambda: table.row_count == 3)
        await pilot.press("f6")  # rejected
        await wait_for(pilot, lambda: app.screen.which == "rejected" and not app.workers)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert "标本" not in str(table.get_row_at(0)[2]) and "白细胞计数" in str(table.get_row_at(0)[2])


async def test_the_dashboards_critical_banner_opens_the_lab_list_when_only_lab_values_wait(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        assert app.store.critical_values() == 0  # the demo's remote critical value is acknowledged
        resident = _a_resident(app)
        order_id, _ = app.store.lab.order(
            resident_id=resident.id,
            values={"items": [{"code": "K"}], "specimen": "serum", "priority": "urgent"},
            user_id=app.user_id,
        )
        with unit_of_work(app.store.engine) as session:
            session.add(
                LabEvent(
                    id="00000000-0000-4000-8000-000000000119",
                    arrival=1,
                    order_id=order_id,
                    to_status="reported",
                    at=datetime.now(UTC),
                    received_at=datetime.now(UTC),
                    results=[{"code": "K", "name": "血钾", "value": "2.5", "flag": "critical"}],
                    critical=True,
                )
            )
        await app.switch_mode("dashboard")
        app.screen.action_refresh()
        banner = app.screen.query_one("#dashboard-critical")
        await wait_for(pilot, lambda: banner.display and "1" in str(banner.render()))
        await pilot.press("0")
        await wait_for(pilot, lambda: _screen(app, "LabOrdersScreen") and app.screen.which == "critical")
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: table.row_count == 1)


async def test_a_rejected_specimen_is_collected_again_with_a_new_barcode_and_sent(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        order_id, _ = app.store.lab.order(
            resident_id=resident.id,
            values={
                "items": [{"code": "WBC"}, {"code": "HGB"}],
                "specimen": "whole_blood_edta",
                "priority": "routine",
                "collected_at": datetime.now(UTC),
                "collected_by": "王护士",
                "barcode": "B0000001",
            },
            user_id=app.user_id,
            send=True,
        )
        with unit_of_work(app.store.engine) as session:
            session.add(
                LabEvent(
                    id="00000000-0000-4000-8000-000000000120",
                    arrival=1,
                    order_id=order_id,
                    to_status="rejected",
                    reason="标本凝固",
                    at=datetime.now(UTC),
                    received_at=datetime.now(UTC),
                )
            )
        await app.push_screen(routes.record_page("lab_order", order_id))
        await wait_for(pilot, lambda: _screen(app, "LabOrderScreen") and app.screen.detail is not None)
        assert app.screen.detail.status == "rejected" and "标本凝固" in str(app.screen.query_one("#lab-state").render())
        await pilot.press("f8")
        await wait_for(pilot, lambda: _screen(app, "ReasonScreen"))
        await pilot.press(*"a b", "enter")  # not a barcode: said under the box, nothing written
        await pilot.pause(0.2)
        assert _screen(app, "ReasonScreen") and _orders(app, resident.id)[0].attempt == 1
        await pilot.press("backspace", "backspace", "backspace", *"B0000002", "enter")
        await wait_for(pilot, lambda: _orders(app, resident.id)[0].status == "sent")
        (order,) = _orders(app, resident.id)
        assert (order.attempt, order.barcode, order.collected_by) == (2, "B0000002", app.user_name)
        assert _outbox(app, order_id).revision == 3
        await wait_for(pilot, lambda: _screen(app, "LabOrderScreen") and app.screen.detail.status == "sent")
