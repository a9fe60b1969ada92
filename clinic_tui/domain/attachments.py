"""Attachments of remote requests (issue 18): an ECG tracing as PDF or image, images, photos of
paper reports. Pure rules shared by the clinic and the hub (``clinic_hub/limits.py`` states the
bounds as the hub's, from here, as it does the wire's).

A file is named by the SHA-256 of its bytes (lower-case hex) and travels as it is: never
recompressed, never converted. Its type is read from its first bytes (magic numbers), not from
its name: a file whose bytes are not a PDF, a JPEG or a PNG is not taken.
"""

from __future__ import annotations

import re

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MEDIA_TYPES = (PDF, JPEG, PNG)
# The file's first bytes for each type. A PDF may have a few bytes of junk before its header
# (the PDF reference allows it within the first 1024 bytes); we take only files that start with it.
MAGIC = {PDF: b"%PDF-", JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}
SNIFF_BYTES = 8  # enough of the head to tell the three apart

CHUNK_BYTES = 256 * 1024  # one chunk on the wire: about 20 s at 100 kbit/s, so a cut loses little
MAX_FILE_BYTES = 40 * 1024 * 1024  # one attachment (tens of MB: a multi-page scan, a DR image)
MAX_REQUEST_BYTES = 100 * 1024 * 1024  # all the attachments of one request together
MAX_PER_REQUEST = 20  # files per request
MAX_NAME_CHARS = 200  # the file's name as the clinic took it (shown, never used as a path)

SHA256_PATTERN = r"^[0-9a-f]{64}$"
SHA256 = re.compile(SHA256_PATTERN)

SUFFIXES = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}


def media_type_of(head: bytes) -> str | None:
    """The media type the bytes start with (one of ``MEDIA_TYPES``), else None."""
    for media_type, magic in MAGIC.items():
        if head.startswith(magic):
            return media_type
    return None


def chunk_count(size: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    """How many chunks a file of ``size`` bytes travels in (an empty file: none, and it is refused)."""
    return -(-size // chunk_bytes)


def chunk_length(size: int, index: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    """The length chunk ``index`` of a file of ``size`` bytes must have."""
    return max(0, min(chunk_bytes, size - index * chunk_bytes))


def size_problem(size: int, others: int = 0) -> str | None:
    """Why a file of ``size`` bytes cannot be attached beside ``others`` bytes already attached
    ("empty", "file_too_large", "request_too_large"), else None."""
    if size <= 0:
        return "empty"
    if size > MAX_FILE_BYTES:
        return "file_too_large"
    if size + others > MAX_REQUEST_BYTES:
        return "request_too_large"
    return None


def size_text(size: int) -> str:
    """A size as a reader says it: 812 B, 35 KB, 2.4 MB (1024-based, as the limits are written)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
