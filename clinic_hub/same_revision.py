"""A pushed revision the hub already holds as another version (protocol revision 4).

After a backup was copied over a clinic's file by hand, an edit there can carry a revision number
the hub already holds for a version made before the copy: the same record, the same revision, other
contents. Before revision 4 the hub answered it "duplicate" and the clinic dropped its edit, so a
clinic asked the hub's numbers before every push that held an edit (a third exchange on a 2G link).
Now the hub looks, for the rare duplicate of exactly the stored revision: a version the clinic made
anew has another ``updated_at`` (every change a clinic makes sets it, to the microsecond) or another
tombstone flag, and is answered ``duplicate`` with the code ``revision_taken`` and the hub's revision,
listed in a compact answer; a clinic of revision 4 then takes back the hub's copy and lifts its
edit's revision above it (docs/sync.md, "After a restore"). ``data`` itself is not compared: the
same revision sent again after the clinic's program was upgraded can carry new (empty) fields, and
that must stay an ordinary duplicate, not a take-back over a slow link.

One query for the ids concerned, only when a batch has such duplicates: the ordinary push (new
records, newer revisions) never runs it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.db import as_utc
from clinic_hub.incoming import Incoming
from clinic_hub.models import SyncRecord, table_of

_records = table_of(SyncRecord)
_IN_CHUNK = 500


def taken(conn: Connection, records: Sequence[Incoming]) -> set[str]:
    """The ids of ``records`` (each held by the hub at exactly its revision) whose stored version
    is another one: another ``updated_at`` or another ``deleted``."""
    wanted = {rec.id_text: rec for rec in records}
    ids = sorted(wanted)
    found: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        rows = conn.execute(
            sa.select(_records.c.id, _records.c.revision, _records.c.updated_at, _records.c.deleted).where(
                _records.c.id.in_(ids[start : start + _IN_CHUNK])
            )
        )
        for record_id, revision, updated_at, deleted in rows:
            rec = wanted[record_id]
            if revision == rec.revision and (as_utc(updated_at) != rec.updated_at or bool(deleted) != rec.deleted):
                found.add(record_id)
    return found
