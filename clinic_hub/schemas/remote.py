"""Request and response models of the remote consultation and reading desk (issue 18)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from clinic_hub.schemas.desk import DeskModel

FEE_PATTERN = r"^\d{1,7}(\.\d{1,2})?$"  # yuan, as typed: "30", "30.5", "30.00"


class AcceptRemote(DeskModel):
    note: str | None = Field(None, max_length=2000)


class ReturnRemote(DeskModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")


class ScheduleRemote(DeskModel):
    scheduled_at: AwareDatetime = Field(description="With a time zone; stored and sent in UTC")
    expert: str = Field(min_length=1, max_length=100, pattern=r"\S")
    note: str | None = Field(None, max_length=2000)


class ReportRemote(DeskModel):
    """The report, signed by the caller (the reporting doctor is always the signed-in staff)."""

    findings: str = Field(min_length=1, max_length=4000, pattern=r"\S", description="所见")
    conclusion: str = Field(min_length=1, max_length=4000, pattern=r"\S", description="结论")
    advice: str | None = Field(None, max_length=4000, description="建议")
    reviewing_doctor: str | None = Field(None, max_length=100, description="审核医生")
    critical: bool = Field(False, description="危急值")
    critical_note: str | None = Field(None, max_length=2000, description="Required when critical")
    service_item_code: str | None = Field(None, max_length=40, description="收费项目编码")
    fee: str | None = Field(None, max_length=20, pattern=FEE_PATTERN, description="Yuan, e.g. 30.00")


class RemoteSummary(BaseModel):
    id: str
    request_no: str
    clinic_code: str
    service: str
    room: str
    urgency: str
    status: str
    deleted: bool = Field(False, description="Deleted by its clinic: kept, answered no more")
    overdue: bool = Field(description="Not accepted within the limit for its service and urgency")
    requested_at: datetime
    accepted_at: datetime | None = None
    scheduled_at: datetime | None = None
    expert: str | None = None
    reported_at: datetime | None = None
    critical: bool = False
    critical_ack_at: datetime | None = None
    critical_ack_by: str | None = None
    report_read_at: datetime | None = None
    report_read_by: str | None = None
    patient_name: str | None = None
    patient_sex: str | None = None
    attachments_total: int = Field(default=0, description="Files the request names")
    attachments_complete: int = Field(default=0, description="Of those, the files that arrived whole and verified")
    chunks_received: int = Field(default=0, description="Chunks received of the files not complete yet")
    chunks_total: int = Field(default=0, description="Chunks of all the request's files")


class RemoteReport(BaseModel):
    findings: str | None
    conclusion: str | None
    advice: str | None
    reporting_doctor: str | None
    reviewing_doctor: str | None
    signed_at: datetime | None
    critical: bool
    critical_note: str | None
    service_item_code: str | None
    fee: str | None


class RemoteMoveOut(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    actor_id: str | None
    reason: str | None
    at: datetime
    event_id: str | None


class RemoteAttachmentOut(BaseModel):
    sha256: str
    name: str
    size: int
    media_type: str
    complete: bool = Field(description="Arrived whole and hashed to its name: it can be opened")
    chunks_received: int
    chunks_total: int


class RemoteDetail(RemoteSummary):
    data: dict[str, Any] = Field(description="The request as the clinic wrote it")
    attachments: list[RemoteAttachmentOut] = Field(default_factory=list)
    report: RemoteReport | None = None
    history: list[RemoteMoveOut]


class RemoteList(BaseModel):
    requests: list[RemoteSummary]


class RemoteMoveResult(BaseModel):
    request: RemoteSummary
    event_id: str = Field(description="Id of the hub's remote_event record")
