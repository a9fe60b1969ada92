"""The attachments' pure rules: a type told by the first bytes only, chunks, the size limits."""

from __future__ import annotations

import pytest

from clinic_tui.domain import attachments as rules


@pytest.mark.parametrize(
    "head,expected",
    [
        (b"%PDF-1.7\n", rules.PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", rules.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00", rules.PNG),
        (b"GIF89a", None),
        (b"<html>", None),
        (b"PK\x03\x04", None),  # a .docx or a zip named .pdf
        (b"", None),
        (b"%PD", None),
    ],
)
def test_the_type_is_read_from_the_first_bytes(head, expected):
    assert rules.media_type_of(head) == expected


def test_chunks_cover_the_file_exactly():
    size = 3 * rules.CHUNK_BYTES + 5
    assert rules.chunk_count(size) == 4
    lengths = [rules.chunk_length(size, i) for i in range(4)]
    assert lengths == [rules.CHUNK_BYTES] * 3 + [5] and sum(lengths) == size
    assert rules.chunk_count(rules.CHUNK_BYTES) == 1 and rules.chunk_length(rules.CHUNK_BYTES, 1) == 0


def test_size_limits_per_file_and_per_request():
    assert rules.size_problem(0) == "empty"
    assert rules.size_problem(rules.MAX_FILE_BYTES) is None
    assert rules.size_problem(rules.MAX_FILE_BYTES + 1) == "file_too_large"
    assert rules.size_problem(10, others=rules.MAX_REQUEST_BYTES - 10) is None
    assert rules.size_problem(11, others=rules.MAX_REQUEST_BYTES - 10) == "request_too_large"
    assert [rules.size_text(n) for n in (812, 35_000, 2_500_000)] == ["812 B", "34 KB", "2.4 MB"]
