"""The shared wire models and the proof-of-arrival hash."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from clinic_tui.sync import wire

pairs = st.lists(st.tuples(st.uuids(), st.integers(1, 10**6)), unique_by=lambda p: p[0], max_size=30)


@given(pairs, st.randoms())
def test_record_set_hash_ignores_order(items, rng):
    shuffled = list(items)
    rng.shuffle(shuffled)
    assert wire.record_set_hash(items) == wire.record_set_hash(shuffled)


def test_record_set_hash_is_the_documented_formula():
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    expected = (
        sum(int.from_bytes(hashlib.sha256(f"{u}:{r}".encode()).digest()[:16], "big") for u, r in ((a, 3), (b, 1)))
        % 2**128
    )
    assert wire.record_set_hash([(str(a).upper(), 3), (b, 1)]) == f"{expected:032x}"
    assert wire.record_set_hash([]) == "0" * 32
    assert wire.record_set_hash([(a, 1)]) != wire.record_set_hash([(a, 2)])


@given(st.uuids(), st.integers(1, 10**6))
def test_every_spelling_of_an_id_hashes_as_its_canonical_form(record_id, revision):
    spellings = [
        record_id,
        str(record_id),
        str(record_id).upper(),
        f"{{{record_id}}}",
        record_id.hex,
        f"urn:uuid:{record_id}",
    ]
    assert len({wire.record_set_hash([(spelling, revision)]) for spelling in spellings}) == 1


# A canonical id, or one bent by a character (case, a hyphen moved or dropped, a line end inside).
_bent_ids = st.builds(
    lambda u, at, char: (str(u)[:at] + char + str(u)[at + 1 :]) if char is not None else str(u),
    st.uuids(),
    st.integers(0, 36),
    st.one_of(st.none(), st.sampled_from(["A", "F", "g", "-", "\n", "", "é", "0", " ", "--"])),
)


@given(st.lists(_bent_ids, max_size=8))
def test_the_whole_set_check_agrees_with_checking_each_id(ids):
    """The check of all ids at once (the hash's fast path) says canonical exactly when each id is."""
    from clinic_tui.sync.wire_rules import _CANONICAL_UUID, _all_canonical

    assert _all_canonical(ids) == all(_CANONICAL_UUID.fullmatch(i) for i in ids)
    # ... and the hash is the same either way (a bent id hashes as its canonical form, or fails).
    canonical = [str(uuid.UUID(i)) for i in ids if _CANONICAL_UUID.fullmatch(i)]
    assert wire.record_set_hash([(i, 1) for i in canonical]) == wire.record_set_hash(
        [(uuid.UUID(i), 1) for i in canonical]
    )


def test_push_models_validate_what_the_hub_relies_on():
    record = wire.PushRecord(
        kind="visit", id=str(uuid.uuid4()), revision=1, updated_at="2025-07-01T00:00:00Z", data={"clinic_id": "C1"}
    )
    assert record.deleted is False
    with pytest.raises(ValidationError):
        wire.PushRecord(kind="visit", id="x", revision=0, updated_at="bad", data={})
    with pytest.raises(ValidationError):
        wire.PushRequest(batch_id="b", records=[record] * (wire.MAX_PUSH_RECORDS + 1))
    assert wire.CLINIC_KINDS >= {"resident", "visit", "followup", "referral", "referral_event", "contract"}
