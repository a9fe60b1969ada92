"""Schemathesis against the live hub's OpenAPI schema: no input makes it answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings


@pytest.fixture
def api_schema(hub):
    return schemathesis.openapi.from_url(f"{hub.base_url}/openapi.json")


@pytest.fixture
def tokens(hub):
    _, clinic = hub.new_clinic()
    return {"sync": clinic, "desk": hub.new_staff("desk"), "indicators": hub.new_staff("viewer")}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
# Generated cases only: the "explicit" phase adds schemathesis' coverage cases, unbounded by
# max_examples (about 30 s per backend); run them by hand with --hypothesis-phases or the CLI.
@settings(max_examples=8, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_hub_fail(case, tokens, hub):
    family = case.path.split("/")[3] if case.path.count("/") >= 3 else "health"
    token = tokens.get(family, tokens["sync"])
    response = case.call(base_url=hub.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
