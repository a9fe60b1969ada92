"""Attachments of remote requests (issue 18) on SQLite and PostgreSQL, over HTTP: a file declared,
sent in chunks and verified; an upload cut halfway and resumed from what the hub reports; the same
chunk (and the same file) sent twice and stored once; a wrong hash, a wrong type and an oversize
file refused with 4xx codes; one clinic never reading or writing another's; and the desk seeing a
request's files arrive, then reading them as they were taken."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import sqlalchemy as sa

from clinic_hub import limits
from clinic_hub.models import AttachmentBlob, AttachmentChunk, AuditLog, table_of
from tests.hub.conftest import push
from tests.hub.remote_support import make_remote

CHUNK = limits.ATTACHMENT_CHUNK_BYTES
PDF_TYPE = "application/pdf"


def pdf_bytes(size: int) -> bytes:
    """A file that starts like a PDF, of ``size`` bytes (random: a new hash every time)."""
    head = b"%PDF-1.4\n"
    return head + os.urandom(size - len(head))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def declare(client, data: bytes, media_type: str = PDF_TYPE, name: str | None = None):
    return client.put(f"/api/v1/attachments/{name or sha(data)}", json={"size": len(data), "media_type": media_type})


def put_chunk(client, digest: str, index: int, part: bytes, **headers):
    return client.put(
        f"/api/v1/attachments/{digest}/chunks/{index}",
        content=part,
        headers={"Content-Type": "application/octet-stream", **headers},
    )


def upload(client, data: bytes, media_type: str = PDF_TYPE) -> dict:
    answer = declare(client, data, media_type)
    assert answer.status_code == 200, answer.text
    for index in answer.json()["missing"]:
        answer = put_chunk(client, sha(data), index, chunks(data)[index])
        assert answer.status_code == 200, answer.text
    return answer.json()


def stored_file(hub, digest: str) -> Path:
    return Path(hub.attachment_dir) / "files" / digest[:2] / digest


def test_a_file_in_chunks_is_verified_and_stored_as_sent(hub):
    _, token = hub.new_clinic()
    data = pdf_bytes(2 * CHUNK + 1000)
    with hub.client(token) as client:
        first = declare(client, data).json()
        assert first == {
            "sha256": sha(data),
            "size": len(data),
            "media_type": PDF_TYPE,
            "chunk_bytes": CHUNK,
            "chunks_total": 3,
            "missing": [0, 1, 2],
            "complete": False,
        }
        parts = chunks(data)
        assert put_chunk(client, sha(data), 2, parts[2]).json()["missing"] == [0, 1]  # any order
        assert put_chunk(client, sha(data), 0, parts[0]).json()["missing"] == [1]
        assert not stored_file(hub, sha(data)).exists()  # not a file until it is whole and verified
        last = put_chunk(client, sha(data), 1, parts[1]).json()
        assert last["complete"] is True and last["missing"] == []
        assert client.get(f"/api/v1/attachments/{sha(data)}").json()["complete"] is True
    assert stored_file(hub, sha(data)).read_bytes() == data  # byte for byte, never recompressed
    with hub.engine.connect() as conn:
        blobs = table_of(AttachmentBlob)
        row = conn.execute(sa.select(blobs).where(blobs.c.sha256 == sha(data))).one()
        assert (row.size, row.media_type) == (len(data), PDF_TYPE)
        left = table_of(AttachmentChunk)
        assert conn.execute(sa.select(sa.func.count()).where(left.c.sha256 == sha(data))).scalar() == 0


def test_an_upload_cut_halfway_resumes_from_what_the_hub_reports(hub):
    _, token = hub.new_clinic()
    data = pdf_bytes(4 * CHUNK)
    parts = chunks(data)
    with hub.client(token) as client:  # the first connection: half the chunks, then the line drops
        declare(client, data)
        for index in (0, 1):
            assert put_chunk(client, sha(data), index, parts[index]).status_code == 200
    with hub.client(token) as client:  # a new connection later: what is missing?
        status = client.get(f"/api/v1/attachments/{sha(data)}").json()
        assert status["missing"] == [2, 3] and status["complete"] is False
        assert declare(client, data).json()["missing"] == [2, 3]  # declaring again is a resume too
        for index in status["missing"]:
            answer = put_chunk(client, sha(data), index, parts[index])
        assert answer.json()["complete"] is True
    assert stored_file(hub, sha(data)).read_bytes() == data


def test_the_same_chunk_or_file_sent_twice_is_stored_once(hub):
    _, token = hub.new_clinic()
    _, other_token = hub.new_clinic()
    data = pdf_bytes(CHUNK + 10)
    parts = chunks(data)
    chunk_rows = table_of(AttachmentChunk)
    with hub.client(token) as client:
        declare(client, data)
        one = put_chunk(client, sha(data), 0, parts[0]).json()
        again = put_chunk(client, sha(data), 0, parts[0])  # the answer was lost: sent again
        assert again.status_code == 200 and again.json() == one
        with hub.engine.connect() as conn:
            count = sa.select(sa.func.count()).where(chunk_rows.c.sha256 == sha(data), chunk_rows.c.idx == 0)
            assert conn.execute(count).scalar() == 1
        assert put_chunk(client, sha(data), 1, parts[1]).json()["complete"] is True
        late = put_chunk(client, sha(data), 1, parts[1])  # after completion: nothing to do
        assert late.status_code == 200 and late.json()["complete"] is True
        assert declare(client, data).json()["complete"] is True  # the same file for another request
    with hub.client(other_token) as client:  # another clinic with the same bytes sends them itself
        assert declare(client, data).json()["missing"] == [0, 1]
        assert upload(client, data)["complete"] is True
    with hub.engine.connect() as conn:
        blobs = table_of(AttachmentBlob)
        assert conn.execute(sa.select(sa.func.count()).where(blobs.c.sha256 == sha(data))).scalar() == 1
    files = list((Path(hub.attachment_dir) / "files").rglob(sha(data)))
    assert len(files) == 1 and files[0].read_bytes() == data


def test_a_file_whose_bytes_do_not_hash_to_its_name_is_refused_and_dropped(hub):
    _, token = hub.new_clinic()
    data = pdf_bytes(CHUNK + 5)
    claimed = sha(pdf_bytes(CHUNK + 5))  # the name of other bytes of the same length
    parts = chunks(data)
    with hub.client(token) as client:
        assert declare(client, data, name=claimed).status_code == 200
        assert put_chunk(client, claimed, 0, parts[0]).status_code == 200
        refused = put_chunk(client, claimed, 1, parts[1])
        assert refused.status_code == 422 and refused.json()["code"] == "attachment_hash_mismatch"
        status = client.get(f"/api/v1/attachments/{claimed}").json()
        assert status["complete"] is False and status["missing"] == [0, 1]  # start again
    assert not stored_file(hub, claimed).exists()
    assert not list((Path(hub.attachment_dir) / "incoming").rglob(f"{claimed}/*"))


def test_wrong_types_sizes_and_shapes_are_refused_with_4xx_codes(hub):
    _, token = hub.new_clinic()
    data = pdf_bytes(CHUNK + 100)
    digest = sha(data)
    png_head = b"\x89PNG\r\n\x1a\n" + os.urandom(CHUNK - 8)
    cases = []
    with hub.client(token) as client:
        gif = client.put(f"/api/v1/attachments/{digest}", json={"size": 10, "media_type": "image/gif"})
        cases.append((gif, 415, "attachment_type_not_allowed"))
        big = client.put(
            f"/api/v1/attachments/{digest}", json={"size": limits.MAX_ATTACHMENT_BYTES + 1, "media_type": PDF_TYPE}
        )
        cases.append((big, 413, "attachment_too_large"))
        cases.append((client.put(f"/api/v1/attachments/{digest}", json={"size": 0, "media_type": PDF_TYPE}), 422, None))
        bad_name = client.put("/api/v1/attachments/NOT-A-HASH", json={"size": 10, "media_type": PDF_TYPE})
        cases.append((bad_name, 422, "invalid_request"))
        cases.append((put_chunk(client, digest, 0, data[:CHUNK]), 404, "attachment_not_declared"))
        assert declare(client, data).status_code == 200
        other = client.put(f"/api/v1/attachments/{digest}", json={"size": len(data) + 1, "media_type": PDF_TYPE})
        cases.append((other, 409, "attachment_declared_otherwise"))
        cases.append((put_chunk(client, digest, 0, png_head), 415, "attachment_type_mismatch"))  # magic bytes
        cases.append((put_chunk(client, digest, 1, b"short"), 422, "chunk_wrong_size"))
        cases.append((put_chunk(client, digest, 5, data[:100]), 422, "chunk_out_of_range"))
        cases.append((put_chunk(client, digest, 0, data[:CHUNK] + b"x"), 413, "body_too_large"))
        zipped = put_chunk(client, digest, 0, gzip.compress(data[:CHUNK]), **{"Content-Encoding": "gzip"})
        cases.append((zipped, 415, "unsupported_encoding"))
        for answer, status, code in cases:
            assert answer.status_code == status, (answer.request.url, answer.text)
            if code:
                assert answer.json()["code"] == code
        # nothing of the refused chunks was kept
        assert client.get(f"/api/v1/attachments/{digest}").json()["missing"] == [0, 1]


def test_another_clinic_can_neither_read_nor_write_a_clinics_upload(hub):
    _, token = hub.new_clinic()
    _, intruder = hub.new_clinic()
    desk = hub.new_staff("doctor")
    data = pdf_bytes(CHUNK + 50)
    with hub.client(token) as client:
        declare(client, data)
        put_chunk(client, sha(data), 0, chunks(data)[0])
    with hub.client(intruder) as client:
        assert client.get(f"/api/v1/attachments/{sha(data)}").status_code == 404
        wrote = put_chunk(client, sha(data), 1, chunks(data)[1])
        assert wrote.status_code == 404 and wrote.json()["code"] == "attachment_not_declared"
    with hub.client(desk) as client:  # a staff token is not a clinic's
        assert client.get(f"/api/v1/attachments/{sha(data)}").status_code == 403
    with hub.client(token) as client:  # the owner's upload did not move
        assert client.get(f"/api/v1/attachments/{sha(data)}").json()["missing"] == [1]


def _attachment_entry(data: bytes, name: str, media_type: str = PDF_TYPE) -> dict:
    return {"sha256": sha(data), "size": len(data), "media_type": media_type, "name": name}


def test_the_desk_sees_files_arrive_and_reads_them_as_taken(hub):
    code, token = hub.new_clinic()
    doctor = hub.new_staff("doctor")
    tracing = pdf_bytes(3 * CHUNK)
    photo = b"\xff\xd8\xff\xe0" + os.urandom(5000)
    record = make_remote(
        code,
        attachments=[
            _attachment_entry(tracing, "心电图 12导联.pdf"),
            _attachment_entry(photo, "化验单.jpg", "image/jpeg"),
        ],
    )
    number = record["data"]["request_no"]
    with hub.client(token) as client:
        assert push(client, [record]).json()["results"][0]["status"] == "accepted"
        declare(client, tracing)
        put_chunk(client, sha(tracing), 0, chunks(tracing)[0])
    with hub.client(doctor) as staff:
        detail = staff.get(f"/api/v1/remote/requests/{number}").json()
        assert [(a["name"], a["complete"], a["chunks_received"], a["chunks_total"]) for a in detail["attachments"]] == [
            ("心电图 12导联.pdf", False, 1, 3),
            ("化验单.jpg", False, 0, 1),
        ]
        (row,) = [
            r for r in staff.get("/api/v1/remote/requests?room=ecg").json()["requests"] if r["request_no"] == number
        ]
        assert (row["attachments_total"], row["attachments_complete"], row["chunks_received"], row["chunks_total"]) == (
            2,
            0,
            1,
            4,
        )
        url = f"/api/v1/remote/requests/{number}/attachments/{sha(tracing)}"
        assert staff.get(url).status_code == 404  # still arriving: nothing to read yet
        assert staff.post(f"/api/v1/remote/requests/{number}/accept").status_code == 200
        early = staff.post(f"/api/v1/remote/requests/{number}/report", json={"findings": "f", "conclusion": "c"})
        assert early.status_code == 409 and early.json()["code"] == "attachments_incomplete"
    with hub.client(token) as client:
        upload(client, tracing)
        upload(client, photo, "image/jpeg")
    with hub.client(doctor) as staff:
        detail = staff.get(f"/api/v1/remote/requests/{number}").json()
        assert all(a["complete"] for a in detail["attachments"]) and detail["attachments_complete"] == 2
        got = staff.get(url)
        assert got.status_code == 200 and got.content == tracing
        assert got.headers["content-type"] == PDF_TYPE
        assert got.headers["content-disposition"].startswith("inline;")
        assert got.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in got.headers["content-security-policy"]
        assert "content-encoding" not in got.headers or got.headers["content-encoding"] == "identity"
        assert staff.get(f"/api/v1/remote/requests/{number}/attachments/{'0' * 64}").status_code == 404
        report = staff.post(f"/api/v1/remote/requests/{number}/report", json={"findings": "f", "conclusion": "c"})
        assert report.status_code == 200
    with hub.engine.connect() as conn:
        audit = table_of(AuditLog)
        actions = [
            r.action for r in conn.execute(sa.select(audit.c.action).where(audit.c.action == "remote.attachment"))
        ]
        assert actions  # a read of patient data


def test_a_requests_attachment_list_is_bounded(hub):
    code, token = hub.new_clinic()
    one = pdf_bytes(100)
    bad_lists = [
        [_attachment_entry(one, "a.pdf", "image/gif")],
        [{**_attachment_entry(one, "a.pdf"), "sha256": "XYZ"}],
        [{**_attachment_entry(one, "a.pdf"), "size": limits.MAX_ATTACHMENT_BYTES + 1}],
        [{**_attachment_entry(one, "a.pdf"), "size": True}],
        [{**_attachment_entry(one, "")}],
        [_attachment_entry(one, f"{n}.pdf") for n in range(limits.MAX_REQUEST_ATTACHMENTS + 1)],
        [
            {**_attachment_entry(pdf_bytes(20), f"{n}.pdf"), "size": limits.MAX_ATTACHMENT_BYTES}
            for n in range(limits.MAX_REQUEST_ATTACHMENT_BYTES // limits.MAX_ATTACHMENT_BYTES + 1)
        ],
        "not a list",
    ]
    with hub.client(token) as client:
        for attached in bad_lists:
            result = push(client, [make_remote(code, attachments=attached)]).json()["results"][0]
            assert (result["status"], result["code"]) == ("rejected", "invalid_value"), attached
            assert "attachments" in result["message"]
        fine = push(client, [make_remote(code, attachments=[_attachment_entry(one, "a.pdf")])]).json()
        assert fine["results"][0]["status"] == "accepted"


def test_a_request_naming_another_clinics_file_gets_nothing_until_it_sends_the_bytes(hub):
    """Naming a hash proves nothing: a clinic whose request names a file another clinic sent whole
    sees it arriving (0 chunks) on the desk until it has sent the bytes itself."""
    _, owner = hub.new_clinic()
    code, other = hub.new_clinic()
    doctor = hub.new_staff("doctor")
    data = pdf_bytes(CHUNK + 1)
    with hub.client(owner) as client:
        assert upload(client, data)["complete"] is True
    record = make_remote(code, attachments=[_attachment_entry(data, "别人的.pdf")])
    number = record["data"]["request_no"]
    with hub.client(other) as client:
        assert push(client, [record]).json()["results"][0]["status"] == "accepted"
    url = f"/api/v1/remote/requests/{number}/attachments/{sha(data)}"
    with hub.client(doctor) as staff:
        (item,) = staff.get(f"/api/v1/remote/requests/{number}").json()["attachments"]
        assert (item["complete"], item["chunks_received"]) == (False, 0)
        assert staff.get(url).status_code == 404
    with hub.client(other) as client:
        assert upload(client, data)["complete"] is True
    with hub.client(doctor) as staff:
        assert staff.get(url).content == data


def test_the_same_declaration_and_chunk_sent_at_once_are_stored_once(hub):
    """A client that resends before its first answer came (two connections at once): every answer
    a 200, one upload, one chunk row, one file."""
    from concurrent.futures import ThreadPoolExecutor

    _, token = hub.new_clinic()
    data = pdf_bytes(CHUNK + 3)
    parts = chunks(data)

    def declare_and_send(_n: int) -> tuple[int, int]:
        with hub.client(token) as client:
            first = declare(client, data).status_code
            return first, put_chunk(client, sha(data), 0, parts[0]).status_code

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(declare_and_send, range(4)))
    assert answers == [(200, 200)] * 4
    chunk_rows = table_of(AttachmentChunk)
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(chunk_rows.c.sha256 == sha(data))).scalar() == 1
    with hub.client(token) as client:
        assert put_chunk(client, sha(data), 1, parts[1]).json()["complete"] is True
    assert stored_file(hub, sha(data)).read_bytes() == data


def test_a_complete_file_missing_from_the_disk_is_a_404_not_a_500(hub):
    """The database restored without the attachment folder (docs/hub.md, "Backups")."""
    code, token = hub.new_clinic()
    doctor = hub.new_staff("doctor")
    data = pdf_bytes(1000)
    record = make_remote(code, attachments=[_attachment_entry(data, "a.pdf")])
    with hub.client(token) as client:
        push(client, [record])
        upload(client, data)
    stored_file(hub, sha(data)).unlink()
    with hub.client(doctor) as staff:
        lost = staff.get(f"/api/v1/remote/requests/{record['data']['request_no']}/attachments/{sha(data)}")
        assert lost.status_code == 404 and lost.json()["code"] == "attachment_not_found"
