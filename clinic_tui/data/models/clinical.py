"""Visits (门诊/巡诊), chronic follow-ups (高血压/2型糖尿病 随访) and follow-up tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from clinic_tui.data.models.base import SyncedRecord, UTCDateTime, json_list


class Visit(SyncedRecord, table=True):
    __table_args__ = (Index("ix_visit_resident_time", "resident_id", "visit_at"),)

    resident_id: str = Field(foreign_key="resident.id")
    visit_at: datetime = Field(sa_type=UTCDateTime, index=True)
    mode: str = "1"  # domain.codes.VISIT_MODE: 1 门诊 2 家庭 3 电话 4 巡诊
    doctor_id: str | None = None
    institution_code: str | None = None
    village_code: str | None = None
    chief_complaint: str | None = None
    sbp: int | None = None  # mmHg
    dbp: int | None = None
    heart_rate: int | None = None
    temperature_c: float | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    glucose_mmol: float | None = None
    glucose_kind: str | None = None  # fasting | random | postprandial_2h
    # [{"code", "name", "system", "version"}]; an uncoded free-text diagnosis has code None.
    diagnoses: list[dict] = json_list()
    treatment: str | None = None
    prescription: str | None = None
    fee_fen: int = 0  # money is integer fen
    referral_flag: bool = False
    notes: str | None = None


class Followup(SyncedRecord, table=True):
    """One chronic-disease follow-up, per the national basic public health service spec (3rd ed.)."""

    __table_args__ = (Index("ix_followup_resident_date", "resident_id", "followup_date"),)

    resident_id: str = Field(foreign_key="resident.id")
    disease: str  # hypertension | diabetes
    followup_date: date
    mode: str = "1"  # 1 门诊 2 家庭 3 电话
    doctor_id: str | None = None
    institution_code: str | None = None
    village_code: str | None = None
    symptoms: list[str] = json_list()
    symptoms_other: str | None = None
    sbp: int | None = None
    dbp: int | None = None
    weight_kg: float | None = None
    weight_target_kg: float | None = None
    height_cm: float | None = None
    bmi: float | None = None
    heart_rate: int | None = None
    temperature: float | None = None  # °C; over 39 is a diabetes emergency criterion
    other_signs: str | None = None
    cigarettes_per_day: int | None = None
    cigarettes_target: int | None = None
    alcohol_ml_per_day: int | None = None
    alcohol_target_ml: int | None = None
    exercise_times_per_week: int | None = None
    exercise_minutes: int | None = None
    salt_intake: str | None = None  # light | moderate | heavy (轻/中/重)
    psych_adjustment: str | None = None  # good | fair | poor (良好/一般/差)
    compliance: str | None = None  # good | fair | poor
    auxiliary_exams: str | None = None
    adherence: str | None = None  # regular | intermittent | none (规律/间断/不服药)
    adverse_reaction: str | None = None  # None: no adverse reaction | present | hard_to_control
    adverse_reaction_note: str | None = None  # which medicine, what happened (表上 "有___")
    classification: str | None = None  # 1 控制满意 2 控制不满意 3 不良反应 4 并发症
    suggested_classification: str | None = None  # what the rules suggested
    override_reason: str | None = None  # why the doctor chose otherwise
    medications: list[dict] = json_list()  # [{"name", "times_per_day", "dose"}]
    referral_reason: str | None = None
    referral_org: str | None = None
    referral_result: str | None = None
    next_date: date | None = Field(default=None, index=True)
    # Type 2 diabetes only.
    dorsalis_pedis: str | None = None  # normal | weak | absent (触及正常/减弱/消失)
    staple_food_g: int | None = None
    fasting_glucose: float | None = None
    postprandial_glucose: float | None = None
    hba1c: float | None = None
    hba1c_date: date | None = None
    hypoglycemia: str | None = None  # none | occasional | frequent (无/偶尔/频繁)
    insulin_kind: str | None = None
    insulin_dose: str | None = None


class Task(SyncedRecord, table=True):
    """Something the clinic must do by a date: check on a referral, see a downward-referred patient."""

    resident_id: str | None = Field(default=None, foreign_key="resident.id", index=True)
    kind: str  # referral_check | followup | downward_followup
    title: str
    due_date: date = Field(index=True)
    source_kind: str | None = None  # the record that caused it (e.g. "referral")
    source_id: str | None = None
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = None


class FollowupDue(SQLModel, table=True):
    """When each managed patient's next follow-up is due, per disease (derived, local, not synced).

    Kept by ``data.followup_due`` in the same transaction as the follow-up or resident that changes
    it, so the dashboard reads one indexed table instead of grouping every follow-up ever made.
    """

    __tablename__ = "followup_due"

    resident_id: str = Field(foreign_key="resident.id", primary_key=True)
    disease: str = Field(primary_key=True)  # hypertension | diabetes
    next_date: date = Field(index=True)
    last_followup_id: str | None = None  # None: managed but never followed up yet
