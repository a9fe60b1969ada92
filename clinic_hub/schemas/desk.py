"""Request and response models of the referral desk (used by the HTTP API and the CLI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

Text = Field(None, max_length=4000)


class DeskModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL stores no NUL character in text or JSONB: refuse it here as a 422, not a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain the NUL character")
        return value


BOOKINGS = ("outpatient", "inpatient")


class AcceptRequest(DeskModel):
    department_code: str = Field(min_length=1, max_length=40)
    appointment_at: AwareDatetime = Field(
        description="With a time zone; the slot day (or, inpatient, the admission day) is the China day"
    )
    doctor: str | None = Field(None, max_length=100)
    over_quota: bool = Field(False, description="Allow booking past the reserved pool (green channel)")
    booking: Literal["outpatient", "inpatient"] | None = Field(
        None,
        description="An outpatient slot or an inpatient bed; default: inpatient when the slip's purpose is inpatient",
    )
    note: str | None = Field(None, max_length=4000, description="Required (the reason) for a bed over the quota")


class RejectRequest(DeskModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")


class MoveRequest(DeskModel):
    note: str | None = Text


class Diagnosis(DeskModel):
    code: str | None = Field(None, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    system: str | None = Field("ICD-10", max_length=40)


class FollowupItem(DeskModel):
    after_days: int = Field(ge=0, le=3650)
    what: str = Field(min_length=1, max_length=200)


class SendDownRequest(DeskModel):
    clinic_code: str = Field(min_length=1, max_length=40, description="The clinic that takes the patient")
    up_referral_no: str | None = Field(None, max_length=64, description="Copy the patient block from it")
    resident_id: str | None = Field(None, max_length=36)
    patient_name: str | None = Field(None, max_length=100, description="Required unless copied from up_referral_no")
    patient_sex: str | None = Field(None, max_length=2, description="GB/T 2261.1: 0 1 2 9")
    patient_birth_date: date | None = None
    patient_id_type: str | None = Field(None, max_length=2, description="CV02.01.101")
    patient_id_number: str | None = Field(None, max_length=40)
    patient_phone: str | None = Field(None, max_length=40)
    patient_address: str | None = Field(None, max_length=400)
    patient_insurance_type: str | None = Field(None, max_length=10)
    patient_insurance_no: str | None = Field(None, max_length=40)
    department_code: str | None = Field(None, max_length=40)
    doctor: str | None = Field(None, max_length=100)
    discharge_diagnoses: list[Diagnosis] = Field(default_factory=list, max_length=50)
    outcome: Literal["1", "2", "3", "4", "5", "9"] | None = Field(
        None, description="1 治愈 2 好转 3 稳定 4 恶化 5 死亡 9 其他"
    )
    treatment_plan: str | None = Text
    rehab_guidance: str | None = Text
    medication_to_continue: str | None = Text
    followup_schedule: list[FollowupItem] = Field(default_factory=list, max_length=50)
    reason: str | None = Text


class ReferralSummary(BaseModel):
    id: str
    referral_no: str
    direction: str
    clinic_code: str
    status: str
    urgency: str
    purpose: str | None = None
    to_department_code: str | None = None
    referral_date: str | None = None
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    appointment_department_code: str | None = None
    appointment_at: datetime | None = None
    patient_name: str | None = None
    patient_sex: str | None = None


class ReferralMoveOut(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    actor_id: str | None
    reason: str | None
    at: datetime
    event_id: str | None


class ReferralDetail(ReferralSummary):
    data: dict[str, Any] = Field(description="The referral record as its owner wrote it")
    history: list[ReferralMoveOut]


class ReferralList(BaseModel):
    referrals: list[ReferralSummary]


class MoveResult(BaseModel):
    referral: ReferralSummary
    event_id: str = Field(description="Id of the hub's referral_event (or referral) record")
    slot: dict[str, Any] | None = Field(None, description="The booked slot or, inpatient, the booked bed")
