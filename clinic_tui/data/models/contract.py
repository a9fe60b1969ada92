"""Family-doctor teams, service packages, contracts (家庭医生签约) and the services delivered."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field

from clinic_tui.data.models.base import SyncedRecord, json_list


class Team(SyncedRecord, table=True):
    name: str
    org_code: str | None = None
    leader_id: str | None = Field(default=None, foreign_key="staff.id")
    members: list[dict] = json_list()  # [{"staff_id" or "name", "role"}]; specialists may join
    active: bool = True


class ServicePackage(SyncedRecord, table=True):
    __tablename__ = "service_package"

    code: str = Field(index=True)
    name: str
    kind: str = "basic"  # basic or a key-population tag (elderly_65, hypertension, ...)
    price_fen: int = 0
    year: int | None = None
    items: list[dict] = json_list()  # [{"code", "name", "yearly_count"}]
    active: bool = True


class Contract(SyncedRecord, table=True):
    __table_args__ = (
        Index("ix_contract_resident_period", "resident_id", "start_date"),
        Index("ix_contract_status_end", "status", "end_date"),
    )

    contract_no: str = Field(unique=True)
    kind: str = "new"  # new 新签 | renewal 续签
    subject: str = "individual"  # individual | household
    household_rep_id: str | None = Field(default=None, foreign_key="resident.id")
    resident_id: str = Field(foreign_key="resident.id")
    year: int
    signed_date: date
    start_date: date
    end_date: date
    org_code: str | None = None
    team_id: str | None = Field(default=None, foreign_key="team.id")
    doctor_id: str | None = None
    operator_id: str | None = None
    population_tags: list[str] = json_list()
    package_codes: list[str] = json_list()
    service_modes: list[str] = json_list()  # clinic | home | phone | online
    # Money in integer fen; the three parts must sum to the total (domain.contract).
    fee_total_fen: int = 0
    fee_insurance_fen: int = 0
    fee_public_health_fen: int = 0
    fee_self_fen: int = 0
    resident_signed: bool = False
    doctor_signed: bool = False
    status: str = "pending"  # pending | active | expiring | renewed | expired | terminated
    terminated_on: date | None = None
    termination_reason: str | None = None  # 1..5, 9
    termination_note: str | None = None
    previous_contract_id: str | None = Field(default=None, foreign_key="contract.id")


class ServiceRecord(SyncedRecord, table=True):
    """A delivered service (履约记录) counted against a contract's package item."""

    __tablename__ = "service_record"

    contract_id: str = Field(foreign_key="contract.id", index=True)
    item_code: str
    delivered_on: date
    staff_id: str | None = None
    source_kind: str | None = None  # visit | followup
    source_id: str | None = None
    note: str | None = None
