"""A clinic rebuilt from the hub gets its attachment files back (docs/bad-day.md), against a real
hub on loopback: the requests' files come from the hub, verified by hash, owner-only, recorded as
held by the hub (nothing to upload again); a file the hub never had whole is named as lost; and
``clinic-tui sync fetch-files`` takes back what a folder lost later."""

from __future__ import annotations

import sqlite3
import stat

from clinic_tui.cli import main
from clinic_tui.data.attachments import engine_folder
from clinic_tui.data.migrate import open_database
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import register
from .test_attachments_e2e import _request_with


def test_a_rebuilt_clinic_gets_its_attachment_files_back_from_the_hub(
    hub, small_clinic, clinic_settings, tmp_path, capsys
):
    engine = small_clinic
    _code, token = register(hub, engine)
    _, sent_no, sent, sent_sha = _request_with(engine, tmp_path, 600_000)
    _, _, _, never_sha = _request_with(engine, tmp_path, 1000)
    with sqlite3.connect(database_path(engine)) as db:  # refused by the hub once: never sent
        db.execute("UPDATE attachment_file SET problem = 'attachment_type_not_allowed' WHERE sha256 = ?", (never_sha,))
    report = run_sync(engine, clinic_settings(hub, database_path(engine)), token=token)
    assert report.outcome == "ok" and report.uploads is not None and report.uploads.files_done == 1

    new = tmp_path / "new-pc" / "clinic.db"
    assert main(["--db", str(new), "sync", "rebuild", "--hub", hub.base_url, "--token", token]) == 0
    said = capsys.readouterr()
    folder = new.with_name(new.name + ".attachments")
    kept = folder / sent_sha
    assert kept.read_bytes() == sent  # byte for byte, as the clinic took it
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not list(folder.glob("*.part")) and not (folder / never_sha).exists()
    assert "1" in said.out and never_sha[:12] in said.err  # fetched; the one the hub never had is named
    with sqlite3.connect(new) as db:
        rows = dict(
            (sha, (complete, problem, chunks_sent, chunks_total))
            for sha, complete, problem, chunks_sent, chunks_total in db.execute(
                "SELECT sha256, complete, problem, chunks_sent, chunks_total FROM attachment_file"
            )
        )
        (attachments,) = db.execute(
            "SELECT attachments FROM remote_request WHERE request_no = ?", (sent_no,)
        ).fetchone()
    assert rows[sent_sha] == (1, None, 3, 3)  # held by the hub: nothing to send again
    assert rows[never_sha][:2] == (0, "file_missing")
    assert sent_sha in attachments
    assert main(["--db", str(new), "--lang", "en", "db", "check"]) == 1  # the lost file is named

    # The next sync uploads nothing; a folder lost later comes back with fetch-files.
    opened = open_database(new)
    try:
        again = run_sync(opened.engine, clinic_settings(hub, new), token=token)
        assert again.outcome == "ok" and again.uploads is not None and again.uploads.chunks_sent == 0
        assert engine_folder(opened.engine) == folder
    finally:
        opened.engine.dispose()
    kept.write_bytes(sent[:-1] + bytes([sent[-1] ^ 0xFF]))  # damaged on the disk (flipped: random bytes may end in 0)
    assert main(["--db", str(new), "sync", "fetch-files", "--hub", hub.base_url, "--token", token]) == 0
    assert kept.read_bytes() == sent


def test_a_clinic_never_takes_back_another_clinics_file(hub, small_clinic, clinic_settings, tmp_path, capsys):
    engine = small_clinic
    _code, token = register(hub, engine)
    _, _, _, digest = _request_with(engine, tmp_path, 300_000)
    assert run_sync(engine, clinic_settings(hub, database_path(engine)), token=token).outcome == "ok"
    _other_code, other_token = hub.new_clinic()
    # The other clinic's database names the same file (a copied database, a forged request).
    folder = engine_folder(engine)
    (folder / digest).unlink()
    assert (
        main(["--db", str(database_path(engine)), "sync", "fetch-files", "--hub", hub.base_url, "--token", other_token])
        == 0
    )
    assert not (folder / digest).exists()
    assert digest[:12] in capsys.readouterr().err
