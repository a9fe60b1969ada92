"""Referrals (转诊单) both ways, and the history of their status.

Ownership (sync invariant 5, docs/architecture-sync.md): the clinic owns the referrals it writes
and its own status moves; the hospital's answers arrive as ``ReferralEvent`` rows of origin "hub",
and downward referrals as ``Referral`` rows of origin "hub". ``Referral.status`` is the effective
status, recomputed locally from the events, so applying a hospital answer never counts as a clinic
edit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field

from clinic_tui.data.models.base import SyncedRecord, UTCDateTime, json_dict, json_list


class Referral(SyncedRecord, table=True):
    referral_no: str = Field(unique=True)  # clinic code + date + sequence, printed on the slip
    origin: str = "clinic"  # clinic | hub (downward referrals are the hospital's records)
    direction: str = "up"  # up 上转 | down 下转
    purpose: str = "outpatient"  # outpatient | inpatient | exam | other
    urgency: str = "normal"  # normal 普通 | urgent 紧急 | emergency 急诊 (green channel)
    status: str = Field(default="draft", index=True)
    referral_date: date = Field(index=True)
    resident_id: str | None = Field(default=None, foreign_key="resident.id", index=True)
    source_visit_id: str | None = None
    # The resident block as it was when the slip was written.
    patient_name: str
    patient_sex: str | None = None
    patient_birth_date: date | None = None
    patient_id_type: str | None = None
    patient_id_number: str | None = None
    patient_phone: str | None = None
    patient_address: str | None = None
    patient_insurance_type: str | None = None
    patient_insurance_no: str | None = None
    from_org_code: str | None = None
    from_org_name: str | None = None
    from_department: str | None = None
    from_doctor_id: str | None = None
    from_doctor_name: str | None = None
    from_doctor_phone: str | None = None
    to_org_code: str | None = None
    to_org_name: str | None = None
    to_department_code: str | None = None
    to_department_name: str | None = None
    to_doctor_wished: str | None = None
    wished_date: date | None = None
    diagnoses: list[dict] = json_list()  # [{"code", "name", "system", "version"}]
    reason: str | None = None
    chief_complaint: str | None = None
    present_illness: str | None = None
    past_history: str | None = None
    past_history_kinds: list[str] = json_list()
    treatment_so_far: str | None = None
    examinations: list[dict] = json_list()  # [{"item", "result", "abnormal"}]
    # The lead hospital's results the doctor chose for the slip (domain/slip_results.py), copied:
    # [{"source", "source_id", "code", "item", "value", "unit", "reference_range", "flag",
    #   "institution", "reported_at", "recognised", "order_no"}]. Optional on the wire.
    results: list[dict] = Field(default_factory=list, sa_column_kwargs={"server_default": "[]"}, sa_type=JSON)
    medications: list[dict] = json_list()  # [{"drug", "dose", "unit", "frequency", "route", "days"}]
    allergies: str | None = None
    precautions: str | None = None
    consent_given: bool = False
    consent_by: str | None = None  # patient | family
    consent_signer: str | None = None
    transport: dict = json_dict()  # oxygen, monitor, stretcher, escort, ambulance_120 (emergencies)
    cancel_reason: str | None = None
    # Downward referrals only (written by the hospital).
    discharge_diagnoses: list[dict] = json_list()
    outcome: str | None = None  # 1 治愈 2 好转 3 稳定 4 恶化 5 死亡 9 其他
    treatment_plan: str | None = None
    rehab_guidance: str | None = None
    medication_to_continue: str | None = None
    followup_schedule: list[dict] = json_list()  # [{"after_days", "what"}]


class ReferralEvent(SyncedRecord, table=True):
    """One status move of a referral, by the clinic or (origin "hub") by the hospital."""

    __tablename__ = "referral_event"

    referral_id: str = Field(foreign_key="referral.id", index=True)
    origin: str = "clinic"  # clinic | hub
    from_status: str | None = None
    to_status: str
    actor: str  # clinic | reviewer | hospital | system
    actor_name: str | None = None
    reason: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)
    # Filled by the hospital when it accepts.
    appointment_department_code: str | None = None
    appointment_department_name: str | None = None
    appointment_doctor: str | None = None
    appointment_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    appointment_slot_id: str | None = None
    # Filled instead of appointment_at/slot when the hospital admits (an inpatient referral).
    admission_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bed_pool_id: str | None = None
