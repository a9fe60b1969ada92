"""A past visit or follow-up opens read-only, its date in the title; F6 edits it, the title says so
(issue 14.2: typing meant for a new visit went into a visit of 2025-09-18 and was kept as its draft)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pilot_helpers import app_on_demo_copy, draft_data, sign_in, wait_for
from textual.widgets import Input, Static

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.lookups import current_clinic
from clinic_tui.data.models import Followup, Resident, Visit
from clinic_tui.messages import OpenRecord


def _past_records(engine) -> dict[str, str]:
    with unit_of_work(engine) as session:
        clinic = current_clinic(session)
        resident = records.create(
            session,
            Resident(
                clinic_id=clinic.id, name="周往诊", sex="1", birth_date=date(1955, 5, 1), chronic_conditions=["02"]
            ),
            None,
        )
        visit = records.create(
            session,
            Visit(
                clinic_id=clinic.id,
                resident_id=resident.id,
                visit_at=datetime(2025, 9, 18, 2, 30, tzinfo=UTC),
                chief_complaint="头晕",
                sbp=150,
                dbp=95,
                diagnoses=[{"code": "I10", "name": "高血压", "system": "s", "version": "v"}],
            ),
            None,
        )
        followup = records.create(
            session,
            Followup(
                clinic_id=clinic.id,
                resident_id=resident.id,
                disease="hypertension",
                followup_date=date(2025, 9, 18),
                sbp=150,
                dbp=95,
            ),
            None,
        )
        return {"visit": visit.id, "followup": followup.id}


def _title(app) -> str:
    return str(app.screen.query_one(".form-title", Static).render())


@pytest.mark.parametrize("kind, first_field", [("visit", "chief_complaint"), ("followup", "sbp")])
async def test_a_past_record_opens_read_only_and_f6_edits_it(tmp_path, kind, first_field):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        record_id = _past_records(app.store.engine)[kind]
        app.post_message(OpenRecord(kind, record_id))  # as Enter on a row of the resident's page
        await wait_for(pilot, lambda: getattr(app.screen, "record_id", None) == record_id and app.screen.is_mounted)
        form = app.screen
        await pilot.pause()
        assert "2025-09-18" in _title(app) and "只读" in _title(app) and "修改" not in _title(app)
        field = form.form.input(first_field)
        before = field.value
        await pilot.press(*"12", "ctrl+s")
        await pilot.pause(1.2)  # longer than the draft delay
        assert field.value == before and app.screen is form and form.record_id == record_id
        assert draft_data(app, form) == {}  # nothing typed, nothing kept as this record's draft
        assert not any(i.has_focus for i in form.query(Input))
        assert any(b.binding.id == "form.edit" and b.enabled for b in app.active_bindings.values())
        await pilot.press("f6")
        await wait_for(pilot, lambda: "修改" in _title(app))
        assert "2025-09-18" in _title(app) and "只读" not in _title(app)
        field.focus()
        await pilot.press("end", "9")
        assert field.value == before + "9"
