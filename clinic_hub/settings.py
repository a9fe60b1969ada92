"""Hub settings: where the database is and the protocol limits. Read from arguments or env."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from clinic_tui.sync import wire

DEFAULT_DB_URL = "sqlite:///clinic-hub.db"  # relative to the current directory
DB_ENV = "CLINIC_HUB_DB"


def database_url_from(value: str | None) -> str:
    """The SQLAlchemy URL for ``value`` (a URL or a file path), else env, else the default file."""
    url = value or os.environ.get(DB_ENV) or DEFAULT_DB_URL
    if "://" not in url:  # a bare path means a SQLite file
        return f"sqlite:///{url}"
    # psycopg 3 is the only PostgreSQL driver we ship; accept the usual spellings of the URL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: database_url_from(None))
    max_body_bytes: int = wire.MAX_BODY_BYTES
    max_inflated_bytes: int = wire.MAX_INFLATED_BYTES
    max_push_records: int = wire.MAX_PUSH_RECORDS
