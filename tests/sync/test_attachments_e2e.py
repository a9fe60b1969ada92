"""A remote request's attachment end to end with a real clinic-hub on loopback (issue 18): a PDF
named at the clinic by its path, copied beside the database, sent with the request, uploaded in
chunks by the sync, verified by the hub and read by the hospital's desk byte for byte; then an
upload cut halfway by the link (the fault proxy going offline mid-file) and resumed by the next
sync from the chunks the hub reported, sending none of them twice."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, replace
from pathlib import Path

import httpx
from sqlalchemy import select

from clinic_tui.data.attachments import engine_folder, examine
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import AttachmentFile, RemoteRequest, Resident, Staff
from clinic_tui.data.remote_requests import detail, submit
from clinic_tui.domain.attachments import CHUNK_BYTES
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .faults.faultproxy import Fault, FaultProxy
from .sync_helpers import register


def _pdf(path: Path, size: int) -> bytes:
    data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + os.urandom(size - 15)
    path.write_bytes(data)
    return data


def _request_with(engine, tmp_path: Path, data_size: int) -> tuple[str, str, bytes, str]:
    original = tmp_path / "心电图 2026-12-03.pdf"
    data = _pdf(original, data_size)
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        doctor = session.execute(select(Staff)).scalars().first()
    candidate = examine(f'"{original}"')  # pasted with quotes, as a file manager copies a path
    request_id, request_no = submit(
        engine,
        resident_id=resident.id,
        values={
            "service": "ecg",
            "urgency": "urgent",
            "question": "胸痛 1 小时，请判读心电图",
            "consent": True,
            "attachments": [asdict(candidate)],
        },
        user_id=doctor.id,
    )
    original.unlink()  # the copy beside the database is the one that travels
    return request_id, request_no, data, candidate.sha256


def _desk(hub) -> httpx.Client:
    token = hub.new_staff_token("doctor")
    return httpx.Client(base_url=hub.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_pdf_sent_with_a_request_reaches_the_desk_byte_for_byte(hub, small_clinic, clinic_settings, tmp_path):
    engine = small_clinic
    _code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    request_id, request_no, data, digest = _request_with(engine, tmp_path, 2 * CHUNK_BYTES + 4321)
    kept = engine_folder(engine) / digest
    assert kept.read_bytes() == data
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    shown = detail(engine, request_id)
    assert [(a.name, a.size, a.media_type, a.chunks_sent, a.chunks_total, a.complete) for a in shown.attachments] == [
        ("心电图 2026-12-03.pdf", len(data), "application/pdf", 0, 3, False)
    ]
    phases = []
    report = run_sync(engine, settings, token=token, progress=phases.append)
    assert report.outcome == "ok", report.message
    assert report.uploads is not None and report.uploads.files_done == 1 and report.uploads.waiting == 0
    assert [(p.done, p.total) for p in phases if p.phase == "attachments"] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert "1 个附件已完整送达医院" in report.message  # the receipt says so
    assert detail(engine, request_id).attachments[0].complete
    with read_session(engine) as session:
        row = session.get(AttachmentFile, digest)
        assert (row.chunks_sent, row.complete, row.problem) == (3, True, None)
        assert session.get(RemoteRequest, request_id).attachments == [
            {"sha256": digest, "size": len(data), "media_type": "application/pdf", "name": "心电图 2026-12-03.pdf"}
        ]
    with _desk(hub) as desk:
        seen = desk.get(f"/api/v1/remote/requests/{request_no}").json()
        assert [(a["sha256"], a["complete"]) for a in seen["attachments"]] == [(digest, True)]
        got = desk.get(f"/api/v1/remote/requests/{request_no}/attachments/{digest}")
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == "application/pdf"
    again = run_sync(engine, settings, token=token)  # nothing left to send
    assert again.outcome == "ok" and again.uploads is not None and again.uploads.chunks_sent == 0


def test_an_upload_cut_halfway_resumes_at_the_next_sync_without_resending(hub, small_clinic, clinic_settings, tmp_path):
    engine = small_clinic
    _code, token = register(hub, engine)
    request_id, request_no, data, digest = _request_with(engine, tmp_path, 5 * CHUNK_BYTES + 99)  # 6 chunks
    proxy = FaultProxy(("127.0.0.1", hub.port))
    try:
        proxied = replace(clinic_settings(hub, database_path(engine)), hub_url=proxy.url)
        # The link drops for good after the hub has taken the third chunk (its answer never arrives).
        proxy.arm(
            Fault("hook", nth=3, path=f"/api/v1/attachments/{digest}/chunks/", when="answered", hook=proxy.go_offline)
        )
        cut = run_sync(engine, proxied, token=token)
        assert cut.outcome == "offline", cut.message
        with read_session(engine) as session:
            assert session.get(RemoteRequest, request_id) is not None
            row = session.get(AttachmentFile, digest)
            assert (row.chunks_sent, row.complete) == (2, False)  # the third chunk's answer was lost
        with _desk(hub) as desk:  # the request is at the desk, its file arriving
            seen = desk.get(f"/api/v1/remote/requests/{request_no}").json()
            assert [(a["chunks_received"], a["chunks_total"], a["complete"]) for a in seen["attachments"]] == [
                (3, 6, False)
            ]
            assert desk.get(f"/api/v1/remote/requests/{request_no}/attachments/{digest}").status_code == 404
        proxy.go_online()
        before = len(proxy.exchanges)
        resumed = run_sync(engine, proxied, token=token)
        assert resumed.outcome == "ok", resumed.message
        sent = [e.path.rsplit("/", 1)[1] for e in proxy.exchanges[before:] if "/chunks/" in e.path]
        assert sent == ["3", "4", "5"]  # only what the hub lacked
        assert detail(engine, request_id).attachments[0].complete
        with _desk(hub) as desk:
            got = desk.get(f"/api/v1/remote/requests/{request_no}/attachments/{digest}")
            assert got.status_code == 200 and got.content == data
    finally:
        proxy.close()
