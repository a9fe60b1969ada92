"""The attachment files in the clinic's backups (docs/bad-day.md, "What a backup holds").

A remote request names its files by SHA-256 (``remote_request.attachments``); their bytes live in
the folder beside the database (``<database>.attachments/<sha256>``, data/attachments.py). A
backup of the database alone would restore requests whose ECG tracings are gone, so every backup
carries the files its copy of the database names.

Files are tens of MB and never change (a file is its hash), so the backups of one folder share one
content-addressed store, ``<backup folder>/attachments/<sha256>``: a file is copied into it once,
whatever the number of daily backups that name it. It is a real copy, not a hard link: a backup
must survive damage to the bytes of the original, and the backup folder may be on another disk.
A copy is written as ``<sha256>.part``, flushed, hashed while it is written, and takes its name
only when the hash matches, so a power cut never leaves half a file under a file's name; the
database copy takes its own name only after its files are in the store (maintenance.backup_to).

Rotation removes from the store only what no database left in the backup folder names (any
``*.db`` file there: daily backups and the copies made before an upgrade). A database there that
cannot be read stops the cleaning: nothing is removed on a doubt.

Owner-only like the database (data/private_files.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clinic_tui.data.private_files import FILE_MODE, POSIX, private_folder
from clinic_tui.domain.attachments import SHA256

STORE_FOLDER = "attachments"
READ_BYTES = 1024 * 1024
MISSING, DAMAGED = "missing", "damaged"
STALE_PART_SECONDS = 24 * 3600


@dataclass
class FileProblem:
    """A file a database names that is not where it should be (``missing``) or whose bytes no
    longer hash to its name (``damaged``), with the requests that name it (request number, name)."""

    sha256: str
    kind: str
    records: list[tuple[str, str]] = field(default_factory=list)
    # The hub confirmed holding the whole file (``attachment_file.complete``): a missing copy is
    # taken back with ``clinic-tui sync fetch-files``, so nothing is lost.
    on_hub: bool = False

    @property
    def lost(self) -> bool:
        """Nothing here nor on the hub holds the bytes (or the bytes here are damaged: a failing disk)."""
        return self.kind == DAMAGED or not self.on_hub

    def text(self) -> str:
        named = ", ".join(f"{number} {name}".strip() for number, name in self.records) or "attachment_file"
        return f"{named}: {self.kind} ({self.sha256[:12]})"


def live_folder(database: Path | str) -> Path:
    database = Path(database)
    return database.with_name(database.name + ".attachments")


def store_of(backup: Path | str) -> Path:
    """The store the backup at ``backup`` shares with the other backups of its folder."""
    return Path(backup).parent / STORE_FOLDER


def referenced(database: Path | str) -> dict[str, list[tuple[str, str]]]:
    """Per SHA-256 the database names, the (request number, file name) of each request naming it;
    a file known only to the upload bookkeeping (``attachment_file``) has no record. Read-only;
    a database from before attachments existed names none."""
    found: dict[str, list[tuple[str, str]]] = {}
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # A database from before attachments (a copy made before an upgrade) has no such column.
        columns = {r[1] for r in connection.execute("PRAGMA table_info(remote_request)")} if tables else set()
        if "remote_request" in tables and "attachments" in columns:
            for number, entries in connection.execute("SELECT request_no, attachments FROM remote_request"):
                try:
                    listed = json.loads(entries or "[]")
                except (TypeError, ValueError):
                    continue  # not this module's to judge: db check's other checks see the record
                for entry in listed if isinstance(listed, list) else []:
                    if not isinstance(entry, dict):
                        continue
                    sha256 = str(entry.get("sha256") or "")
                    if SHA256.match(sha256):
                        found.setdefault(sha256, []).append((number, str(entry.get("name") or "")))
        if "attachment_file" in tables:
            for (sha256,) in connection.execute("SELECT sha256 FROM attachment_file"):
                if SHA256.match(sha256 or ""):
                    found.setdefault(sha256, [])
    finally:
        connection.close()
    return found


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def copy_verified(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` (named by its hash) through ``target.part``, owner-only, hashing
    the bytes as they are written; ``target`` takes its name only if they hash to it. False (and
    nothing left behind) when they do not: the source is damaged."""
    private_folder(target.parent)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as out, source.open("rb") as handle:
        while block := handle.read(READ_BYTES):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if POSIX:
        os.chmod(partial, FILE_MODE)  # a .part left by a power cut kept its old mode through os.open
    if digest.hexdigest() != target.name:
        partial.unlink()
        return False
    os.replace(partial, target)
    return True


def _problems(
    names: dict[str, list[tuple[str, str]]], folder: Path, database: Path | str, *, full: bool
) -> list[FileProblem]:
    """What of ``names`` is not sound in ``folder``: with ``full`` each file is hashed; without,
    it must be there (and of its size when known: files are hashed when they enter a store)."""
    known = _known(database)
    out = []
    for sha256, records in sorted(names.items()):
        path = folder / sha256
        size, on_hub = known.get(sha256, (None, False))
        if not path.is_file():
            out.append(FileProblem(sha256, MISSING, records, on_hub))
        elif (full and file_hash(path) != sha256) or (size is not None and path.stat().st_size != size):
            out.append(FileProblem(sha256, DAMAGED, records, on_hub))
    return out


def _known(database: Path | str) -> dict[str, tuple[int, bool]]:
    """Per file of ``attachment_file``: its size, and whether the hub holds it whole."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "attachment_file" not in tables:
            return {}
        rows = connection.execute("SELECT sha256, size, complete FROM attachment_file").fetchall()
        return {sha256: (size, bool(complete)) for sha256, size, complete in rows}
    finally:
        connection.close()


def carry(copy: Path, source_folder: Path, store: Path) -> list[FileProblem]:
    """Put into ``store`` every file the database ``copy`` names that is not there yet, from
    ``source_folder`` (the folder beside the live database), verified by its hash. Returns the
    files it could not carry: absent from both, or damaged at the source (the store's copy, if any,
    stands)."""
    names = referenced(copy)
    if not names:
        return []
    private_folder(store)
    problems = []
    known = _known(copy)
    for sha256, records in sorted(names.items()):
        target = store / sha256
        size, on_hub = known.get(sha256, (None, False))
        if target.is_file() and target.stat().st_size == (size if size is not None else target.stat().st_size):
            continue  # hashed when it entered the store; a file never changes
        source = source_folder / sha256
        try:
            if not source.is_file():
                problems.append(FileProblem(sha256, MISSING, records, on_hub))
            elif not copy_verified(source, target):
                problems.append(FileProblem(sha256, DAMAGED, records, on_hub))
        except OSError:  # a full disk, an unreadable sector: the database copy still counts
            target.with_name(target.name + ".part").unlink(missing_ok=True)
            problems.append(FileProblem(sha256, MISSING, records, on_hub))
    return problems


def backup_problems(backup: Path | str, *, full: bool = False) -> list[FileProblem]:
    """The files the backup names that its store lacks (``full``: or that no longer hash right)."""
    return _problems(referenced(backup), store_of(backup), backup, full=full)


def live_problems(database: Path | str, *, full: bool = True) -> list[FileProblem]:
    """``db check``: every file the database names, in the folder beside it, hashed (``full``)."""
    return _problems(referenced(database), live_folder(database), database, full=full)


def put_back(backup: Path | str, database: Path | str) -> list[FileProblem]:
    """Restore: copy from the backup's store into the folder beside ``database`` each file the
    backup names that is missing or damaged there (verified by hash); a sound file already there
    is left alone, and nothing is deleted. Returns what could not be put back."""
    names = referenced(backup)
    if not names:
        return []
    folder, store = private_folder(live_folder(database)), store_of(backup)
    known = _known(backup)
    problems = []
    for sha256, records in sorted(names.items()):
        target = folder / sha256
        if target.is_file() and file_hash(target) == sha256:
            continue
        source = store / sha256
        on_hub = known.get(sha256, (None, False))[1]
        if not source.is_file():
            problems.append(FileProblem(sha256, MISSING, records, on_hub))
        elif not copy_verified(source, target):
            problems.append(FileProblem(sha256, DAMAGED, records, on_hub))
    return problems


def clean_store(backup_dir: Path | str, databases: Iterable[Path] | None = None) -> list[Path]:
    """Remove from the store the files no database left in ``backup_dir`` names (and ``.part``
    files a power cut left); returns what was removed. Any database there that cannot be read
    stops it: a file is never removed on a doubt."""
    backup_dir = Path(backup_dir)
    store = backup_dir / STORE_FOLDER
    if not store.is_dir():
        return []
    kept: set[str] = set()
    # A ``.db.part`` is a backup being made (its files may be in the store before it takes its
    # name): it counts, and one that cannot be read yet stops the cleaning.
    found = [*backup_dir.glob("*.db"), *backup_dir.glob("*.db.part")]
    for database in sorted(databases if databases is not None else found):
        try:
            kept.update(referenced(database))
        except sqlite3.Error:
            return []
    removed = []
    stale = time.time() - STALE_PART_SECONDS
    for path in store.iterdir():
        if not path.is_file():
            continue
        if path.name.endswith(".part"):
            if path.stat().st_mtime < stale:  # left by a power cut (a fresh one may be a copy under way)
                path.unlink()
                removed.append(path)
        elif path.name not in kept:
            path.unlink()
            removed.append(path)
    return removed
