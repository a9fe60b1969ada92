"""Ways a clinic's database file gets damaged on a bad day, for the tests of backups and start-up."""

from __future__ import annotations

import random
import sqlite3


def _page(path, number, page_size=4096):
    return (number - 1) * page_size


def _rootpage(path, table):
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    finally:
        connection.close()


def damage_garbage_page(path):
    """One 4 KiB page of random bytes (a disk sector gone bad, a virus, a write to the wrong place)."""
    offset = _page(path, _rootpage(path, "visit"))
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(random.Random(15).randbytes(4096))


def damage_flipped_bytes(path):
    """64 bytes flipped in one page (bit rot)."""
    offset = _page(path, _rootpage(path, "resident"))
    with open(path, "r+b") as handle:
        handle.seek(offset)
        data = handle.read(64)
        handle.seek(offset)
        handle.write(bytes(b ^ 0xFF for b in data))
