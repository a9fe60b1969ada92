"""Uploading the files of remote requests (docs/protocol.md, "Attachments"; docs/sync.md).

After the records (the request itself reaches the reading room at once, so the hospital sees it
and its "attachment arriving" while the bytes travel; a slow file never holds back a day's
records), each file the hub does not hold whole yet is declared, which answers the chunks the hub
still lacks, and those are sent one by one, in order. After a cut the next sync (or the next try
within this one) declares again and sends only what is missing: nothing already received is sent
twice. The hub verifies the whole file's SHA-256 on the last chunk; a file it refuses (type, size,
hash) is marked with the hub's code and not sent again. Progress goes to the sync's progress
callback as chunks of all the waiting files.

Plain sqlite3 through ``sync.local`` (the bookkeeping table ``attachment_file`` and the folder
beside the database), like the rest of an ordinary sync: no ORM is loaded for it (docs/sync.md,
"Cost of a sync").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.sync.client import RESENDABLE_PROBLEMS, HubClient, HubError
from clinic_tui.sync.local import Database, database_path, reading, writing
from clinic_tui.sync.outbox import stored_now
from clinic_tui.sync.pusher import RESENDS, back_off

if TYPE_CHECKING:
    from clinic_tui.sync.wire import AttachmentStatus

# The hub's codes that refuse a file for good (sending it again will not help).
REFUSED = frozenset(
    {
        "attachment_type_not_allowed",
        "attachment_type_mismatch",
        "attachment_too_large",
        "attachment_empty",
        "attachment_declared_otherwise",
        "chunk_wrong_size",
        # The whole file did not hash to its name: the copy beside the database no longer holds
        # the bytes that were attached (a damaged disk). The hub dropped the chunks.
        "attachment_hash_mismatch",
    }
)


@dataclass
class UploadCounts:
    files_done: int = 0  # files the hub verified whole in this sync
    chunks_sent: int = 0  # chunks sent in this sync
    bytes_sent: int = 0
    refused: int = 0  # files the hub refused for good
    waiting: int = 0  # files not whole on the hub when the upload stopped


def upload_all(
    engine: Database,
    client: HubClient,
    tell: Callable[[int, int], None],
    check_cancel: Callable[[], None],
) -> UploadCounts:
    """Send every waiting file; raises HubError when the link fails for good (the next sync resumes)."""
    counts = UploadCounts()
    files = waiting(engine)
    if not files:
        return counts
    total = sum(f.chunks_total for f in files)
    done = sum(f.chunks_sent for f in files)
    tell(done, total)
    for position, row in enumerate(files):
        counts.waiting = len(files) - position
        check_cancel()
        status = _again(partial(client.declare_attachment, row.sha256, row.size, row.media_type), engine, row)
        if status is None:
            counts.refused += 1
            continue
        confirmed = (status.chunks_total - len(status.missing)) - row.chunks_sent
        if confirmed:  # the hub holds more (or less) than this database knew: a lost answer, a reset
            done += confirmed
            tell(done, total)
        for index in status.missing:
            check_cancel()
            try:
                data = read_chunk(engine, row.sha256, index, status.chunk_bytes)
            except OSError:  # the copy beside the database is gone (a folder not restored with it)
                note_progress(engine, row.sha256, chunks_sent=row.chunks_sent, complete=False, problem="file_missing")
                counts.refused += 1
                break
            answer = _again(partial(client.put_chunk, row.sha256, index, data), engine, row)
            if answer is None:
                counts.refused += 1
                break
            status = answer
            counts.chunks_sent += 1
            counts.bytes_sent += len(data)
            done += 1
            note_progress(
                engine, row.sha256, chunks_sent=status.chunks_total - len(status.missing), complete=status.complete
            )
            tell(done, total)
        else:
            if status.complete:
                note_progress(engine, row.sha256, chunks_sent=status.chunks_total, complete=True)
                counts.files_done += 1
    counts.waiting = len(waiting(engine))
    return counts


def _again(request: Callable[[], AttachmentStatus], engine: Database, row: Waiting) -> AttachmentStatus | None:
    """``request``, sent again after a cut or a lost answer (the hub stores a chunk once); None
    when the hub refused the file for good (marked with its code, shown on the request's page, not
    sent again)."""
    for attempt in range(RESENDS):
        try:
            return request()
        except HubError as exc:
            if exc.code in REFUSED:
                note_progress(engine, row.sha256, chunks_sent=0, complete=False, problem=exc.code)
                return None
            if exc.problem not in RESENDABLE_PROBLEMS or attempt == RESENDS - 1:
                raise
            back_off(attempt)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Waiting:
    """A row of ``attachment_file`` the hub does not hold whole yet."""

    sha256: str
    size: int
    media_type: str
    chunks_total: int
    chunks_sent: int


def waiting(engine: Database) -> list[Waiting]:
    """Files the hub does not hold whole yet (and has not refused), oldest first."""
    with reading(engine) as cursor:
        rows = cursor.execute(
            "SELECT sha256, size, media_type, chunks_total, chunks_sent FROM attachment_file "
            "WHERE complete = 0 AND problem IS NULL ORDER BY added_at"
        ).fetchall()
    return [Waiting(*row) for row in rows]


def note_progress(
    engine: Database, sha256: str, *, chunks_sent: int, complete: bool, problem: str | None = None
) -> None:
    with writing(engine) as cursor:
        cursor.execute(
            "UPDATE attachment_file SET chunks_sent = ?, complete = ?, problem = ?, updated_at = ? WHERE sha256 = ?",
            (chunks_sent, complete, problem, stored_now(), sha256),
        )


def read_chunk(engine: Database, sha256: str, index: int, chunk_bytes: int) -> bytes:
    """Chunk ``index`` of the copy kept beside the database (data/attachments.py's folder)."""
    database = Path(database_path(engine))
    with (database.with_name(database.name + ".attachments") / sha256).open("rb") as handle:
        handle.seek(index * chunk_bytes)
        return handle.read(chunk_bytes)


# --- taking files back from the hub ------------------------------------------------------------------


@dataclass
class TakenBack:
    fetched: int = 0  # files fetched from the hub, verified by their hash
    fetched_bytes: int = 0
    present: int = 0  # already beside the database, sound
    lost: list[str] = field(default_factory=list)  # named by a request, not whole on the hub: gone


def take_back(engine: Database, client: HubClient) -> TakenBack:
    """Fetch from the hub every file this database's requests name that is not sound beside it (a
    rebuild from the hub, a backup restored without its files), verified by its hash; record each
    in ``attachment_file`` as held whole by the hub. A file the hub holds no complete copy of from
    this clinic is lost: marked ``file_missing`` (the request's page says so), never sent.
    Raises HubError when the link fails (run again: what came is kept)."""
    from clinic_tui.data.backup_files import file_hash, live_folder, referenced

    database = Path(database_path(engine))
    names = referenced(database)
    result = TakenBack()
    if not names:
        return result
    with reading(engine) as cursor:
        entries = _entries(cursor)
        known = {row[0] for row in cursor.execute("SELECT sha256 FROM attachment_file")}
    folder = live_folder(database)
    for sha256 in sorted(names):
        size, media_type = entries.get(sha256, (0, ""))
        target = folder / sha256
        if target.is_file() and file_hash(target) == sha256:
            result.present += 1
            _note_held(engine, sha256, size, media_type, known, "present")
            continue
        try:
            written = _download(client, sha256, target)
        except HubError as exc:
            if exc.code != "attachment_not_found":
                raise
            result.lost.append(sha256)
            _note_held(engine, sha256, size, media_type, known, "lost")
            continue
        result.fetched += 1
        result.fetched_bytes += written
        _note_held(engine, sha256, size, media_type, known)
    return result


def _entries(cursor: sqlite3.Cursor) -> dict[str, tuple[int, str]]:
    import json

    out: dict[str, tuple[int, str]] = {}
    for (value,) in cursor.execute("SELECT attachments FROM remote_request"):
        for entry in json.loads(value or "[]") or []:
            if isinstance(entry, dict) and entry.get("sha256"):
                out[str(entry["sha256"])] = (int(entry.get("size") or 0), str(entry.get("media_type") or ""))
    return out


def _download(client: HubClient, sha256: str, target: Path) -> int:
    """The file into ``target`` through ``target.part`` (owner-only), taking its name only when
    its bytes hash to it; raises HubError("damaged") when they do not (sent again next time)."""
    import hashlib
    import os

    from clinic_tui.data.private_files import FILE_MODE, POSIX, private_folder

    private_folder(target.parent)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    written = 0
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as out:

            def write(block: bytes) -> None:
                nonlocal written
                digest.update(block)
                out.write(block)
                written += len(block)

            client.download_attachment(sha256, write)
            out.flush()
            os.fsync(out.fileno())
        if POSIX:
            os.chmod(partial, FILE_MODE)
        if digest.hexdigest() != sha256:
            raise HubError("damaged", f"{sha256[:12]}: the bytes do not hash to the file's name")
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    return written


def _note_held(
    engine: Database, sha256: str, size: int, media_type: str, known: set[str], state: str = "fetched"
) -> None:
    """``attachment_file`` after a take-back: ``fetched`` (the hub holds it whole: nothing to
    upload), ``present`` (sound beside the database: a row only if there was none, left to the next
    sync to ask the hub), ``lost`` (marked ``file_missing``: shown on the request's page)."""
    from clinic_tui.domain.attachments import chunk_count

    total, now = chunk_count(size), stored_now()
    with writing(engine) as cursor:
        if sha256 not in known:
            complete = state == "fetched"
            cursor.execute(
                "INSERT INTO attachment_file (sha256, size, media_type, chunks_total, chunks_sent, complete, problem, "
                "added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sha256,
                    size,
                    media_type,
                    total,
                    total if complete else 0,
                    complete,
                    "file_missing" if state == "lost" else None,
                    now,
                    now,
                ),
            )
            known.add(sha256)
        elif state == "fetched":
            cursor.execute(
                "UPDATE attachment_file SET chunks_sent = chunks_total, complete = 1, problem = NULL, updated_at = ? "
                "WHERE sha256 = ?",
                (now, sha256),
            )
        elif state == "lost":
            cursor.execute(
                "UPDATE attachment_file SET problem = 'file_missing', updated_at = ? WHERE sha256 = ?", (now, sha256)
            )
