"""Hub settings: where the database is and the protocol limits. Read from arguments or env."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from clinic_tui.sync import wire

DEFAULT_DB_URL = "sqlite:///clinic-hub.db"  # relative to the current directory
DB_ENV = "CLINIC_HUB_DB"
ATTACHMENTS_ENV = "CLINIC_HUB_ATTACHMENTS"
DEFAULT_ATTACHMENTS = "clinic-hub-attachments"  # relative to the current directory


ABANDONED_ENV = "CLINIC_HUB_ABANDONED_UPLOAD_DAYS"
PRUNE_INTERVAL_ENV = "CLINIC_HUB_PRUNE_INTERVAL_HOURS"


def _env_float(name: str, default: float) -> float:
    """A number from the environment; an unreadable or negative one is the default (said at start-up
    by the log of the first prune, never a crash of the server)."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value >= 0 else default


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
    # Where attachment files live (docs/hub.md, "Attachments"): a folder on a disk the hub's backup
    # copies with the database. None: the env variable, else beside a SQLite file
    # (``<file>.attachments``), else ./clinic-hub-attachments.
    attachment_dir: str | None = None
    # Uploads not complete and untouched this long are removed (clinic_hub/attachment_prune.py):
    # at start-up, then every ``prune_interval_hours`` (0: only by ``clinic-hub attachments prune``).
    abandoned_upload_days: float = field(default_factory=lambda: _env_float(ABANDONED_ENV, 7.0))
    prune_interval_hours: float = field(default_factory=lambda: _env_float(PRUNE_INTERVAL_ENV, 6.0))

    def attachment_folder(self) -> Path:
        if self.attachment_dir:
            return Path(self.attachment_dir)
        if os.environ.get(ATTACHMENTS_ENV):
            return Path(os.environ[ATTACHMENTS_ENV])
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url[len(prefix) :] not in ("", ":memory:"):
            database = Path(self.database_url[len(prefix) :])
            return database.with_name(database.name + ".attachments")
        return Path(DEFAULT_ATTACHMENTS)
