"""Remote requests as a clinic pushes them (docs/protocol.md, `remote_request`), for the hub's tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from clinic_tui.domain.numbers import MAX_DAILY_SEQUENCE
from clinic_tui.domain.remote import make_request_number
from tests.hub.conftest import make_record

_sequence = itertools.count(1)


def request_number(clinic_code: str) -> str:
    """A fresh number of this clinic (the next day once a day's numbers are used up, so they never run out)."""
    n = next(_sequence)
    day = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n // MAX_DAILY_SEQUENCE)
    return make_request_number(clinic_code, day.date(), n % MAX_DAILY_SEQUENCE + 1)


def make_remote(
    clinic_code: str,
    service: str = "ecg",
    urgency: str = "routine",
    status: str = "requested",
    revision: int = 1,
    record_id: str | None = None,
    request_no: str | None = None,
    requested_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        request_no=request_no or request_number(clinic_code),
        service=service,
        urgency=urgency,
        status=status,
        resident_id=str(uuid.uuid4()),
        patient_name="李秀英",
        patient_sex="2",
        patient_birth_date="1956-03-02",
        patient_id_type="01",
        patient_id_number="110105195603020026",
        patient_phone="13900139000",
        requested_at=(requested_at or datetime.now(UTC)).isoformat(),
        requesting_doctor="张医生",
        department_wished=None,
        expert_wished=None,
        time_wished=None,
        question="胸闷两小时，心电图是否提示急性心肌缺血？",
        chief_complaint="胸闷2小时",
        present_illness="活动后胸闷，休息不缓解",
        history="高血压10年",
        findings="BP 150/95 mmHg",
        preliminary_diagnoses=[{"code": "I20.9", "name": "心绞痛", "system": "ICD-10"}],
        consent=True,
        source_kind="visit",
        source_id=str(uuid.uuid4()),
        report_read_at=None,
        report_read_by=None,
        critical_ack_at=None,
        critical_ack_by=None,
    )
    values.update(fields)
    return make_record("remote_request", clinic_code, record_id, revision, **values)


def revised(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The next revision of a pushed record with some fields changed."""
    revision = record["revision"] + 1
    data = {**record["data"], **fields, "revision": revision}
    return {**record, "revision": revision, "data": data}
