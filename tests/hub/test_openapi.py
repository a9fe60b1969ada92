"""What the OpenAPI document states of the bounds is what ``clinic_hub/limits.py`` holds (issue 16):
a client generated from the document sends what the hub takes."""

from __future__ import annotations

import pytest

from clinic_hub import limits
from clinic_hub.app import create_app
from clinic_hub.settings import Settings


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'hub.db'}"
    return create_app(Settings(database_url=url)).openapi()


def _parameters(document, path: str, method: str = "get") -> dict[str, dict]:
    """Each parameter's schema (the string or integer one of an optional parameter's anyOf)."""
    found = {}
    for parameter in document["paths"][path][method]["parameters"]:
        schema = parameter["schema"]
        branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
        assert len(branches) == 1, parameter
        found[parameter["name"]] = {**schema, **branches[0]}
    return found


def test_the_push_body_states_the_bounds(document):
    schemas = document["components"]["schemas"]
    request = schemas["PushRequest"]["properties"]
    assert request["batch_id"]["pattern"] == limits.BATCH_ID_PATTERN
    assert request["records"]["maxItems"] == limits.MAX_PUSH_RECORDS
    record = schemas["PushRecord"]["properties"]
    assert (record["kind"]["minLength"], record["kind"]["maxLength"]) == (1, limits.KIND_MAX_CHARS)
    assert (record["revision"]["minimum"], record["revision"]["maximum"]) == (1, limits.MAX_REVISION)
    assert record["updated_at"]["pattern"] == limits.TIMESTAMP_PATTERN
    assert record["deleted"]["type"] == "boolean"
    said = record["data"]["description"]
    for bound in (limits.MAX_DATA_BYTES, limits.MAX_DEPTH, limits.MAX_INT, limits.MAX_STRING_CHARS):
        assert str(bound) in said, bound
    body = document["paths"]["/api/v1/sync/push"]["post"]["requestBody"]["description"]
    for bound in (limits.MAX_PUSH_RECORDS, limits.MAX_BODY_BYTES, limits.MAX_INFLATED_BYTES):
        assert str(bound) in body, bound
    assert "exactly one gzip member, nothing after it" in body


def test_the_pull_and_own_state_the_cursor_and_the_limits(document):
    pull = _parameters(document, "/api/v1/sync/pull")
    assert pull["cursor"]["type"] == "string"
    assert (pull["cursor"]["pattern"], pull["cursor"]["maxLength"]) == (limits.CURSOR_PATTERN, limits.CURSOR_MAX_CHARS)
    limit = pull["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (
        1,
        limits.MAX_PULL_LIMIT,
        limits.DEFAULT_PULL_LIMIT,
    )
    own = _parameters(document, "/api/v1/sync/own")
    assert (own["limit"]["minimum"], own["limit"]["maximum"]) == (1, limits.MAX_PULL_LIMIT)
    assert own["kind"]["maxLength"] == limits.KIND_MAX_CHARS


@pytest.mark.parametrize("path", ["/api/v1/desk/referrals", "/api/v1/remote/requests"])
def test_the_desk_lists_state_their_ranges(document, path):
    listed = _parameters(document, path)
    limit, offset = listed["limit"], listed["offset"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (
        1,
        limits.MAX_LIST_LIMIT,
        limits.DEFAULT_LIST_LIMIT,
    )
    assert (offset["minimum"], offset["maximum"]) == (0, limits.MAX_LIST_OFFSET)
    assert listed["clinic"]["maxLength"] == limits.CODE_MAX_CHARS
    one = path + ("/{referral_no}" if "desk" in path else "/{request_no}")
    (number,) = _parameters(document, one).values()
    assert number["maxLength"] == limits.NUMBER_MAX_CHARS


def test_the_indicators_state_the_month(document):
    month = _parameters(document, "/api/v1/indicators")["month"]
    assert month["pattern"] == limits.MONTH_PATTERN
