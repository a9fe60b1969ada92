"""Attaching files to a remote request by keys (80x24, Chinese): a path typed or pasted in the
form's file field and taken with Enter, refused beside the field when there is no such file or
when its bytes are not a PDF/JPEG/PNG (whatever its name says), F8 removing the last one, and the
request sent with its files: checked in the database and in the attachment folder, then listed
on the request's page with their upload state."""

from __future__ import annotations

import hashlib
import os

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from test_remote_screens import QUESTION, _a_resident, _requests, _screen

from clinic_tui.data.attachments import engine_folder
from clinic_tui.data.db import read_session
from clinic_tui.data.models import AttachmentFile, RemoteRequest
from clinic_tui.screens import routes


def _message(form, name: str) -> str:
    return str(form.row(name).query_one(".field-message").render())


async def test_attach_files_by_path_remove_one_and_send(tmp_path):
    tracing = tmp_path / "ecg.pdf"
    tracing.write_bytes(b"%PDF-1.5\n" + os.urandom(300_000))
    photo = tmp_path / "report photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2_000))
    disguised = tmp_path / "notes.pdf"  # a text file named .pdf
    disguised.write_text("not really a pdf")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        resident = _a_resident(app)
        await app.push_screen(routes.record_page("resident", resident.id))
        await wait_for(pilot, lambda: _screen(app, "ResidentScreen"))
        await pilot.press("f10")
        await wait_for(pilot, lambda: _screen(app, "RemoteFormScreen"))
        form = app.screen.form
        await wait_for(pilot, lambda: app.screen.focused is form.input("service"))
        await pilot.press("3", "enter", "enter", *QUESTION)
        form.input("consent").focus()
        await pilot.press("1")
        attach = form.input("attach")
        attach.focus()
        await pilot.press(*str(tmp_path / "missing.pdf"), "enter")
        assert "找不到文件" in _message(form, "attach") and app.screen.focused is attach
        attach.value = str(disguised)
        await pilot.press("enter")
        assert "不是 PDF" in _message(form, "attach") and app.screen.attached_files == []
        attach.value = ""
        await pilot.press(*str(tracing), "enter")  # typed
        assert attach.value == "" and [f["name"] for f in app.screen.attached_files] == ["ecg.pdf"]
        attach.value = f"'{photo}'"  # pasted, with the quotes a file manager adds
        await pilot.press("enter")
        assert [f["media_type"] for f in app.screen.attached_files] == ["application/pdf", "image/png"]
        listed = str(app.screen.query_one("#remote-attachments").render())
        assert "1. ecg.pdf · PDF · 293 KB" in listed and "2. report photo.png · PNG" in listed
        await pilot.press("f8")  # the photo goes again
        assert [f["name"] for f in app.screen.attached_files] == ["ecg.pdf"]

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _screen(app, "RemoteRequestScreen") and app.screen.detail is not None)
        (request,) = _requests(app, resident.id)
        (entry,) = request.attachments
        assert entry["name"] == "ecg.pdf" and entry["media_type"] == "application/pdf"
        assert entry["size"] == tracing.stat().st_size
        kept = engine_folder(app.store.engine) / entry["sha256"]
        assert kept.read_bytes() == tracing.read_bytes()
        with read_session(app.store.engine) as session:
            row = session.get(AttachmentFile, entry["sha256"])
            assert (row.chunks_total, row.chunks_sent, row.complete) == (2, 0, False)
            photo_hash = hashlib.sha256(photo.read_bytes()).hexdigest()
            assert session.get(AttachmentFile, photo_hash) is None  # removed before sending: not kept
            assert session.get(RemoteRequest, request.id).attachments == [entry]
        shown = str(app.screen.query_one("#remote-attachments").render())
        assert "ecg.pdf · PDF · 293 KB" in shown and "待发送：医院已收到 0/2 块" in shown


def test_the_sync_screen_says_how_far_the_files_are():
    from clinic_tui.screens.sync_screen import progress_text
    from clinic_tui.sync.engine import SyncProgress

    assert progress_text(SyncProgress("attachments", 3, 8)) == "正在发送附件：3/8 块"
