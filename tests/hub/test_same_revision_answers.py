"""Protocol revision 4 on the hub, over real HTTP, on SQLite and PostgreSQL: a pushed revision the
hub holds as another version (another ``updated_at`` or tombstone flag: a backup was copied over the
clinic's file) is answered "duplicate" with the code ``revision_taken``, listed in a compact answer,
and stores nothing; the same version sent again stays a plain duplicate, confirmed by the count and
the hash. A client of revision 3 reads the answer as it always read a duplicate."""

from __future__ import annotations

import copy
import uuid

import sqlalchemy as sa

from clinic_hub.models import SyncRecord
from clinic_tui.sync.outbox import OutboxItem, confirmed_items
from clinic_tui.sync.wire import COMPACT_PUSH, PROTOCOL_REVISION, REVISION_TAKEN, PushResponse
from tests.hub.conftest import make_record, make_referral, push


def _later(record: dict, **changes) -> dict:
    """The same id and revision made again later: another version (a clinic's edit sets updated_at)."""
    again = copy.deepcopy(record)
    fresh = make_record(record["kind"], record["data"]["clinic_id"])
    again["updated_at"] = again["data"]["updated_at"] = fresh["updated_at"]
    again["data"].update(changes)
    return again


def _stored(hub, record_id: str) -> tuple[int, str, dict]:
    table = SyncRecord.__table__
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.select(table.c.revision, table.c.updated_at, table.c.data).where(table.c.id == record_id)
        ).one()
    return row.revision, str(row.updated_at), row.data


def test_a_revision_held_as_another_version_is_answered_revision_taken(hub):
    code, token = hub.new_clinic()
    held = make_record("resident", code, name="李四", phone="13800000001")
    tombstoned = make_record("visit", code, chief_complaint="头晕")
    referral = make_referral(code)
    newer = make_record("resident", code, name="王五")
    kept = make_record("resident", code, name="钱七")
    with hub.client(token) as client:
        first = push(client, [held, tombstoned, referral, newer, kept])
        assert [r["status"] for r in first.json()["results"]] == ["accepted"] * 5
        assert push(client, [make_record("resident", code, newer["id"], revision=2, name="王五")]).status_code == 200
        before = _stored(hub, held["id"])

        deleted = copy.deepcopy(tombstoned)
        deleted["deleted"] = deleted["data"]["deleted"] = True  # same revision and time, now a tombstone
        fresh = make_record("visit", code)
        batch = [
            fresh,  # new: accepted
            kept,  # the same version again: a plain duplicate
            _later(held, address="新地址"),  # the same revision made again: taken
            deleted,
            _later(referral, reason="另一个原因"),  # interpreted kinds are decided one by one
            newer,  # revision 1 where the hub holds 2: a duplicate naming the newer, as before
        ]
        batch_id = uuid.uuid4().hex
        answer = push(client, batch, batch_id, headers={"Prefer": COMPACT_PUSH}).json()
        plain = push(client, batch, batch_id).json()  # the same batch asked per record: replayed

    assert answer["protocol_revision"] == PROTOCOL_REVISION == 4
    assert answer["confirmed"]["count"] == 2 and answer["confirmed"]["accepted"] == 1
    listed = [(r["id"], r["status"], r["code"], r["hub_revision"]) for r in answer["results"]]
    assert listed == [
        (held["id"], "duplicate", REVISION_TAKEN, 1),
        (tombstoned["id"], "duplicate", REVISION_TAKEN, 1),
        (referral["id"], "duplicate", REVISION_TAKEN, 1),
        (newer["id"], "duplicate", None, 2),
    ]
    assert all(r["message"] for r in answer["results"][:3])
    assert plain["replayed"] is True
    assert [(r["status"], r["code"]) for r in plain["results"]] == [
        ("accepted", None),
        ("duplicate", None),
        ("duplicate", REVISION_TAKEN),
        ("duplicate", REVISION_TAKEN),
        ("duplicate", REVISION_TAKEN),
        ("duplicate", None),
    ]
    assert _stored(hub, held["id"]) == before  # nothing of the other version stored

    # A client of revision 3 reads this answer as it did: the wire model knows the status, and the
    # records confirmed by count and hash are exactly those not listed.
    response = PushResponse.model_validate(answer)
    sent = [OutboxItem(r["kind"], r["id"], r["revision"]) for r in batch]
    assert confirmed_items(sent, response) == [sent[0], sent[1]]


def test_the_same_version_sent_again_is_a_plain_duplicate(hub):
    code, token = hub.new_clinic()
    records = [make_record("resident", code, name="赵六"), make_referral(code)]
    with hub.client(token) as client:
        push(client, records)
        again = push(client, records, headers={"Prefer": COMPACT_PUSH}).json()
    assert again["results"] == [] and again["confirmed"]["duplicate"] == 2
