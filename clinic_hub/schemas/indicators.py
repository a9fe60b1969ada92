"""Response models of the indicators endpoint (the queries are in ``clinic_hub.indicators``)."""

from __future__ import annotations

from pydantic import BaseModel


class StatusCounts(BaseModel):
    total: int = 0
    by_status: dict[str, int] = {}


class PopulationCoverage(BaseModel):
    residents: int
    signed: int
    coverage: float | None


class ContractIndicators(BaseModel):
    by_status: dict[str, int]
    signed_in_month: int
    residents: int
    signed_residents: int
    coverage: float | None
    key_populations: dict[str, PopulationCoverage]


class ClinicIndicators(BaseModel):
    clinic_code: str
    clinic_name: str
    upward: StatusCounts
    downward: StatusCounts
    downward_share: float | None
    upward_sent: int
    answered_within_24h: int
    answered_within_24h_share: float | None
    upward_to_hospital: int  # upward referrals that reached the hospital (not drafts, not under review)
    upward_accepted: int  # of those, accepted by the hospital (accepted, arrived, no_show, completed)
    upward_arrived: int  # of those, the patient arrived (arrived, completed): an effective referral
    accepted_share: float | None
    effective_share: float | None  # 有效转诊率: arrived / reached the hospital
    contracts: ContractIndicators


class ReservedSlotUse(BaseModel):
    """One department's reserved outpatient slots (or inpatient bed days) of a month."""

    department_code: str
    department_name: str
    reserved: int  # slots (bed days) reserved for primary care, summed over the month's days
    used: int  # of those, taken by accepted referrals
    over_quota: int  # bookings beyond the reserved pool (green channel; beds: with a reason)
    used_share: float | None


class IndicatorsResponse(BaseModel):
    month: str
    clinics: list[ClinicIndicators]
    reserved_slots: list[ReservedSlotUse] = []  # the hospital's, per department, for the month's days
    reserved_beds: list[ReservedSlotUse] = []  # the same for inpatient bed days (seed 001: a quarter)
