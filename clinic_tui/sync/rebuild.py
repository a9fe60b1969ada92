"""``clinic-tui sync rebuild``: set a clinic up again from its hub token (a new PC, a lost file).

Sync invariant 11 (docs/architecture-sync.md): the hub holds every record a clinic pushed, so a
clinic whose database is gone is rebuilt from it. The rebuild

1. refuses if anything is at the database's path (it never creates over a file: move a damaged
   file aside first, or restore a backup with ``clinic-tui db restore``);
2. asks the hub who the token's clinic is (``GET /sync/own/clinic``: code, name and the clinic id
   its records carry), creates a new database (owner-only) holding that clinic, and marks it
   restored, so that
3. the sync that follows takes back every record of its own the hub holds, kind by kind in pages
   (``sync/recovery.py``; cut off half-way, ``clinic-tui sync`` goes on where it stopped),
   then pulls the hospital's records and reconciles: the receipt says whether both sides match.

4. the attachment files the requests taken back name are fetched from the hub (``GET
   /attachments/{sha256}/content``: only this clinic's own complete files), each verified by its
   hash, into the folder beside the database, and recorded as held by the hub (nothing to upload).
   ``clinic-tui sync fetch-files`` does the same alone: after a rebuild cut off during the files,
   or after ``clinic-tui db restore`` from a backup that lacked some of them.

What the hub never had is lost: records not yet sent when the old PC failed, and the staff PINs
(they never leave the clinic). Staff taken back have no PIN, and a staff member without a PIN
signs in without one: the command lists them and says to set each PIN with ``clinic-tui staff
set-pin NAME`` before the PC is left alone.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.config import Settings
from clinic_tui.i18n import _

if TYPE_CHECKING:
    from clinic_tui.sync.credentials import Connection
    from clinic_tui.sync.local import Database

REBUILT_FROM = "hub"  # the restored_from mark's "backup": the hub itself


def rebuild(settings: Settings, token: str | None) -> int:
    """Create the database at ``settings.database_path()`` from the hub and sync it; an exit code."""
    from clinic_tui.sync.client import HubError
    from clinic_tui.sync.credentials import SyncConfigError, resolve
    from clinic_tui.sync.engine import EXIT_CONFIG, client_for, exit_code_of, outcome_of, run_sync
    from clinic_tui.sync.status import SyncTrigger
    from clinic_tui.sync.texts import problem_message

    path = settings.database_path()
    if path.exists() or path.with_name(path.name + "-wal").exists():
        print(
            _(
                "{path} is there already: a rebuild never writes over a file. If it is damaged, move it "
                "aside first (or restore a backup: clinic-tui db restore)."
            ).format(path=path),
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        connection = resolve(settings, token)
    except SyncConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    for warning in connection.warnings:
        print(warning, file=sys.stderr)
    try:
        with client_for(settings, connection.hub_url, connection.token) as client:
            client.health()  # the API version first: an old hub gets a clear message, not a 404
            identity = client.own_clinic()
    except HubError as exc:
        print(problem_message(exc.problem, connection.hub_url, exc.detail), file=sys.stderr)
        return exit_code_of(outcome_of(exc), exc.problem)
    _create(path, settings, identity.code, identity.name, identity.record_clinic_id)
    print(
        _("Rebuilding {name} ({code}) from the hub into {path}.").format(
            name=identity.name, code=identity.code, path=path
        )
    )
    from clinic_tui.data.migrate import open_database

    opened = open_database(path, settings.backup_dir())
    try:
        report = run_sync(opened.engine, settings, trigger=SyncTrigger.CLI, token=token)
        staff = _staff_without_pin(path)
        files = _fetch_files(opened.engine, settings, connection) if report.exit_code == 0 else 0
    finally:
        opened.engine.dispose()
    print(report.message, file=sys.stdout if report.exit_code == 0 else sys.stderr)
    if report.exit_code == 0:
        print(_("Taken back from the hub: {count} records.").format(count=report.taken_back))
    if staff:
        print(
            _(
                "Staff PINs are never sent to the hub: {names} have no PIN now. Set each with "
                "clinic-tui staff set-pin NAME before the PC is left alone."
            ).format(names=_(", ").join(staff))
        )
    return report.exit_code or files


def fetch_files(settings: Settings, token: str | None) -> int:
    """``clinic-tui sync fetch-files``: the request's files this database lacks, from the hub."""
    from clinic_tui.data.migrate import open_database
    from clinic_tui.sync.credentials import SyncConfigError, resolve
    from clinic_tui.sync.engine import EXIT_CONFIG

    path = settings.database_path()
    if not path.exists():
        print(_("The file {path} is missing.").format(path=path), file=sys.stderr)
        return EXIT_CONFIG
    try:
        connection = resolve(settings, token)
    except SyncConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    opened = open_database(path, settings.backup_dir())
    try:
        return _fetch_files(opened.engine, settings, connection)
    finally:
        opened.engine.dispose()


def _fetch_files(engine: Database, settings: Settings, connection: Connection) -> int:
    """Take back the files; say what came and what is lost; an exit code."""
    from clinic_tui.domain.attachments import size_text
    from clinic_tui.sync.attachments import take_back
    from clinic_tui.sync.client import HubError
    from clinic_tui.sync.engine import client_for, exit_code_of, outcome_of
    from clinic_tui.sync.texts import problem_message

    try:
        with client_for(settings, connection.hub_url, connection.token) as client:
            taken = take_back(engine, client)
    except HubError as exc:
        print(problem_message(exc.problem, connection.hub_url, exc.detail), file=sys.stderr)
        return exit_code_of(outcome_of(exc), exc.problem)
    print(
        _("Attachment files: {fetched} fetched from the hub ({size}), {present} already here.").format(
            fetched=taken.fetched, size=size_text(taken.fetched_bytes), present=taken.present
        )
    )
    if taken.lost:
        print(
            _("The hub holds no complete copy of {count} files: {names}").format(
                count=len(taken.lost), names=_(", ").join(sha[:12] for sha in taken.lost)
            ),
            file=sys.stderr,
        )
    return 0


def _create(path: Path, settings: Settings, code: str, name: str, clinic_id: str | None) -> None:
    """A new, empty database holding this clinic, marked as restored so the sync takes everything back."""
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.maintenance import RESTORED_KEY
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.models import AppSetting, Clinic
    from clinic_tui.data.models.base import new_id

    opened = open_database(path, settings.backup_dir())
    try:
        with unit_of_work(opened.engine) as session:
            clinic = Clinic(id=clinic_id or new_id(), code=code, name=name)
            session.add(clinic)
            session.add(AppSetting(key="clinic_id", value=clinic.id))
            mark = {"backup": REBUILT_FROM, "at": datetime.now(UTC).isoformat(timespec="seconds")}
            session.add(AppSetting(key=RESTORED_KEY, value=json.dumps(mark)))
    finally:
        opened.engine.dispose()


def _staff_without_pin(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM staff WHERE pin_hash IS NULL AND deleted = 0 ORDER BY name")
        return [row[0] for row in rows]
