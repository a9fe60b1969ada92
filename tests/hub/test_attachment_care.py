"""The hub's care of attachment files, on SQLite and PostgreSQL over HTTP: a clinic takes back its
own complete files (a rebuild) and never another clinic's; abandoned uploads are pruned (chunks on
disk and rows) by ``clinic-hub attachments prune`` and at start-up, never a complete file."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from clinic_hub.app import create_app
from clinic_hub.cli import main
from clinic_hub.db import utcnow
from clinic_hub.models import AttachmentChunk, AttachmentUpload, AuditLog, table_of
from clinic_hub.settings import Settings
from tests.hub.test_attachments import CHUNK, chunks, declare, pdf_bytes, put_chunk, sha, stored_file, upload

_uploads, _chunks, _audit = table_of(AttachmentUpload), table_of(AttachmentChunk), table_of(AuditLog)


def _content(client, data: bytes):
    return client.get(f"/api/v1/attachments/{sha(data)}/content")


def test_a_clinic_takes_back_its_own_complete_files_and_no_other(hub):
    _, owner = hub.new_clinic()
    _, other = hub.new_clinic()
    data, partial = pdf_bytes(2 * CHUNK + 77), pdf_bytes(CHUNK + 5)
    with hub.client(owner) as client:
        assert upload(client, data)["complete"]
        declare(client, partial)
        put_chunk(client, sha(partial), 0, chunks(partial)[0])
        answer = _content(client, data)
        assert answer.status_code == 200 and answer.content == data  # byte for byte
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["cache-control"] == "no-store"
        assert "gzip" not in answer.headers.get("content-encoding", "")
        missing = _content(client, partial)  # still arriving: nothing to take back yet
        assert missing.status_code == 404 and missing.json()["code"] == "attachment_not_found"
    with hub.client(other) as client:
        # The same bytes held whole by the hub, but not sent by this clinic: 404, as for no file at all.
        refused = _content(client, data)
        assert refused.status_code == 404 and refused.json()["code"] == "attachment_not_found"
        declare(client, data)  # declaring the hash proves nothing either
        assert _content(client, data).status_code == 404
        assert client.get(f"/api/v1/attachments/{'0' * 64}/content").status_code == 404
        assert client.get("/api/v1/attachments/NOT-A-HASH/content").status_code == 422
    with hub.engine.connect() as conn:
        actions = conn.execute(
            sa.select(_audit.c.action).where(_audit.c.action == "attachment.download", _audit.c.record_ids.isnot(None))
        ).all()
    assert len(actions) >= 1


def _age(hub, sha256: str, days: float, clinic_id: str | None = None) -> None:
    """Make an upload look untouched for ``days`` (a clinic that went away)."""
    when = utcnow() - timedelta(days=days)
    query = sa.update(_uploads).where(_uploads.c.sha256 == sha256)
    if clinic_id:
        query = query.where(_uploads.c.clinic_id == clinic_id)
    with hub.engine.begin() as conn:
        conn.execute(query.values(updated_at=when, created_at=when))


def _uploads_of(hub, sha256: str) -> list:
    with hub.engine.connect() as conn:
        return conn.execute(
            sa.select(_uploads.c.clinic_id, _uploads.c.complete).where(_uploads.c.sha256 == sha256)
        ).all()


def _chunk_rows(hub, sha256: str) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(_chunks.c.sha256 == sha256)).scalar_one()


def _partial(client, data: bytes) -> None:
    declare(client, data)
    assert put_chunk(client, sha(data), 0, chunks(data)[0]).status_code == 200


def test_abandoned_uploads_are_pruned_and_complete_files_never(hub, capsys):
    _, clinic_a = hub.new_clinic()
    _, clinic_b = hub.new_clinic()
    abandoned, recent, kept, shared = (pdf_bytes(2 * CHUNK + 10) for _ in range(4))
    with hub.client(clinic_a) as client:
        _partial(client, abandoned)
        _partial(client, recent)
        assert upload(client, kept)["complete"]
        _partial(client, shared)  # clinic A's half of a file clinic B sent whole
    with hub.client(clinic_b) as client:
        assert upload(client, shared)["complete"]
    (a_id,) = {row.clinic_id for row in _uploads_of(hub, sha(abandoned))}
    incoming = Path(hub.attachment_dir) / "incoming" / a_id
    assert (incoming / sha(abandoned) / "0").is_file()
    _age(hub, sha(abandoned), 8)
    _age(hub, sha(kept), 400)  # complete long ago: never pruned
    _age(hub, sha(shared), 8, a_id)
    _age(hub, sha(recent), 6)  # within the 7 days
    stray = Path(hub.attachment_dir) / "incoming" / a_id / ("f" * 64)
    stray.mkdir(parents=True)
    (stray / "0").write_bytes(b"left by a crash")
    old = time.time() - 8 * 86400
    import os

    os.utime(stray, (old, old))

    command = ["attachments", "prune", "--db", hub.database_url, "--attachments", hub.attachment_dir]
    assert main(command) == 0
    said = capsys.readouterr().out
    assert "removed 2 abandoned upload(s)" in said and f"{2 * CHUNK} bytes" in said and "1 stray" in said

    assert _uploads_of(hub, sha(abandoned)) == [] and _chunk_rows(hub, sha(abandoned)) == 0
    assert not (incoming / sha(abandoned)).exists() and not stray.exists()
    assert [r.complete for r in _uploads_of(hub, sha(recent))] == [False]
    assert (incoming / sha(recent) / "0").is_file() and _chunk_rows(hub, sha(recent)) == 1
    assert [r.complete for r in _uploads_of(hub, sha(kept))] == [True]
    assert stored_file(hub, sha(kept)).read_bytes() == kept
    assert [r.complete for r in _uploads_of(hub, sha(shared))] == [True]  # clinic B's stays whole
    assert stored_file(hub, sha(shared)).read_bytes() == shared
    with hub.client(clinic_b) as client:
        assert _content(client, shared).content == shared

    # The clinic comes back after all: it starts the file again and it completes.
    with hub.client(clinic_a) as client:
        again = declare(client, abandoned).json()
        assert again["missing"] == [0, 1, 2]
        assert upload(client, abandoned)["complete"]
        assert _content(client, abandoned).content == abandoned
    assert main([*command, "--days", "-1"]) == 2


def test_the_server_prunes_at_start_up(hub):
    _, token = hub.new_clinic()
    data = pdf_bytes(CHUNK + 10)
    with hub.client(token) as client:
        _partial(client, data)
    _age(hub, sha(data), 3)
    settings = Settings(
        database_url=hub.database_url,
        attachment_dir=hub.attachment_dir,
        abandoned_upload_days=2,
        prune_interval_hours=0,
    )
    app = create_app(settings, engine=hub.engine)

    async def serve_a_moment() -> None:
        async with app.router.lifespan_context(app):  # what uvicorn runs at start-up and shutdown
            deadline = time.monotonic() + 20
            while _uploads_of(hub, sha(data)) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

    asyncio.run(serve_a_moment())
    assert _uploads_of(hub, sha(data)) == [] and _chunk_rows(hub, sha(data)) == 0


def test_chunks_lost_from_the_disk_are_asked_for_again_not_a_500(hub):
    """A hub restored without its incoming/ folder: the rows say a chunk arrived, its file is gone."""
    _, token = hub.new_clinic()
    data = pdf_bytes(3 * CHUNK + 9)
    parts = chunks(data)
    with hub.client(token) as client:
        declare(client, data)
        for index in (0, 1, 2):
            assert put_chunk(client, sha(data), index, parts[index]).status_code == 200
        (clinic_id,) = {row.clinic_id for row in _uploads_of(hub, sha(data))}
        (Path(hub.attachment_dir) / "incoming" / clinic_id / sha(data) / "1").unlink()
        last = put_chunk(client, sha(data), 3, parts[3])
        assert last.status_code == 200, last.text
        assert (last.json()["complete"], last.json()["missing"]) == (False, [1])
        done = put_chunk(client, sha(data), 1, parts[1])
        assert done.status_code == 200 and done.json()["complete"]
        assert _content(client, data).content == data
