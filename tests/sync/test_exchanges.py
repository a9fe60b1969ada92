"""How many exchanges a sync takes (issue 19; docs/sync.md, "Exchanges"), counted in the real hub's
own access log: the pull's last page brings the reconcile numbers (protocol revision 2), and the
hub's numbers are asked before the push only on a first sync, or when an edit waits and the hub is
older than protocol revision 4 (tests/sync/test_revision_taken.py). An older hub (which
refuses the new parameter) and an older client (which never sends it) still sync completely."""

from __future__ import annotations

from sqlalchemy import select

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.models import Resident, Visit, utcnow
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.client import HubClient
from clinic_tui.sync.engine import run_sync
from clinic_tui.sync.outbox import apply_push_answers, build_batch, pending_items
from clinic_tui.sync.wire import PROTOCOL_REVISION

from .conftest import HubServer, database_path


def _sync_ok(engine, settings, token):
    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    assert report.receipt is not None and report.receipt.mismatched == []
    return report


def _new_visit(engine, clinic, doctor) -> str:
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident)).scalars().first()
        visit = Visit(
            clinic_id=clinic.id, resident_id=resident.id, visit_at=utcnow(), doctor_id=doctor.id, chief_complaint="咳嗽"
        )
        return records.create(session, visit, doctor.id).id


def test_an_ordinary_day_takes_the_push_and_one_pull(hub, small_clinic, clinic, doctor, clinic_settings, exchanges):
    engine = small_clinic
    code, token = hub.new_clinic()
    settings = clinic_settings(hub, database_path(engine))

    _sync_ok(engine, settings, token)  # the first sync compares first: nothing known of this hub yet
    assert exchanges() == [("GET", "/sync/reconcile"), ("POST", "/sync/push"), ("GET", "/sync/pull")]

    visit_id = _new_visit(engine, clinic, doctor)  # a day of new records: nothing to shadow
    report = _sync_ok(engine, settings, token)
    assert exchanges() == [("POST", "/sync/push"), ("GET", "/sync/pull")]
    assert report.accepted == 1 and ("visit", visit_id, 1) in hub.clinic_records(code)

    _sync_ok(engine, settings, token)  # nothing to send: the pull alone, its numbers confirm
    assert exchanges() == [("GET", "/sync/pull")]

    with unit_of_work(engine) as session:  # an edit of an earlier record: the hub of revision 4 checks
        records.update(session, session.get(Visit, visit_id), {"chief_complaint": "咳嗽三天"}, doctor.id)
    _new_visit(engine, clinic, doctor)  # the ordinary day: new records and edits
    _sync_ok(engine, settings, token)
    assert exchanges() == [("POST", "/sync/push"), ("GET", "/sync/pull")]
    assert ("visit", visit_id, 2) in hub.clinic_records(code)


class _RevisionOneHub:
    """ASGI wrapper answering as a hub of protocol revision 1 does: ``with_reconcile`` is an unknown
    query parameter there, refused with 422 invalid_request (clinic_hub.dependencies.no_unknown_query),
    and the reconcile answer names no API version."""

    refused = 0  # requests answered 422 here, before the hub's own access log sees them

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and b"with_reconcile" in scope.get("query_string", b""):
            _RevisionOneHub.refused += 1
            body = b'{"code":"invalid_request","message":"Unknown query parameter"}'
            await send(
                {"type": "http.response.start", "status": 422, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def test_a_hub_of_revision_one_is_asked_the_older_way(
    tmp_path, small_clinic, clinic, doctor, clinic_settings, exchanges
):
    _RevisionOneHub.refused = 0
    old = HubServer(tmp_path / "old-hub.db")
    old.server.config.loaded_app = _RevisionOneHub(old.server.config.loaded_app)
    try:
        code, token = old.new_clinic()
        engine = small_clinic
        settings = clinic_settings(old, database_path(engine))
        _sync_ok(engine, settings, token)
        exchanges()
        _new_visit(engine, clinic, doctor)
        report = _sync_ok(engine, settings, token)
        assert report.accepted == 1
        # The pull was asked with the parameter once per sync, refused, and asked again without it;
        # the numbers then come from a reconcile of their own.
        assert exchanges() == [("POST", "/sync/push"), ("GET", "/sync/pull"), ("GET", "/sync/reconcile")]
        assert _RevisionOneHub.refused == 2
        assert len(old.clinic_records(code)) == 8  # the doctor, 3 residents, 3 visits and the new one
    finally:
        old.stop()


def test_an_older_client_still_syncs_with_this_hub(hub, small_clinic):
    """The sequence of a client before revision 2 (health, reconcile, push, pull, reconcile), with
    the wire models of this version, which ignore fields they do not know."""
    code, token = hub.new_clinic()
    engine = small_clinic
    with HubClient(hub.base_url, token) as client:
        health = client.health()
        assert client.reconcile().kinds == {}
        sent, bodies = build_batch(engine, pending_items(engine))
        answer = client.push(_gzip(bodies))
        apply_push_answers(engine, sent, answer.results)
        page = client.pull(None, 100)
        numbers = client.reconcile()
    assert health.protocol_revision == PROTOCOL_REVISION and page.reconcile is None
    assert sync_state.local_reconcile(engine) == {k: (v.count, v.hash) for k, v in numbers.kinds.items()}
    assert len(hub.clinic_records(code)) == 7  # the doctor, 3 residents and their visits


def _gzip(bodies: list[str]) -> bytes:
    from clinic_tui.sync.client import encode_batch

    return encode_batch(bodies)
