"""The lab order form and page at 80x24, in Chinese and in English (pytest-textual-snapshot).

The page: an urgent serum order, reported with a critical potassium and a high creatinine by the
county hospital's lab, recognised (互认), not yet acknowledged: the state, the critical mark and the
results table with units, ranges and flags must show on the first screen. The form: opened with
F12 from a resident's page, the tests typed, the catalogue listed under it. Accept deliberate
changes with ``--snapshot-update`` on these tests only, after looking at the pictures. The setup
(fixed day, China time, no cursor blink) is that of ``test_snapshots.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pilot_helpers import LANGUAGES, screen_is, steady, until

RESIDENT = "1909a7ec-26c9-43d7-8ad7-f58404755498"  # a demo resident with a visit
AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 in the clinic
REPORTED = datetime(2026, 11, 20, 4, 10, tzinfo=UTC)


async def _signed_in(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: screen_is(app, "DashboardScreen") and app.user_name in app.header_text)


def _reported_order(app) -> str:
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.lab_orders import order
    from clinic_tui.data.models import LabEvent

    engine = app.store.engine
    order_id, _number = order(
        engine,
        resident_id=RESIDENT,
        values={
            "items": [{"code": "K"}, {"code": "NA"}, {"code": "CREA"}, {"code": "UREA"}],
            "specimen": "serum",
            "priority": "urgent",
            "clinical_diagnosis": "乏力，服用利尿剂",
            "collected_at": AT,
            "collected_by": "王护士",
            "barcode": "S0012345",
        },
        user_id=app.user_id,
        send=True,
        now=AT,
    )
    results = [
        ("K", "血钾", "6.8", "mmol/L", "3.5-5.3", "critical"),
        ("NA", "血钠", "139", "mmol/L", "137-147", "N"),
        ("CREA", "肌酐", "130", "μmol/L", "57-111", "H"),
        ("UREA", "尿素", "7.2", "mmol/L", "3.1-8.0", "N"),
    ]
    with unit_of_work(engine) as session:  # the lab's moves, as a pull stores them
        for arrival, status, when in ((1, "received", AT.replace(hour=3)), (2, "reported", REPORTED)):
            session.add(
                LabEvent(
                    id=f"00000000-0000-4000-8000-00000000011{arrival}",
                    arrival=arrival,
                    order_id=order_id,
                    to_status=status,
                    actor_name="检验科张护士",
                    at=when,
                    received_at=when,
                    results=[
                        dict(zip(("code", "name", "value", "unit", "reference_range", "flag"), r, strict=True))
                        for r in results
                    ]
                    if status == "reported"
                    else [],
                    reporter="检验科张护士" if status == "reported" else None,
                    reviewer="赵主任" if status == "reported" else None,
                    reported_at=REPORTED if status == "reported" else None,
                    institution="县人民医院检验科" if status == "reported" else None,
                    recognised=status == "reported",
                    critical=status == "reported",
                )
            )
    return order_id


async def _at_order_page(pilot) -> None:
    from clinic_tui.screens.routes import record_page

    app = pilot.app
    await _signed_in(pilot)
    order_id = _reported_order(app)
    app.refresh_header()
    await app.push_screen(record_page("lab_order", order_id))
    await until(pilot, lambda: screen_is(app, "LabOrderScreen") and app.screen.detail is not None)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


async def _at_form(pilot) -> None:
    from clinic_tui.screens.routes import record_page

    app = pilot.app
    await _signed_in(pilot)
    await app.push_screen(record_page("resident", RESIDENT))
    await until(pilot, lambda: screen_is(app, "ResidentScreen") and not app.workers)
    await pilot.press("f12")
    await until(pilot, lambda: screen_is(app, "LabFormScreen") and app.screen.focused is not None)
    form = app.screen.form
    form.input("collected_at").value = "2026-11-20 09:30"  # the fixed day's morning, not the clock's
    await pilot.press(*"K NA CREA")
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_order_page(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_order_page, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_order_form(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_form, terminal_size=(80, 24))


def _corrected_order(app) -> str:
    """The order above, its sodium corrected by the lab to a critical 118 (更正报告) after the
    doctor acknowledged the potassium: the alert raised again, the earlier 139 shown."""
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import LabEvent, LabOrder

    engine = app.store.engine
    order_id = _reported_order(app)
    corrected_at = REPORTED.replace(hour=6)
    with unit_of_work(engine) as session:
        order = session.get(LabOrder, order_id)
        order.critical_ack_at = REPORTED.replace(hour=5)
        order.critical_ack_by = app.user_name
        order.critical_ack_event = "00000000-0000-4000-8000-000000000112"
        reported = session.get(LabEvent, "00000000-0000-4000-8000-000000000112")
        reported.alert = True
        results = [dict(r) for r in reported.results]
        results[1] = {**results[1], "value": "118", "flag": "critical", "corrected": True}
        session.add(
            LabEvent(
                id="00000000-0000-4000-8000-000000000113",
                arrival=3,
                order_id=order_id,
                from_status="reported",
                to_status="reported",
                actor_name="检验科张护士",
                at=corrected_at,
                received_at=corrected_at,
                reason="录入错误，复核后更正",
                results=results,
                reporter="检验科张护士",
                reviewer="赵主任",
                reported_at=REPORTED,
                institution="县人民医院检验科",
                recognised=True,
                critical=True,
                alert=True,
                correction={
                    "code": "NA",
                    "name": "血钠",
                    "previous_value": "139",
                    "previous_flag": "N",
                    "value": "118",
                    "flag": "critical",
                    "unit": "mmol/L",
                    "reason": "录入错误，复核后更正",
                    "corrected_by": "检验科张护士",
                    "corrected_at": corrected_at.isoformat(),
                },
            )
        )
    return order_id


async def _at_corrected_page(pilot) -> None:
    from clinic_tui.screens.routes import record_page

    app = pilot.app
    await _signed_in(pilot)
    order_id = _corrected_order(app)
    app.refresh_header()
    await app.push_screen(record_page("lab_order", order_id))
    await until(pilot, lambda: screen_is(app, "LabOrderScreen") and app.screen.detail is not None)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_order_page_with_a_correction(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_corrected_page, terminal_size=(80, 24))
