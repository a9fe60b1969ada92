"""Files with patient data are readable by their owner only: 0600 files in 0700 folders on POSIX.

The database, its backups, the copies kept aside, exported tables and printed slips all go through
here. On Windows the permission bits mean little; those files live in the user's own profile
(``platformdirs``), which other ordinary users cannot read.

SQLite creates a database's ``-wal`` and ``-shm`` files with the permissions of the database file,
so a database created as 0600 keeps its journal private too.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
POSIX = os.name == "posix"


def private_folder(path: Path) -> Path:
    """Make ``path`` (and missing parents) as 0700; an existing folder is left as the owner set it,
    except the folders this module made itself, which are already private."""
    path = Path(path)
    if not path.exists():
        path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        if POSIX:
            os.chmod(path, FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened: be explicit
    return path


def create_private(path: Path) -> Path:
    """Create ``path`` as an empty 0600 file; fails (FileExistsError) if anything is there already."""
    path = Path(path)
    private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.close(descriptor)
    if POSIX:
        os.chmod(path, FILE_MODE)
    return path


def restrict(path: Path) -> Path:
    """Make an existing file owner-only (a copy made by ``shutil`` or written by another library)."""
    if POSIX:
        os.chmod(path, FILE_MODE)
    return path


def open_private(path: Path, encoding: str = "utf-8", newline: str | None = None):
    """``path`` opened for writing text (replacing it), created owner-only: never readable by others."""
    path = Path(path)
    private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    restrict(path)  # a file that was already there keeps its old mode through os.open
    return os.fdopen(descriptor, "w", encoding=encoding, newline=newline)


def write_private_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` as ``Path.write_text`` does, owner-only."""
    with open_private(path, encoding) as handle:
        handle.write(text)
    return Path(path)
