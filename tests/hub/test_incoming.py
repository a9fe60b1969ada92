"""The two ways a push is read agree: whatever the fast way (msgspec, one pass) takes, the careful
way (the wire model, record by record) takes the same; and an ordinary batch goes the fast way."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clinic_hub import body, push
from clinic_hub.errors import ApiError
from clinic_hub.incoming import read_well_formed, shallow, split_records
from clinic_hub.models import SyncRecord
from tests.hub.conftest import make_record, make_referral
from tests.hub.conftest import push as push_batch

KINDS = ["visit", "resident", "referral", "referral_event", "user", "spaceship", "", "x" * 41]
TIMES = [
    "2026-11-23T10:00:00+00:00",
    "2026-11-23T18:00:00.5+08:00",
    "2026-11-23T10:00:00Z",
    "2026-11-23T10:00:00.9999999Z",
    "2026-11-23 10:00:00.1234567+00:00",
    "2026-11-23T10:00Z",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+05:00",
    "2199-12-31T23:30:00-05:00",
    "1900-01-01T00:30:00+05:00",
    "2026-02-30T10:00:00Z",
    "2026-11-23T24:00:00Z",
    "1700000000",
    "2026-11-23T10:00:00",
    "2026-11-23",
    "23/11/2026",
    "2026-11-23T10:00:00Z\n",  # "$" lets a line end by where msgspec checks the pattern
    "2026-11-23T10:00:00+00:00\n",
    "２０２６-11-23T10:00:00Z",  # other digits than 0-9 ("\\d" takes them)
    "٢٠٢٦-١١-٢٣T10:00:00Z",
    1700000000,
    1.5,
    True,
    None,
]
IDS = [str(uuid.UUID(int=7)), str(uuid.UUID(int=7)).upper(), uuid.UUID(int=8).hex, "not-a-uuid", 5]


def _nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


# Values at and beyond every bound of clinic_hub.limits (an integer of 4000 digits (5000 in test_hostile), nesting past
# what a parser reads, NUL, a long text...), and the ordinary ones.
ODD_VALUES = st.sampled_from(
    [
        2**53 - 1,
        -(2**53 - 1),
        2**53,
        10**15,
        10**16 - 1,
        10**16,
        int("9" * 4000),
        1e15,
        1.5e15,
        1e300,
        123.456,
        -0.0,
        12345678901234.5,
        float("inf"),
        float("nan"),
        "\x00",
        "a\x00b",
        "x" * (64 * 1024),
        "x" * (64 * 1024 + 1),
        "\t tab \n line",
        "\\ not an escape \\q",
        '引号"和反斜杠\\',
        _nested(30),
        _nested(31),
        _nested(32),
        _nested(300),
        _nested(600),
        {"k" * (64 * 1024 + 1): 1},
    ]
)
# An ordinary record: every field as a clinic writes it, in the forms both ways take.
VALID_TIMES = [
    "2026-11-23T10:00:00+00:00",
    "2026-11-23T18:00:00.5+08:00",
    "2026-11-23T10:00:00Z",
    "2026-11-23 10:00:00.123456+00:00",
    "2026-11-23T10:00:00",
    "2199-12-31T18:59:59-05:00",
    "1900-01-01T05:00:00+05:00",
]
VALID_DATA = st.fixed_dictionaries(
    {"clinic_id": st.sampled_from(["c-1", "卫生室-2", "x" * 64])},
    optional={
        "name": st.text(max_size=8),
        "nested": st.lists(st.integers(-100, 100), max_size=3),
        "items": st.lists(st.dictionaries(st.text(max_size=3), st.booleans() | st.none(), max_size=2), max_size=2),
        "number": st.integers(-(2**53 - 1), 2**53 - 1)
        | st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False),
    },
)
VALID_FIELDS = {
    "kind": st.sampled_from(["visit", "resident", "referral", "referral_event", "user", "spaceship"]),
    "id": st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper()),
    "revision": st.integers(1, 2**31 - 1),
    "updated_at": st.sampled_from(VALID_TIMES),
    "data": VALID_DATA,
}
# What a careless or hostile clinic puts in one field (the valid values among them too).
DATA = st.one_of(
    st.fixed_dictionaries(
        {"clinic_id": st.sampled_from(["c-1", "", "  ", None, 7, "x" * 65, 1.5, [1.5], {"c": 2.5}, 10**20])},
        optional={
            "name": st.text(max_size=8),
            "pin": st.just("1234"),
            "nested": st.lists(st.integers(), max_size=3),
            "odd": ODD_VALUES,
            "number": st.one_of(st.integers(), st.floats()),
        },
    ),
    st.sampled_from([[1, 2], "text", None, 3]),
)
ODD_FIELDS = {
    "kind": st.sampled_from(KINDS),
    "id": st.sampled_from(IDS),
    "revision": st.sampled_from([1, 2, 0, 2**31 - 1, 2**31, "3", "1", 1.0, True, None, 10**30]),
    "updated_at": st.sampled_from(TIMES),
    "data": DATA,
    "deleted": st.sampled_from([True, False, 1, 0, "yes", "true", None]),
    "extra": st.just("ignored"),
}


@st.composite
def records(draw) -> dict:
    """Mostly an ordinary record; one in six with one field odd (any field, any odd value)."""
    record = {name: draw(values) for name, values in VALID_FIELDS.items()}
    if draw(st.booleans()):
        record["deleted"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        name = draw(st.sampled_from(sorted(ODD_FIELDS)))
        record[name] = draw(ODD_FIELDS[name])
    return record


def _outcome(checked) -> tuple | dict:
    """A checked record's fields, or the answer refusing it."""
    if isinstance(checked, dict):
        return checked
    return (
        checked.kind,
        checked.id_text,
        checked.revision,
        checked.updated_at,
        checked.deleted,
        checked.clinic_id,
        checked.data,
    )


def _encode(records, compact: bool) -> bytes:
    separators = (",", ":") if compact else None
    return json.dumps({"batch_id": "b-1", "records": records}, ensure_ascii=False, separators=separators).encode()


def test_what_the_fast_way_takes_the_careful_way_takes_alike():
    """Field by field: the fast way takes a batch only if the careful way takes every record alike;
    and the careful way answers each record the same whether it could split the batch or had to
    parse it whole (the same codes on every path). Most batches are ordinary, so that most examples
    reach the comparison of the two ways (counted below)."""
    reached: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(records(), min_size=1, max_size=4), st.booleans())
    def check(batch, compact):
        raw = _encode(batch, compact)
        _, careful = push.read_carefully(raw, 500)
        try:
            whole = [push._validate(record) for record in body.parse_json(raw)["records"]]
        except ApiError:  # nested too deep for a parser reading the body whole: the split reads it
            assert any(isinstance(rec, dict) for rec in careful)
        else:
            assert [_outcome(rec) for rec in careful] == [_outcome(rec) for rec in whole]
        fast = read_well_formed(raw, 500)
        reached["examples"] += 1
        if fast is None:
            event("the careful way alone")
            return  # the careful way decides, record by record
        event("both ways compared")
        batch_id, taken = fast
        assert batch_id == "b-1"
        assert [_outcome(push._checked(rec)) for rec in taken] == [_outcome(rec) for rec in careful]
        reached["compared"] += 1
        reached["refused"] += sum(isinstance(push._checked(rec), dict) for rec in taken)

    check()
    assert reached["compared"] >= reached["examples"] * 0.6, reached
    assert reached["refused"] > 0, reached  # what the fast way takes, _checked may still refuse


def test_a_clinic_id_given_twice_or_not_as_a_text_is_read_as_the_careful_way_reads_it():
    """The fast way reads clinic_id as its screen read the data (floats not kept, so anything but a
    text is read again); a key given twice means its last value on both ways."""
    for data in (b'{"clinic_id": "C2", "clinic_id": "C1"}', b'{"clinic_id": 1.5}', b'{"clinic_id": [2.5], "x": 1}'):
        record = b'{"kind":"visit","id":"%s","revision":1,"updated_at":"2026-11-23T10:00:00Z","data":%s}' % (
            str(uuid.UUID(int=9)).encode(),
            data,
        )
        raw = b'{"batch_id":"b-3","records":[%s]}' % record
        _, careful = push.read_carefully(raw, 500)
        fast = read_well_formed(raw, 500)
        assert fast is not None, data
        assert [_outcome(push._checked(rec)) for rec in fast[1]] == [_outcome(rec) for rec in careful], data
        assert fast[1][0].clinic_id == json.loads(data)["clinic_id"]


def test_an_ordinary_batch_is_read_in_one_pass():
    records = [make_record("visit", "C1"), make_referral("C1"), make_record("user", "C1", name="李医生")]
    raw = json.dumps({"batch_id": "b-2", "records": records}, ensure_ascii=False).encode()
    batch_id, taken = read_well_formed(raw, 500)
    assert [rec.kind for rec in taken] == ["visit", "referral", "user"]
    assert [rec.data for rec in taken] == [record["data"] for record in records]
    assert taken[0].stored_data() == json.dumps(records[0]["data"], ensure_ascii=False)  # kept as it came


@pytest.mark.parametrize(
    "odd",
    [
        {"batch_id": "no spaces allowed", "records": []},
        {"batch_id": "b", "records": [{**make_record("visit", "C1"), "data": ["not", "an", "object"]}]},
        {"batch_id": "b", "records": [make_record("visit", "C1", note="lone \ud800 surrogate")]},
        {"batch_id": "b", "records": [{**make_record("visit", "C1"), "revision": "2"}]},
    ],
)
def test_anything_unusual_goes_the_careful_way(odd):
    raw = json.dumps(odd).encode()  # ASCII: the surrogate is sent as an escape
    assert read_well_formed(raw, 500) is None
    assert (
        read_well_formed(json.dumps({"batch_id": "b", "records": [make_record("visit", "C1")] * 3}).encode(), 2) is None
    )  # too many records: the careful way answers 413


def test_a_pushed_batch_is_stored_without_parsing_the_body_whole(hub, monkeypatch):
    code, token = hub.new_clinic()

    def refuse(*_args):
        raise AssertionError("a well-formed batch went the careful way")

    monkeypatch.setattr(body, "parse_json", refuse)
    monkeypatch.setattr(push, "read_carefully", refuse)
    # As the clinic writes them (clinic_tui/data/wire_json.py): 17-digit fractions, +00:00 times.
    records = [
        make_record("visit", code, sbp=150, bmi=23.456789012345678, weight=0.30000000000000004),
        make_referral(code),
        make_record("resident", code, id_number="11010519491231002X", age=76),
    ]
    with hub.client(token) as client:
        results = push_batch(client, records).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "accepted"]
    table = SyncRecord.__table__
    with hub.engine.connect() as conn:
        stored = dict(conn.execute(sa.select(table.c.id, table.c.data)).all())
    assert all(stored[record["id"]] == record["data"] for record in records)


# --- the split of a body nested deeper than msgspec reads ----------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


def _cut(value, keep: int, depth: int = 1):
    """What ``shallow`` should leave of ``value``: containers deeper than ``keep`` as 0."""
    if isinstance(value, list | dict) and depth > keep:
        return 0
    if isinstance(value, list):
        return [_cut(item, keep, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: _cut(item, keep, depth + 1) for key, item in value.items()}
    return value


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.integers(0, 4), st.booleans())
def test_shallow_cuts_what_lies_deeper_in_place(value, keep, compact):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":") if compact else None).encode()
    cut = shallow(text, keep)
    assert cut is not None and len(cut) == len(text)
    assert json.loads(cut) == _cut(value, keep)


def test_shallow_refuses_what_is_not_json_and_never_recurses():
    for broken in (b"[[", b"]", b"[]]", b'{"a":"[}', b'["\\"]]', b'["\\\\"]]', b'"'):
        assert shallow(broken, 1) is None, broken
    deep = b'{"s":"]\\"[","a":' + b"[" * 500_000 + b"]" * 500_000 + b"}"  # no recursion limit in it
    assert shallow(deep, 1) == b'{"s":"]\\"[","a":0' + b" " * 999_999 + b"}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=4), st.integers(0, 3), st.booleans())
def test_a_record_too_deep_to_split_is_split_out_alone(batch, where, compact):
    """A batch with one record nested deeper than msgspec reads splits into the same records as
    sent: the others exactly as the fast split cuts them without it."""
    deep = {**batch[0], "data": {"odd": _nested(1500)}}
    where = min(where, len(batch))
    records_sent = [*batch[:where], deep, *batch[where:]]
    raw = _encode(records_sent, compact)
    batch_id, split = split_records(raw)
    assert batch_id == "b-1" and len(split) == len(records_sent)
    assert split_records(_encode(batch, compact))[1] == split[:where] + split[where + 1 :]
    assert b"[" * 1500 in split[where]
