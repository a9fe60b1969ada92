"""The fast path's screen of a record's raw ``data`` (``limits.raw_data_is_plain``, and its
body-wide form, ``body_is_plain`` with ``data_is_plain_in_plain_body``): its quick removal of the
strings agrees with the exact one, and what either passes is within the bounds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import from_json

from clinic_hub import limits
from clinic_hub.record_store import _SQLITE_DATETIME, RecordWriter

# Text that looks like what the screen looks for: quotes, backslashes, brackets, digits, exponents.
TRICKY_TEXT = st.text(alphabet=st.sampled_from(list('"\\{}[]0123456789eE.-:, a中\n\t/u')), max_size=30)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TRICKY_TEXT
    | st.sampled_from([10**15, 2**53, 1e15, 1.5e15, 1e-7, 123.456, '\\"', '"', "\\"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=40,
)
OBJECTS = st.dictionaries(TRICKY_TEXT, JSON_VALUES, max_size=5)


def _encodings(data: dict) -> list[bytes]:
    return [
        json.dumps(data, ensure_ascii=False).encode(),
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        json.dumps(data).encode(),  # \uXXXX escapes
    ]


@settings(max_examples=400, deadline=None)
@given(OBJECTS)
def test_the_quick_removal_of_strings_is_the_exact_one(data):
    for raw in _encodings(data):
        assert limits.without_strings(raw) == limits._JSON_STRING.sub(b'""', raw)


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth - 1):
        value = [value]
    return value


@settings(max_examples=400, deadline=None)
@given(OBJECTS | st.builds(lambda depth: {"deep": _nested(depth)}, st.integers(28, 36)))
def test_what_the_screen_passes_is_within_the_bounds(data):
    for raw in _encodings(data):
        if limits.raw_data_is_plain(raw):
            limits.check_data(from_json(raw))  # raises OutOfBounds if the screen let it through wrongly


def test_the_screen_still_sends_the_odd_ones_the_careful_way():
    """Control characters, exponents, long integers, deep nesting: the careful way decides."""
    assert not limits.raw_data_is_plain(b'{"a": "tab\tinside"}')  # a raw control byte, not escaped
    for odd in [
        {"a": 1e20},
        {"a": 1e-7},  # written 1e-07
        {"a": 10**16},
        {"a": -(10**16)},
        {"a": _nested(33)},
        {"a": "\x00"},
    ]:
        raw = json.dumps(odd, ensure_ascii=False).encode()
        assert not limits.raw_data_is_plain(raw), odd
    # The same characters inside strings do not count (with and without escaped quotes).
    for plain in [{"a": "1e20 and 12345678901234567 [[[[", "b": 'say "1e5"'}, {"a": "{" * 40}]:
        for raw in _encodings(plain):
            assert limits.raw_data_is_plain(raw), plain


def _body(raw: bytes) -> bytes:
    """A push body holding one record with this raw data, as the client writes it."""
    return b'{"batch_id":"b1","records":[{"kind":"visit","id":"x","revision":1,"data":%s}]}' % raw


def _plain_in_a_body(raw: bytes) -> bool:
    return limits.body_is_plain(_body(raw)) and limits.data_is_plain_in_plain_body(raw)


@settings(max_examples=400, deadline=None)
@given(OBJECTS | st.builds(lambda depth: {"deep": _nested(depth)}, st.integers(28, 36)))
def test_what_the_body_wide_screen_passes_is_within_the_bounds(data):
    for raw in _encodings(data):
        if _plain_in_a_body(raw):
            limits.check_data(from_json(raw))  # raises OutOfBounds if the screen let it through wrongly


def test_the_body_wide_screen_sends_the_odd_ones_the_careful_way_and_passes_the_plain():
    assert not limits.body_is_plain(_body(b'{"a": "tab\tinside"}'))  # a raw control byte
    assert not limits.body_is_plain(_body(b'{"a": "\\x"}'))  # an odd escape
    for odd in [{"a": 1e20}, {"a": 1e-7}, {"a": 10**16}, {"a": _nested(33)}]:
        raw = json.dumps(odd, ensure_ascii=False).encode()
        assert not _plain_in_a_body(raw), odd
    for raw in [b'{"a": [1.5, 2e3]}', b'{"a": 1E2}', b'{"b": {"c": -3.5e+1}}']:  # as another client writes them
        assert limits.body_is_plain(_body(raw)) and not limits.data_is_plain_in_plain_body(raw), raw
    # A run of 16 digits, a text's too, goes to the exact screen: an ID number passes, a number not.
    assert _plain_in_a_body(b'{"id_number": "110105195603020026", "t": 36.5}')
    assert not _plain_in_a_body(b'{"id_number": "110105195603020026", "n": 1101051956030200}')
    # Exponents and brackets inside strings do not count; more brackets than the depth allows
    # (inside a string) are left to the exact screen, which passes them.
    for plain in [{"a": "1e20 and [[[[", "b": 'say "1e5"', "t": 36.5, "n": -12}, {"a": "{" * 40}]:
        for raw in _encodings(plain):
            assert _plain_in_a_body(raw), plain


@given(
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2198, 12, 31)),
    st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]),
    st.booleans(),
)
def test_a_time_is_stored_on_sqlite_as_strftime_wrote_it(moment, zone, whole_second):
    class _SQLite:
        class dialect:
            name = "sqlite"

    value = moment.replace(tzinfo=zone, microsecond=0 if whole_second else moment.microsecond)
    writer = RecordWriter(_SQLite(), "c-1", datetime.now(UTC))  # type: ignore[arg-type]
    assert writer._stored(value) == value.astimezone(UTC).strftime(_SQLITE_DATETIME)
