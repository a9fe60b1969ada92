"""The county lab's catalogue imported on the hub (``clinic-hub lab-catalogue import FILE``),
"imported like the diagnosis list": checked line by line (clinic_tui.domain.lab_catalogue), kept as
a numbered version with its hash, who imported it and when; the same file again makes no new
version. The hub's lab checks and the clinics still read the catalogue shipped with the app
(clinic_tui/domain/lab_catalogue.csv): docs/hub.md says why and what sending it by pull takes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.db import utcnow
from clinic_hub.models import LabCatalogueVersion, table_of
from clinic_tui.domain.lab_catalogue import LineProblem, read_catalogue

_versions = table_of(LabCatalogueVersion)
MAX_BYTES = 1024 * 1024


class CatalogueRefused(Exception):
    def __init__(self, problems: list[LineProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise CatalogueRefused([LineProblem(0, "catalogue_too_large")])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CatalogueRefused([LineProblem(0, "catalogue_encoding")])


def import_catalogue(conn: Connection, raw: bytes, imported_by: str) -> tuple[int, int, bool]:
    """(version, items, new): the file's version, made now unless the newest has the same bytes."""
    text = decode(raw)
    items, problems = read_catalogue(text)
    if problems:
        raise CatalogueRefused(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    latest = conn.execute(sa.select(_versions).order_by(_versions.c.version.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == digest:
        return latest.version, latest.items, False
    version = (latest.version if latest is not None else 0) + 1
    conn.execute(
        sa.insert(_versions).values(
            version=version,
            sha256=digest,
            content=text,
            items=len(items),
            imported_by=imported_by[:64],
            imported_at=utcnow(),
        )
    )
    return version, len(items), True


def versions(conn: Connection) -> list[Any]:
    return list(conn.execute(sa.select(_versions).order_by(_versions.c.version.desc())).all())
