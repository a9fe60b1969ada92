"""A file named for a remote request (data/attachments.py): checked by its bytes and size before it
is taken, copied byte for byte and owner-only beside the database when the request is sent, and
refused with a message naming the problem; nothing is written for a refused file."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict

import pytest
from sqlalchemy import select

from clinic_tui.data import attachments
from clinic_tui.data.db import read_session
from clinic_tui.data.models import AttachmentFile, Resident
from clinic_tui.data.remote_requests import submit
from clinic_tui.domain import attachments as rules
from clinic_tui.domain.problems import DomainError
from clinic_tui.i18n import set_language


@pytest.fixture(autouse=True)
def _english():
    set_language("en")
    yield
    set_language("zh")


def _code(text: str, taken=()) -> str:
    with pytest.raises(DomainError) as refused:
        attachments.examine(text, list(taken))
    assert refused.value.problem.field == "attach"
    return refused.value.problem.code


def test_a_path_is_checked_by_existence_type_and_size(tmp_path, monkeypatch):
    pdf = tmp_path / "tracing.PDF"
    pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(1000))
    found = attachments.examine(f"  '{pdf}'  ")
    assert (found.name, found.size, found.media_type) == ("tracing.PDF", 1009, rules.PDF)
    assert _code(str(tmp_path / "nothing.pdf")) == "attach.missing"
    assert _code(str(tmp_path)) == "attach.not_a_file"
    assert _code("   ") == "attach.empty_path"
    (tmp_path / "empty.png").write_bytes(b"")
    assert _code(str(tmp_path / "empty.png")) == "attach.empty"
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"GIF89a" + os.urandom(100))  # the name says JPEG, the bytes do not
    assert _code(str(fake)) == "attach.type"
    assert _code(str(pdf), [found]) == "attach.duplicate"
    monkeypatch.setattr(rules, "MAX_FILE_BYTES", 1000)
    assert _code(str(pdf)) == "attach.too_large"
    monkeypatch.setattr(rules, "MAX_FILE_BYTES", 10_000)
    monkeypatch.setattr(rules, "MAX_REQUEST_BYTES", 1500)
    other = tmp_path / "other.png"
    other.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(600))
    assert _code(str(other), [found]) == "attach.request_too_large"


def test_sending_copies_the_file_owner_only_and_registers_its_upload(engine, clinic, doctor, tmp_path):
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work

    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="王小明", sex="1"), doctor.id)
    png = tmp_path / "report.png"
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(rules.CHUNK_BYTES + 1)
    png.write_bytes(data)
    found = attachments.examine(str(png))
    values = {"service": "imaging_dr", "urgency": "routine", "question": "请阅片", "consent": True}
    submit(engine, resident_id=resident.id, values={**values, "attachments": [asdict(found)]}, user_id=doctor.id)
    kept = attachments.engine_folder(engine) / found.sha256
    assert kept.read_bytes() == data
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    with read_session(engine) as session:
        (row,) = session.execute(select(AttachmentFile)).scalars()
        assert (row.sha256, row.size, row.chunks_total, row.chunks_sent, row.complete) == (
            found.sha256,
            len(data),
            2,
            0,
            False,
        )
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"changed")  # changed after it was named: refused whole
    changed = attachments.Candidate(str(png), "report.png", found.size, rules.PNG, "0" * 64)
    with pytest.raises(DomainError) as refused:
        submit(engine, resident_id=resident.id, values={**values, "attachments": [asdict(changed)]}, user_id=doctor.id)
    assert refused.value.problem.code == "attach.changed"
    assert not (attachments.engine_folder(engine) / ("0" * 64)).exists()
