"""One sync at a time per database (sync invariant 7, docs/architecture-sync.md): an exclusive
lock on a file next to it.

The app's background worker and ``clinic-tui sync`` from a scheduled task may start together; the
second one finds the lock taken and reports "busy" instead of pushing the same outbox twice.
The operating system drops the lock when the process dies, so a crash never leaves it stuck.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class SyncBusy(Exception):
    """Another sync of the same database is running."""


def lock_path(database: Path | str) -> Path:
    return Path(f"{database}.sync-lock")


def _try_lock(handle: BinaryIO) -> bool:
    if sys.platform == "win32":  # os.name "nt"; the form mypy narrows on
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle: BinaryIO) -> None:
    if sys.platform == "win32":  # os.name "nt"; the form mypy narrows on
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def sync_lock(database: Path | str) -> Iterator[None]:
    """Hold the sync lock of ``database`` for the block; raise ``SyncBusy`` when it is taken."""
    handle = open(lock_path(database), "a+b")
    try:
        if not _try_lock(handle):
            raise SyncBusy(str(database))
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()
