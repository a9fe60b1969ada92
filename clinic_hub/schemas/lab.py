"""Request and response models of the lab desk (issue 18, tests at the lead hospital)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from clinic_hub.schemas.desk import DeskModel


class ReceiveLab(DeskModel):
    note: str | None = Field(None, max_length=2000)


class RejectLab(DeskModel):
    reason: str = Field(
        min_length=1, max_length=2000, pattern=r"\S", description="e.g. 标本溶血; the clinic recollects"
    )


class ResultIn(DeskModel):
    """One test's result. ``flag`` is computed from the catalogue's ranges when ``value`` is a
    number (a "critical" entered always stands); a text result (阴性, 2+) needs its flag."""

    code: str = Field(min_length=1, max_length=20, description="The catalogue code of an ordered test")
    value: str = Field(min_length=1, max_length=100, pattern=r"\S")
    flag: Literal["N", "H", "L", "critical"] | None = None
    method: str | None = Field(None, max_length=100, description="检测方法")


class ReportLab(DeskModel):
    """The results of every ordered test, entered by the caller (the reporter); a reviewer (审核)."""

    results: list[ResultIn] = Field(min_length=1, max_length=30)
    reviewer: str | None = Field(None, max_length=100, description="审核者")
    institution: str | None = Field(
        None, max_length=200, description="Performing institution; the hub's hospital if none"
    )
    recognised: bool = Field(True, description="互认: recognised across the medical community")
    partial: bool = Field(
        False,
        description="Some tests now, the rest later: the order stays received until every test has its result",
    )


class CorrectLab(DeskModel):
    """更正报告: one reported result corrected, with the reason; the earlier value is kept."""

    code: str = Field(min_length=1, max_length=20, description="The catalogue code of a reported test")
    value: str = Field(min_length=1, max_length=100, pattern=r"\S")
    flag: Literal["N", "H", "L", "critical"] | None = None
    method: str | None = Field(None, max_length=100)
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S", description="Why the result is corrected")


class LabResult(BaseModel):
    code: str
    name: str
    value: str
    unit: str
    reference_range: str
    flag: str
    method: str | None = None
    corrected: bool = False


class LabCorrectionOut(BaseModel):
    code: str
    name: str
    previous_value: str
    previous_flag: str
    value: str
    flag: str
    reason: str
    corrected_by: str | None
    at: datetime
    event_id: str


class LabSummary(BaseModel):
    id: str
    order_no: str
    clinic_code: str
    specimen: str
    priority: str
    status: str
    clinic_status: str
    attempt: int
    deleted: bool = False
    barcode: str | None = None
    items: list[dict[str, Any]] = Field(default_factory=list)
    ordered_at: datetime
    sent_at: datetime | None = None
    received_at: datetime | None = None
    rejected_reason: str | None = None
    reported_at: datetime | None = None
    critical: bool = False
    critical_ack_at: datetime | None = None
    critical_ack_by: str | None = None
    critical_pending: bool = Field(
        False, description="A critical value whose latest alert the clinic has not acknowledged"
    )
    partial: bool = Field(False, description="Some results reported, the others still to come")
    patient_name: str | None = None
    patient_sex: str | None = None


class LabMoveOut(BaseModel):
    attempt: int
    from_status: str | None
    to_status: str
    actor: str
    actor_id: str | None
    reason: str | None
    at: datetime
    event_id: str | None


class LabDetail(LabSummary):
    data: dict[str, Any] = Field(description="The order as the clinic wrote it")
    results: list[LabResult] = Field(default_factory=list)
    reporter: str | None = None
    reviewer: str | None = None
    institution: str | None = None
    recognised: bool = False
    pending: list[str] = Field(default_factory=list, description="Ordered tests without a result yet")
    corrections: list[LabCorrectionOut] = Field(default_factory=list)
    history: list[LabMoveOut]


class LabList(BaseModel):
    orders: list[LabSummary]


class LabMoveResult(BaseModel):
    order: LabSummary
    event_id: str = Field(description="Id of the hub's lab_event record")
