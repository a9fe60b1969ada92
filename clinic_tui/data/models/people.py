"""Clinics, their staff, and the residents they care for (一人一档)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from clinic_tui.data.models.base import SyncedRecord, UTCDateTime, json_list, new_id, utcnow


class Clinic(SQLModel, table=True):
    """A village clinic or township health centre (the local database normally holds one)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str = Field(unique=True)  # institution code, also the prefix of referral numbers
    name: str
    level: str = "village"  # village | township | community
    division_code: str | None = None  # 12-digit village or 9-digit township code
    division_name: str | None = None
    lead_hospital_code: str | None = None
    lead_hospital_name: str | None = None
    phone: str | None = None
    address: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Staff(SyncedRecord, table=True):
    """A doctor, nurse or other member of the clinic who signs records (sync kind "user")."""

    name: str
    role: str = "doctor"  # doctor | village_doctor | nurse | public_health | admin
    title: str | None = None
    phone: str | None = None
    practitioner_no: str | None = None
    # "scrypt$<salt hex>$<hash hex>"; never synced (see data.sync_payload)
    pin_hash: str | None = None
    active: bool = True


class Resident(SyncedRecord, table=True):
    """A resident's health record (WS 365 basic data set, the fields a village clinic uses)."""

    __table_args__ = (
        Index(
            "uq_resident_document",
            "id_type",
            "id_number",
            unique=True,
            sqlite_where=text("deleted = 0 AND id_number IS NOT NULL"),
        ),
        Index("ix_resident_name", "name"),
        Index("ix_resident_phone", "phone"),
    )

    name: str
    sex: str = "9"  # GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 not stated
    birth_date: date | None = None
    id_type: str = "01"  # CV02.01.101: 01 居民身份证 ... 99 其他
    id_number: str | None = None
    phone: str | None = None
    ethnicity: str | None = None
    # Address, with the division code and a snapshot of its name and version (codes change yearly).
    address: str | None = None
    division_code: str | None = None
    division_name: str | None = None
    division_version: str | None = None
    health_record_no: str | None = Field(default=None, max_length=17)
    insurance_type: str | None = None  # domain.codes.INSURANCE_TYPE: 1 职工 2 城乡居民 9 其他
    insurance_no: str | None = None
    emergency_contact: str | None = None
    emergency_phone: str | None = None
    chronic_conditions: list[str] = json_list()  # CV02.10.006 codes, e.g. ["02", "03"]
    manual_population_tags: list[str] = json_list()  # tags data cannot derive: maternal, disabled...
    notes: str | None = None
    # Search keys (data invariant 5), kept up to date by the data layer whenever name, ID or phone change.
    name_pinyin: str | None = Field(default=None, index=True)
    name_initials: str | None = Field(default=None, index=True)
    id_number_rev: str | None = Field(default=None, index=True)  # reversed: ID tails by prefix
    phone_rev: str | None = Field(default=None, index=True)
