"""What the hub sends down: the hospital directory, places, and the diagnosis catalogue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic_tui.data.models.base import HubRecord


class Hospital(HubRecord, table=True):
    code: str = Field(index=True)
    name: str
    level: str | None = None
    phone: str | None = None
    address: str | None = None


class Department(HubRecord, table=True):
    hospital_id: str = Field(foreign_key="hospital.id", index=True)
    code: str
    name: str
    active: bool = True


class SlotPool(HubRecord, table=True):
    """Outpatient slots a department keeps for primary care on one day (at least a third, seed 001)."""

    __tablename__ = "slot_pool"
    __table_args__ = (Index("ix_slot_pool_department_day", "department_id", "day"),)

    department_id: str = Field(foreign_key="department.id")
    day: date
    total: int
    reserved_for_primary: int
    remaining: int


class BedPool(HubRecord, table=True):
    """Inpatient beds a department keeps for primary care on one admission day (at least a quarter,
    seed 001). As the hub sends it; the clinic only reads it."""

    __tablename__ = "bed_pool"
    __table_args__ = (Index("ix_bed_pool_department_day", "department_id", "day"),)

    department_id: str = Field(foreign_key="department.id")
    day: date
    total: int
    reserved_for_primary: int
    remaining: int


class Division(SQLModel, table=True):
    """A township or village of the county (statistical division codes; they change yearly)."""

    code: str = Field(primary_key=True)  # 9 digits township, 12 digits village
    name: str
    level: str  # township | village
    parent_code: str | None = Field(default=None, index=True)
    version: str | None = None


class DiagnosisCode(SQLModel, table=True):
    """One diagnosis of a code system: built-in ICD-10 lists or a county's imported official list."""

    __tablename__ = "diagnosis_code"
    __table_args__ = (UniqueConstraint("system", "version", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    system: str
    version: str
    code: str = Field(index=True)
    name: str
    pinyin: str = Field(index=True)
    initials: str = Field(index=True)
    level: int = 3  # characters before the dot: 3 category, 4 subcategory, more for extensions
    curated: bool = False  # on the primary-care short list, offered first
    active: bool = True
    note: str = ""  # the common clinical name (冠心病) or a remark, on the curated list
    note_keys: str = ""  # pinyin initials and full pinyin of each clinical name in the note, space-separated
