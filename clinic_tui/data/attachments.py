"""Files attached to remote requests (issue 18): an ECG tracing as PDF or image, images, photos of
paper reports. Taken from a path the doctor types or pastes (a terminal has no file dialog).

A file is checked when it is named (it exists, its first bytes say PDF, JPEG or PNG whatever its
name says, its size is within ``domain.attachments``' limits), then copied, byte for byte, into the
attachment folder beside the database (``<database>.attachments/<sha256>``, owner-only like the
database: data/private_files.py) when the request is sent. The copy is the one that travels: the
original may be moved or deleted after. ``attachment_file`` keeps each file's upload state (chunks
the hub has confirmed, complete once the hub verified the whole file); the sync reads and updates
it (clinic_tui/sync/attachments.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from clinic_tui.data.models import AttachmentFile
from clinic_tui.data.private_files import FILE_MODE, POSIX, private_folder
from clinic_tui.domain import attachments as rules
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_

READ_BYTES = 1024 * 1024
FIELD = "attach"  # the form's field the problems name


@dataclass(frozen=True)
class Candidate:
    """A file named in the form, checked, not yet copied."""

    path: str
    name: str
    size: int
    media_type: str
    sha256: str

    def entry(self) -> dict[str, Any]:
        """As the request carries it (and the wire: docs/protocol.md)."""
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type, "name": self.name}


@dataclass(frozen=True)
class AttachmentState:
    """One of a request's files as its page shows it."""

    name: str
    size: int
    media_type: str
    chunks_sent: int
    chunks_total: int
    complete: bool
    problem: str | None


def folder_of(database: Path | str) -> Path:
    database = Path(database)
    return database.with_name(database.name + ".attachments")


def engine_folder(engine: Engine) -> Path:
    return folder_of(engine.url.database or "clinic.db")


def stored_path(folder: Path, sha256: str) -> Path:
    return folder / sha256


def _refused(code: str, template: str, **params: Any) -> DomainError:
    return DomainError(Problem(f"attach.{code}", template, params, field=FIELD))


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def examine(text: str, taken: list[Candidate] | tuple[Candidate, ...] = ()) -> Candidate:
    """The file at ``text`` (a typed or pasted path: quotes and ``~`` allowed), checked; raises
    DomainError naming what is wrong (no such file, not a PDF/JPEG/PNG by its bytes, too large)."""
    cleaned = text.strip().strip("'\"").strip()
    if not cleaned:
        raise _refused("empty_path", N_("Type or paste the path of the file to attach."))
    path = Path(os.path.expanduser(cleaned))
    if not path.exists():
        raise _refused("missing", N_("No file at {path}."), path=cleaned)
    if not path.is_file():
        raise _refused("not_a_file", N_("{path} is a folder, not a file."), path=cleaned)
    size = path.stat().st_size
    others = sum(c.size for c in taken)
    problem = rules.size_problem(size, others)
    if problem == "empty":
        raise _refused("empty", N_("{name} is empty."), name=path.name)
    if problem == "file_too_large":
        limit = rules.size_text(rules.MAX_FILE_BYTES)
        raise _refused(
            "too_large",
            N_("{name} is {size}: one file may be at most {limit}."),
            name=path.name,
            size=rules.size_text(size),
            limit=limit,
        )
    if problem == "request_too_large" or len(taken) >= rules.MAX_PER_REQUEST:
        template = N_("The files of one request may be at most {limit} together, {count} files.")
        raise _refused(
            "request_too_large", template, limit=rules.size_text(rules.MAX_REQUEST_BYTES), count=rules.MAX_PER_REQUEST
        )
    with path.open("rb") as handle:
        head = handle.read(rules.SNIFF_BYTES)
    media_type = rules.media_type_of(head)
    if media_type is None:
        raise _refused("type", N_("{name} is not a PDF, JPEG or PNG file (by its contents)."), name=path.name)
    sha256 = _hash(path)
    if any(c.sha256 == sha256 for c in taken):
        raise _refused("duplicate", N_("{name} is already attached."), name=path.name)
    name = path.name[: rules.MAX_NAME_CHARS]
    return Candidate(str(path), name, size, media_type, sha256)


def keep(engine: Engine, candidates: list[Candidate]) -> list[dict[str, Any]]:
    """Copy each file into the attachment folder under its hash (owner-only), checking that the copy
    is the file that was examined; returns the request's ``attachments`` entries. A file already
    kept (attached to an earlier request) is not copied again."""
    if not candidates:
        return []
    folder = private_folder(engine_folder(engine))
    for candidate in candidates:
        target = stored_path(folder, candidate.sha256)
        if target.exists() and target.stat().st_size == candidate.size:
            continue
        temporary = target.with_name(target.name + ".part")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "wb") as out, open(candidate.path, "rb") as source:
            shutil.copyfileobj(source, out, READ_BYTES)
            out.flush()
            os.fsync(out.fileno())
        if POSIX:
            os.chmod(temporary, FILE_MODE)
        if _hash(temporary) != candidate.sha256:  # changed since it was named: take nothing
            temporary.unlink()
            raise _refused("changed", N_("{name} changed after it was attached; attach it again."), name=candidate.name)
        os.replace(temporary, target)
    return [c.entry() for c in candidates]


def register(session: Session, entries: list[dict[str, Any]]) -> None:
    """An upload row per new file, in the request's own transaction."""
    for entry in entries:
        if session.get(AttachmentFile, entry["sha256"]) is None:
            session.add(
                AttachmentFile(
                    sha256=entry["sha256"],
                    size=entry["size"],
                    media_type=entry["media_type"],
                    chunks_total=rules.chunk_count(entry["size"]),
                )
            )


def states(session: Session, entries: list[dict[str, Any]]) -> list[AttachmentState]:
    out = []
    for entry in entries:
        row = session.get(AttachmentFile, entry.get("sha256"))
        total = rules.chunk_count(int(entry.get("size") or 0))
        out.append(
            AttachmentState(
                name=str(entry.get("name") or ""),
                size=int(entry.get("size") or 0),
                media_type=str(entry.get("media_type") or ""),
                chunks_sent=row.chunks_sent if row else 0,
                chunks_total=row.chunks_total if row else total,
                complete=bool(row and row.complete),
                problem=row.problem if row else None,
            )
        )
    return out


# --- for the sync ------------------------------------------------------------------------------------
