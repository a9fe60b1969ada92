"""The audit trail: who read or wrote which records, through which action, when.

Written in the same transaction as the action it describes, so a write and its audit row commit
together. Only ids and counts: never names, ID numbers or phones.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.models import AuditLog, table_of

_audit = table_of(AuditLog)


def record(
    conn: Connection, principal: Principal, action: str, record_ids: Iterable[str] = (), status_code: int = 200
) -> None:
    ids = [str(i) for i in record_ids]
    conn.execute(
        sa.insert(_audit).values(
            at=utcnow(),
            actor_type=principal.kind,
            actor_id=principal.clinic_code or principal.id,
            action=action,
            status_code=status_code,
            record_count=len(ids),
            record_ids=ids,
        )
    )
