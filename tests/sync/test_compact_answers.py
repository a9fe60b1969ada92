"""The compact push answer (protocol revision 3, docs/protocol.md "Compact answers"): the records the
hub took plainly are confirmed by a count and a hash, only the others are listed; the clinic checks
both against what it sent and, when they do not check out, asks for the per-record answer instead of
taking anything as sent. A hub before revision 3 (which ignores the question) and a client before it
(which never asks) still sync."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest

from clinic_tui.sync.client import HubClient, encode_batch
from clinic_tui.sync.engine import run_sync
from clinic_tui.sync.outbox import OutboxItem, confirmed_items, pending_items
from clinic_tui.sync.wire import COMPACT_PUSH, PROTOCOL_REVISION, PushResponse, confirmation_hash

from .conftest import HubServer, database_path

API = "/api/v1"


def _visit(clinic_id: str = "C-local", record_id: str | None = None, revision: int = 1) -> tuple[OutboxItem, str]:
    """A wire record of a visit as a clinic sends it, and its outbox key."""
    rid = record_id or str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    data = {
        "clinic_id": clinic_id,
        "author_id": "doc",
        "created_at": now,
        "updated_at": now,
        "revision": revision,
        "deleted": False,
        "chief_complaint": "头痛三天，伴恶心",
        "diagnoses": [{"code": "I10", "name": "原发性高血压", "system": "ICD-10"}],
        "sbp": 150,
        "dbp": 95,
    }
    record = {"kind": "visit", "id": rid, "revision": revision, "updated_at": now, "deleted": False, "data": data}
    return OutboxItem("visit", rid, revision), json.dumps(record, ensure_ascii=False)


def _post(hub: HubServer, token: str, body: bytes, *, compact: bool) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Accept-Encoding": "gzip",
    }
    if compact:
        headers["Prefer"] = COMPACT_PUSH
    with httpx.Client(base_url=hub.base_url + API, timeout=60) as client:
        response = client.post("/sync/push", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_a_compact_answer_confirms_by_count_and_hash_and_lists_the_rest(hub):
    _, token = hub.new_clinic()
    batch = [_visit() for _ in range(20)]
    refused_item, refused = _visit(clinic_id="")  # missing clinic_id: rejected with a code
    held = batch[3]  # sent twice in the batch's life: the second time a duplicate of the same revision
    _post(hub, token, encode_batch([held[1]]), compact=False)
    sent = [item for item, _ in batch] + [refused_item]
    body = encode_batch([text for _, text in batch] + [refused])

    response = _post(hub, token, body, compact=True)
    answer = PushResponse.model_validate_json(response.content)

    assert response.headers["preference-applied"] == COMPACT_PUSH
    assert answer.protocol_revision == PROTOCOL_REVISION
    assert [(r.id, r.status, r.code) for r in answer.results] == [(refused_item.record_id, "rejected", "missing_field")]
    assert answer.confirmed is not None
    assert (answer.confirmed.count, answer.confirmed.accepted, answer.confirmed.duplicate) == (20, 19, 1)
    assert answer.confirmed.hash == confirmation_hash(sent[:20])
    assert confirmed_items(sent, answer) == sent[:20]

    # The same batch again, asked the same way: the same answer, replayed; asked per record (an
    # older client, or a clinic whose check failed): every stored answer, one by one.
    again = PushResponse.model_validate_json(_post(hub, token, body, compact=True).content)
    assert again.replayed and again.model_dump(exclude={"replayed"}) == answer.model_dump(exclude={"replayed"})
    per_record = PushResponse.model_validate_json(_post(hub, token, body, compact=False).content)
    assert per_record.replayed and per_record.confirmed is None
    assert [(r.id, r.status) for r in per_record.results] == [
        (item.record_id, "duplicate" if item == held[0] else "rejected" if item == refused_item else "accepted")
        for item in sent
    ]


def test_a_day_of_200_records_is_answered_in_far_fewer_bytes(hub):
    """Bytes down for a 200-record day, as on the wire (gzip, headers aside): compact vs per record."""
    _, token = hub.new_clinic()
    sizes = {}
    for compact in (False, True):
        body = encode_batch([_visit()[1] for _ in range(200)])
        response = _post(hub, token, body, compact=compact)
        sizes[compact] = response.num_bytes_downloaded
        answer = PushResponse.model_validate_json(response.content)
        assert (
            sum(r.status == "accepted" for r in answer.results) + (answer.confirmed.accepted if compact else 0) == 200
        )
    print(f"bytes down for 200 records: per record {sizes[False]}, compact {sizes[True]}")
    assert sizes[True] * 10 < sizes[False]
    assert sizes[True] < 400  # a constant: the envelope, a count and a hash


def test_an_answer_that_does_not_check_out_confirms_nothing():
    sent = [_visit()[0] for _ in range(3)]
    honest = confirmation_hash(sent[1:])
    rejected = SimpleNamespace(id=sent[0].record_id, revision=1)

    def answer(results, count, hash_, accepted=None):
        confirmed = SimpleNamespace(
            count=count, hash=hash_, accepted=count if accepted is None else accepted, duplicate=0
        )
        return SimpleNamespace(confirmed=confirmed, results=results)

    assert confirmed_items(sent, answer([rejected], 2, honest)) == sent[1:]
    assert confirmed_items(sent, answer([], 3, honest)) is None  # the rejection left out
    assert confirmed_items(sent, answer([rejected], 2, confirmation_hash(sent[:2]))) is None  # other records
    assert confirmed_items(sent, answer([rejected], 2, honest, accepted=1)) is None  # counts that do not add up
    every = [SimpleNamespace(id=item.record_id, revision=1) for item in sent]
    assert confirmed_items(sent, SimpleNamespace(confirmed=None, results=every)) == []  # a per-record answer
    assert confirmed_items(sent, SimpleNamespace(confirmed=None, results=every[1:])) is None  # one missing


class _Rewriting:
    """ASGI wrapper between the clinic and a real hub: ``prefer`` False strips the Prefer header, as
    a hub before revision 3 ignores it; ``tamper`` spoils the hash of the first compact answer."""

    def __init__(self, app, *, prefer: bool = True, tamper: bool = False):
        self.app, self.prefer, self.tamper = app, prefer, tamper
        self.pushes: list[bool] = []  # per push request: whether it asked for the compact answer

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith("/sync/push"):
            return await self.app(scope, receive, send)
        asked = any(name == b"prefer" for name, _ in scope["headers"])
        self.pushes.append(asked)
        headers = [(n, v) for n, v in scope["headers"] if n != b"accept-encoding" and (self.prefer or n != b"prefer")]
        scope = {**scope, "headers": headers}
        if not (self.tamper and asked):
            return await self.app(scope, receive, send)
        self.tamper = False
        start, chunks = {}, []

        async def keep(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        answer = json.loads(b"".join(chunks))
        answer["confirmed"]["hash"] = "0" * 32
        body = json.dumps(answer).encode()
        start["headers"] = [(n, v) for n, v in start["headers"] if n != b"content-length"]
        start["headers"].append((b"content-length", str(len(body)).encode()))
        await send(start)
        await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize("case", ["hub before revision 3", "answer spoiled"])
def test_the_clinic_syncs_whatever_the_hub_answers(tmp_path, small_clinic, clinic_settings, case):
    server = HubServer(tmp_path / "hub.db")
    wrapper = _Rewriting(
        server.server.config.loaded_app, prefer=case != "hub before revision 3", tamper=case == "answer spoiled"
    )
    server.server.config.loaded_app = wrapper
    try:
        code, token = server.new_clinic()
        engine = small_clinic
        waiting = {tuple(item) for item in pending_items(engine)}
        report = run_sync(engine, clinic_settings(server, database_path(engine)), token=token)
        assert report.outcome == "ok", report.message
        assert report.accepted == len(waiting) == 7 and pending_items(engine) == []
        assert set(server.clinic_records(code)) == waiting
        if case == "answer spoiled":
            # The spoiled answer took nothing as sent: the same batch asked again per record, and
            # per record for the rest of the sync.
            assert wrapper.pushes == [True, False]
        else:
            assert wrapper.pushes == [True]
    finally:
        server.stop()


def test_an_older_client_gets_every_answer_one_by_one(hub):
    _, token = hub.new_clinic()
    batch = [_visit() for _ in range(5)]
    with HubClient(hub.base_url, token) as client:  # no Prefer header: a client before revision 3
        answer = client.push(encode_batch([text for _, text in batch]))
    assert answer.confirmed is None
    assert [(r.id, r.status) for r in answer.results] == [(item.record_id, "accepted") for item, _ in batch]
