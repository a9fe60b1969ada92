"""Lab orders sent to the lead hospital's lab (标本送检, 结果回传, 结果互认; domain/lab.py).

Ownership (sync invariant 5, docs/architecture-sync.md): the clinic owns ``LabOrder`` (it writes
it, records the collection, sends it, cancels it, recollects after a rejection and acknowledges a
critical value, each a new revision); the lab's moves (received, rejected, reported with the
results) arrive by pull as ``LabEvent`` rows, which the clinic never edits. The state an order is
shown in is derived from both (``data/lab_orders.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from clinic_tui.data.models.base import HubRecord, SyncedRecord, UTCDateTime, json_list


class LabOrder(SyncedRecord, table=True):
    """One order as the clinic wrote it; every column is its wire form (docs/protocol.md)."""

    __tablename__ = "lab_order"

    order_no: str = Field(unique=True)  # <clinic code>-<YYYYMMDD>-L<seq> (domain.lab)
    status: str = Field(default="ordered", index=True)  # the clinic's own: ordered | collected | sent | cancelled
    items: list[dict] = json_list()  # [{"code", "name"}] from the county catalogue
    specimen: str  # domain.lab.Specimen
    priority: str = "routine"  # routine | urgent
    fasting: bool = False
    clinical_diagnosis: str = ""
    resident_id: str | None = Field(default=None, foreign_key="resident.id", index=True)
    patient_name: str
    patient_sex: str | None = None
    patient_birth_date: date | None = None
    patient_id_number: str | None = None
    ordered_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ordering_doctor: str | None = None
    # The specimen: 1 for the first, 2 after one recollection...; the lab's events name the one they are about.
    attempt: int = 1
    collected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    collected_by: str | None = None
    barcode: str | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The clinic doctor's acknowledgement of a critical value (危急值).
    critical_ack_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    critical_ack_by: str | None = None
    # The lab_event whose alert was acknowledged: a correction that makes a value critical raises a
    # new alert, which this one does not cover.
    critical_ack_event: str | None = None


class LabEvent(HubRecord, table=True):
    """One move of an order by the lab, as pulled; ``order_id`` is not a foreign key (like
    RemoteEvent: an answer about an order this database does not hold yet is kept)."""

    __tablename__ = "lab_event"

    arrival: int = Field(index=True)
    order_id: str = Field(index=True)
    order_no: str | None = None
    attempt: int = 1
    from_status: str | None = None
    to_status: str
    actor_name: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = None
    # reported: [{"code", "name", "value", "unit", "reference_range", "flag", "method"}]
    results: list[dict] = json_list()
    reporter: str | None = None
    reviewer: str | None = None
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    institution: str | None = None  # the performing institution
    recognised: bool = False  # 互认: recognised across the community
    critical: bool = False  # the results as they stand after this event hold a critical value
    # Results reported in part (the order stays received): ``pending`` are the tests still to come.
    partial: bool = False
    pending: list[str] = json_list()
    # 更正报告: {"code", "name", "previous_value", "previous_flag", "value", "flag", "unit", "reason",
    # "corrected_by", "corrected_at"}; ``results`` hold the corrected value, this the earlier one.
    correction: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    alert: bool = False  # this event raised the critical alert (a report, or a correction to critical)
    received_at: datetime = Field(sa_type=UTCDateTime)
