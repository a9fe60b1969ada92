"""A proxy setting never carries plain http off this machine (issue 16, item 9): plain http is
allowed to a loopback hub only (unless allow_insecure_http), so such a hub is never proxied."""

from __future__ import annotations

import pytest

from clinic_tui.sync.client import HubClient

PROXY = "http://proxy.example.cn:3128"


@pytest.mark.parametrize("hub_url", ["http://127.0.0.1:8600", "http://localhost:8600", "http://[::1]:8600"])
def test_a_plain_http_loopback_hub_is_never_reached_through_a_proxy(hub_url):
    with HubClient(hub_url, "token", proxy=PROXY) as client:
        transport = client._http._transport_for_url(client._http.base_url.join("/health"))
        assert transport is client._http._transport  # the direct one, not the proxy's


@pytest.mark.parametrize("hub_url", ["https://hub.example.cn:8600", "http://10.0.0.5:8600"])
def test_other_hubs_use_the_configured_proxy(hub_url):
    # https: the proxy only tunnels TLS; plain http to another host needs allow_insecure_http,
    # checked before any client is made (credentials.check_hub_url).
    with HubClient(hub_url, "token", proxy=PROXY) as client:
        transport = client._http._transport_for_url(client._http.base_url.join("/health"))
        assert transport is not client._http._transport
