"""Examination bookings as a clinic pushes them (docs/protocol.md, `exam_booking`), for the hub's tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clinic_tui.domain.exam import make_booking_number
from clinic_tui.domain.numbers import MAX_DAILY_SEQUENCE
from tests.hub.conftest import make_record

_sequence = itertools.count(1)


def booking_number(clinic_code: str) -> str:
    n = next(_sequence)
    day = date(2025, 1, 1) + timedelta(days=n // MAX_DAILY_SEQUENCE)
    return make_booking_number(clinic_code, day, n % MAX_DAILY_SEQUENCE + 1)


def make_booking(
    clinic_code: str,
    day: date,
    item_code: str = "CT_HEAD",
    status: str = "booked",
    revision: int = 1,
    record_id: str | None = None,
    booking_no: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        booking_no=booking_no or booking_number(clinic_code),
        status=status,
        item_code=item_code,
        item_name="头颅CT平扫",
        day=day.isoformat(),
        priority="routine",
        clinical_diagnosis="头痛待查",
        question="排除颅内出血",
        resident_id=str(uuid.uuid4()),
        patient_name="李秀英",
        patient_sex="2",
        patient_birth_date="1956-03-02",
        patient_id_number="110105195603020026",
        booked_at=datetime.now(UTC).isoformat(),
        booking_doctor="张医生",
        critical_ack_at=None,
        critical_ack_by=None,
    )
    values.update(fields)
    return make_record("exam_booking", clinic_code, record_id, revision, **values)
