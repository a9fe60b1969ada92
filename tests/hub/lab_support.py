"""Lab orders as a clinic pushes them (docs/protocol.md, `lab_order`), for the hub's tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from clinic_tui.domain.lab import make_order_number
from clinic_tui.domain.numbers import MAX_DAILY_SEQUENCE
from tests.hub.conftest import make_record

_sequence = itertools.count(1)


def order_number(clinic_code: str) -> str:
    n = next(_sequence)
    day = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n // MAX_DAILY_SEQUENCE)
    return make_order_number(clinic_code, day.date(), n % MAX_DAILY_SEQUENCE + 1)


def make_order(
    clinic_code: str,
    status: str = "sent",
    priority: str = "routine",
    revision: int = 1,
    record_id: str | None = None,
    order_no: str | None = None,
    ordered_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    at = ordered_at or datetime.now(UTC)
    values: dict[str, Any] = dict(
        order_no=order_no or order_number(clinic_code),
        status=status,
        items=[{"code": "K", "name": "血钾"}, {"code": "NA", "name": "血钠"}, {"code": "CREA", "name": "肌酐"}],
        specimen="serum",
        priority=priority,
        fasting=False,
        clinical_diagnosis="乏力，服用利尿剂",
        resident_id=str(uuid.uuid4()),
        patient_name="李秀英",
        patient_sex="2",
        patient_birth_date="1956-03-02",
        patient_id_number="110105195603020026",
        ordered_at=at.isoformat(),
        ordering_doctor="张医生",
        attempt=1,
        collected_at=at.isoformat() if status in ("collected", "sent") else None,
        collected_by="王护士" if status in ("collected", "sent") else None,
        barcode="S0012345" if status in ("collected", "sent") else None,
        sent_at=at.isoformat() if status == "sent" else None,
        critical_ack_at=None,
        critical_ack_by=None,
    )
    values.update(fields)
    return make_record("lab_order", clinic_code, record_id, revision, **values)


RESULTS = {
    "results": [
        {"code": "K", "value": "6.8", "method": "离子选择电极法"},
        {"code": "NA", "value": "139"},
        {"code": "CREA", "value": "130"},
    ],
    "reviewer": "赵主任",
    "recognised": True,
}
