"""A lab order's page at 80x24 when the lab reports in parts and corrects (更正报告), driven by
keys on a copy of the demo database: a partial report with a critical potassium shows the tests
still to come and raises the header's red mark; F9 acknowledges it; a correction of the sodium to
a critical value (stored as a pull stores it) shows the corrected value marked, the earlier one,
who and why, and raises the red mark again until F9; each step is checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import select

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import LabEvent, LabOrder, Resident
from clinic_tui.screens import routes

K = {"code": "K", "name": "血钾", "value": "6.8", "unit": "mmol/L", "reference_range": "3.5-5.3", "flag": "critical"}
NA = {"code": "NA", "name": "血钠", "value": "139", "unit": "mmol/L", "reference_range": "137-147", "flag": "N"}


def _event(engine, order_id, arrival, to_status, results, **more) -> str:
    event_id = f"00000000-0000-4000-8000-00000000020{arrival}"
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:  # as a pull stores it (sync/apply.py)
        session.add(
            LabEvent(
                id=event_id,
                arrival=arrival,
                order_id=order_id,
                to_status=to_status,
                actor_name="检验科张护士",
                at=now,
                received_at=now,
                results=results,
                reporter="检验科张护士",
                reported_at=now,
                critical=any(r["flag"] == "critical" for r in results),
                **more,
            )
        )
    return event_id


def _ack(engine, order_id) -> str | None:
    with read_session(engine) as session:
        return session.get(LabOrder, order_id, populate_existing=True).critical_ack_event


async def test_a_partial_report_then_a_correction_to_critical_raises_the_mark_again(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        with read_session(engine) as session:
            resident = session.execute(select(Resident).where(Resident.deleted == False)).scalars().first()
        order_id, _number = app.store.lab.order(
            resident_id=resident.id,
            values={
                "items": [{"code": "K"}, {"code": "NA"}, {"code": "CREA"}],
                "specimen": "serum",
                "priority": "urgent",
                "collected_at": datetime.now(UTC),
                "collected_by": "王护士",
                "barcode": "S0012345",
            },
            user_id=app.user_id,
            send=True,
        )
        _event(engine, order_id, 1, "received", [])
        partial = _event(engine, order_id, 2, "received", [K], partial=True, pending=["NA", "CREA"], alert=True)
        app.refresh_header()
        assert app.header_text.startswith("危急值 1")
        await app.push_screen(routes.record_page("lab_order", order_id))
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LabOrderScreen" and app.screen.detail is not None)
        page = str(app.screen.query_one("#lab-corrections").render())
        assert "部分报告，尚待报告：血钠、肌酐" in page
        assert app.screen.detail.status == "received" and app.screen.detail.needs_critical_ack
        await pilot.press("f9")
        await wait_for(pilot, lambda: _ack(engine, order_id) == partial)
        await wait_for(pilot, lambda: not app.header_text.startswith("危急值"))

        _event(engine, order_id, 3, "reported", [K, NA, {**NA, "code": "CREA", "name": "肌酐", "value": "80"}])
        corrected = {**NA, "value": "118", "flag": "critical", "corrected": True}
        correction = {
            "code": "NA",
            "name": "血钠",
            "previous_value": "139",
            "previous_flag": "N",
            "value": "118",
            "flag": "critical",
            "unit": "mmol/L",
            "reason": "录入错误",
            "corrected_by": "检验科张护士",
            "corrected_at": datetime.now(UTC).isoformat(),
        }
        fixed = _event(engine, order_id, 4, "reported", [K, corrected], correction=correction, alert=True)
        app.screen.load()
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.report.corrections)
        app.refresh_header()
        assert app.header_text.startswith("危急值 1")  # raised again by the correction
        page = str(app.screen.query_one("#lab-corrections").render())
        assert (
            "139" in page and "118" in page and "现为危急值" in page and "录入错误" in page and "检验科张护士" in page
        )
        na = next(r for r in app.screen.detail.report.results if r.code == "NA")
        assert (na.value, na.flag, na.corrected) == ("118", "critical", True)
        answers = str(app.screen.query_one("#lab-answers").render())
        assert "部分报告" in answers and "报告已更正" in answers
        await pilot.press("f9")
        await wait_for(pilot, lambda: _ack(engine, order_id) == fixed)
        await wait_for(pilot, lambda: not app.header_text.startswith("危急值"))
        assert app.store.critical_values() == 0
