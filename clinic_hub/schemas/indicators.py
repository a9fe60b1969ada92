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
    contracts: ContractIndicators


class IndicatorsResponse(BaseModel):
    month: str
    clinics: list[ClinicIndicators]
