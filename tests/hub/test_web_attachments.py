"""A remote request's files on the web desk (issue 18), over real HTTP on SQLite and PostgreSQL:
the queue and the page say how far a file has arrived, the page links the complete ones, which the
browser is given inline with their own type, never cached, under a policy like the desk's; only
for the roles that see the request; every read audited."""

from __future__ import annotations

import os

import pytest

from .conftest import push
from .remote_support import make_remote
from .test_attachments import CHUNK, _attachment_entry, chunks, declare, pdf_bytes, put_chunk, sha, upload
from .test_web_remote import _staff
from .web_support import audit_actions

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def _queue_page_with(doctor, number: str) -> str:
    """The ECG room's queue page that lists ``number`` (urgent first, then the oldest: a new
    request is on page 1 only while fewer than a page's worth wait before it)."""
    for page in range(1, 50):
        text = doctor.get("/desk/remote", params={"room": "ecg", "page": page}).text
        if number in text:
            return text
    raise AssertionError(f"{number} is on no page of the ECG queue")


def test_the_desk_shows_files_arriving_then_opens_them_inline(hub):
    code, token = hub.new_clinic()
    tracing = pdf_bytes(2 * CHUNK + 7)
    photo = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    record = make_remote(
        code,
        service="ecg",
        attachments=[_attachment_entry(tracing, "心电图.pdf"), _attachment_entry(photo, "报告单.png", "image/png")],
    )
    number = record["data"]["request_no"]
    with hub.client(token) as client:
        assert push(client, [record]).json()["results"][0]["status"] == "accepted"
        declare(client, tracing)
        put_chunk(client, sha(tracing), 0, chunks(tracing)[0])
    doctor = _staff(hub, "doctor")
    queue = _queue_page_with(doctor, number)  # the hub is shared: other tests' requests wait too
    assert "附件传送中：1/4 块" in queue  # 3 chunks of the PDF + 1 of the PNG, one arrived
    page = doctor.get(f"/desk/remote/{number}").text
    assert "心电图.pdf" in page and "正在传送：已收到 1/3 块" in page
    file_url = f"/desk/remote/{number}/attachments/{sha(tracing)}"
    assert f'href="{file_url}"' not in page  # nothing to open yet
    assert doctor.get(file_url).status_code == 404
    with hub.client(token) as client:
        upload(client, tracing)
        upload(client, photo, "image/png")
    page = doctor.get(f"/desk/remote/{number}").text
    assert f'href="{file_url}"' in page and "已收到并已校验" in page and "附件传送中" not in page
    opened = doctor.get(file_url)
    assert opened.status_code == 200 and opened.content == tracing
    headers = opened.headers
    assert headers["content-type"] == "application/pdf"
    assert (
        headers["content-disposition"].startswith("inline;") and "filename*=UTF-8''" in headers["content-disposition"]
    )
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none': nothing runs
    assert "default-src 'none'" in headers["content-security-policy"]
    image = doctor.get(f"/desk/remote/{number}/attachments/{sha(photo)}")
    assert image.headers["content-type"] == "image/png" and image.content == photo
    assert doctor.get(f"/desk/remote/{number}/attachments/{'0' * 64}").status_code == 404
    assert doctor.get(f"/desk/remote/{number}/attachments/not-a-hash").status_code == 404
    actions = [a for a, status, ids in audit_actions(hub.engine, doctor.staff_id) if a == "web.remote.attachment"]
    assert len(actions) == 5  # two reads, three refused: each one in the log
    viewer = _staff(hub, "viewer")
    assert viewer.get(file_url).status_code == 403  # a role that may not see the request
    for client in (doctor, viewer):
        client.close()
