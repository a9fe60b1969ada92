"""Column types and the common fields every record carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Table, TypeDecorator
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig

# Pydantic builds each model's validator and serializer when its class is made unless told to wait
# for their first use; table models are rarely validated (rows come from SQL, records are made
# with keywords), so building them lazily shortens importing the data layer at start-up.
LAZY = SQLModelConfig(defer_build=True)


def new_id() -> str:
    """A record id made where the record is created, so two clinics never collide (data invariant 1)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite, which has no timezone type.

    Stored naive in UTC; read back aware. A naive value handed in is refused rather than guessed.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def table_of(model: type[SQLModel]) -> Table:
    """``model.__table__``, typed: SQLModel's stubs do not declare the table of a table model."""
    return model.__table__  # type: ignore[attr-defined]


def json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON)


def json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSON)


class SyncedRecord(SQLModel):
    """A clinic-owned record: synced to the hub, audited, never hard-deleted."""

    model_config = LAZY

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    clinic_id: str = Field(foreign_key="clinic.id", index=True)
    # Not a foreign key: records pulled from the hub name hospital staff the clinic does not hold.
    author_id: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revision: int = Field(default=1)
    deleted: bool = Field(default=False)  # a tombstone syncs like any other change


class HubRecord(SQLModel):
    """A record the hub owns and the clinic receives by pull (ids and revisions are the hub's)."""

    model_config = LAZY

    id: str = Field(primary_key=True, max_length=36)
    revision: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted: bool = Field(default=False)
