"""Results reported in parts and corrected (更正报告), end to end with a real clinic-hub on
loopback: the lab reports the potassium first (critical: the clinic's header counts it at once,
the order still received with the others pending), the doctor acknowledges; the rest follows and
reports the order; the lab corrects the sodium to a critical value with a reason: the clinic shows
the corrected value marked, the earlier one, who, when and why, and the critical alert is raised
again until acknowledged, the acknowledgement naming the correction reaching the hub; a later
correction of the potassium away from critical says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from clinic_tui.data.lab_orders import acknowledge_critical, detail, order
from clinic_tui.data.store import Store
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .test_lab_e2e import PREFIX, VALUES, _lab, _post, _setup


def test_partial_results_then_the_rest_then_a_correction_to_critical(hub, small_clinic, clinic_settings):
    engine = small_clinic
    token, settings, resident, doctor = _setup(hub, engine, clinic_settings)
    collected = {
        "collected_at": datetime.now(UTC).replace(microsecond=0),
        "collected_by": "王护士",
        "barcode": "S0088001",
    }
    order_id, order_no = order(
        engine, resident_id=resident.id, values={**VALUES, **collected}, user_id=doctor.id, send=True
    )
    assert run_sync(engine, settings, token=token).outcome == "ok"
    store = Store(Path(database_path(engine)), engine)
    lab = _lab(hub)
    try:
        _post(lab, order_no, "receive")
        _post(lab, order_no, "results", {"results": [{"code": "K", "value": "6.9"}], "partial": True})
        assert run_sync(engine, settings, token=token).outcome == "ok"
        shown = detail(engine, order_id)
        assert shown.status == "received" and shown.report.partial
        assert shown.report.pending == ("血钠", "肌酐")
        assert [(r.code, r.flag) for r in shown.report.results] == [("K", "critical")]
        assert shown.needs_critical_ack and store.critical_values() == 1
        acknowledge_critical(engine, order_id, user_id=doctor.id)
        assert store.critical_values() == 0

        _post(lab, order_no, "results", {"results": [{"code": "NA", "value": "139"}, {"code": "CREA", "value": "80"}]})
        assert run_sync(engine, settings, token=token).outcome == "ok"
        shown = detail(engine, order_id)
        assert shown.status == "reported" and not shown.report.partial and len(shown.report.results) == 3
        assert not shown.needs_critical_ack  # the potassium was acknowledged; nothing new is critical

        fixed = _post(lab, order_no, "corrections", {"code": "NA", "value": "118", "reason": "录入错误，复核后更正"})
        assert run_sync(engine, settings, token=token).outcome == "ok"
        shown = detail(engine, order_id)
        na = next(r for r in shown.report.results if r.code == "NA")
        assert (na.value, na.flag, na.corrected) == ("118", "critical", True)
        [c] = shown.report.corrections
        assert (c.previous_value, c.value, c.reason, c.corrected_by) == (
            "139",
            "118",
            "录入错误，复核后更正",
            "desk user",
        )
        assert c.made_critical and shown.needs_critical_ack and store.critical_values() == 1
        assert [a.what for a in shown.answers] == ["", "partial", "", "correction"]
        acknowledge_critical(engine, order_id, user_id=doctor.id)
        assert store.critical_values() == 0
        assert run_sync(engine, settings, token=token).outcome == "ok"
        at_hub = lab.get(f"{PREFIX}/{order_no}").json()
        assert at_hub["critical_pending"] is False and at_hub["critical_ack_by"] == doctor.name
        assert fixed["event_id"]

        _post(lab, order_no, "corrections", {"code": "K", "value": "4.9", "reason": "标本溶血致假性升高"})
        assert run_sync(engine, settings, token=token).outcome == "ok"
        shown = detail(engine, order_id)
        assert [c.code for c in shown.report.corrections] == ["NA", "K"]
        assert shown.report.corrections[1].cleared_critical
        assert shown.report.critical  # the sodium stays critical, and acknowledged
        assert not shown.needs_critical_ack and store.critical_values() == 0
    finally:
        lab.close()
