"""Property: any interleaving of duplicate, resent and reordered batches converges to one state."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic_hub import accounts
from clinic_hub.models import Referral, SyncRecord
from clinic_tui.sync.wire import record_set_hash
from tests.hub.conftest import make_record, make_referral, push

REFERRAL_STATUS_BY_REVISION = {1: "review", 2: "sent", 3: "cancelled"}
# A batch: record versions as (record index, revision); record 0 is a referral, the others visits.
versions = st.tuples(st.integers(0, 3), st.integers(1, 3))
batches = st.lists(st.lists(versions, min_size=1, max_size=6), min_size=1, max_size=4)


@st.composite
def schedules(draw):
    """Batches, and the order they are sent in: each at least once, some again, any order."""
    batch_list = draw(batches)
    order = list(range(len(batch_list))) + draw(st.lists(st.integers(0, len(batch_list) - 1), max_size=4))
    return batch_list, draw(st.permutations(order))


def _version(code: str, ids: list[str], referral_no: str, index: int, revision: int) -> dict:
    if index == 0:
        return make_referral(
            code,
            REFERRAL_STATUS_BY_REVISION[revision],
            revision=revision,
            record_id=ids[0],
            referral_no=referral_no,
            cancel_reason="家属要求" if revision == 3 else None,
        )
    return make_record("visit", code, ids[index], revision=revision, note=f"v{revision}")


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(schedule=schedules())
def test_any_interleaving_of_batches_converges(hub, schedule):
    batch_list, order = schedule
    code = "P" + uuid.uuid4().hex[:8]
    with hub.engine.begin() as conn:
        _, token = accounts.add_clinic(conn, code, "property")
    ids = [str(uuid.uuid4()) for _ in range(4)]
    referral_no = f"{code}-20250701-001"
    bodies = [[_version(code, ids, referral_no, i, r) for i, r in batch] for batch in batch_list]
    batch_ids = [uuid.uuid4().hex for _ in batch_list]
    with hub.client(token) as client:
        for position in order:  # a repeated position is the same batch id resent
            response = push(client, bodies[position], batch_id=batch_ids[position])
            assert response.status_code == 200
            assert {r["status"] for r in response.json()["results"]} <= {"accepted", "duplicate"}
        reconcile = client.get("/api/v1/sync/reconcile").json()
    expected: dict[int, int] = {}
    for batch in batch_list:
        for index, revision in batch:
            expected[index] = max(expected.get(index, 0), revision)
    records, referrals = SyncRecord.__table__, Referral.__table__
    with hub.engine.connect() as conn:
        held = {
            row.id: (row.revision, row.data)
            for row in conn.execute(
                sa.select(records.c.id, records.c.revision, records.c.data).where(records.c.id.in_(ids))
            )
        }
        status = conn.execute(sa.select(referrals.c.status).where(referrals.c.id == ids[0])).scalar()
    assert {ids[i]: revision for i, revision in expected.items()} == {k: v[0] for k, v in held.items()}
    for index, revision in expected.items():
        assert held[ids[index]][1]["revision"] == revision  # the content of the newest revision
    if 0 in expected:
        assert status == REFERRAL_STATUS_BY_REVISION[expected[0]]
    kinds = {"referral": [(ids[0], expected[0])]} if 0 in expected else {}
    visits = [(ids[i], r) for i, r in expected.items() if i]
    if visits:
        kinds["visit"] = visits
    assert reconcile["kinds"] == {k: {"count": len(v), "hash": record_set_hash(v)} for k, v in kinds.items()}
