"""Shared fixture for tests/domain: messages read in Chinese from the shipped catalogue."""

from __future__ import annotations

import pytest

from clinic_tui import i18n


@pytest.fixture
def zh_catalog():
    """Chinese messages (the root conftest restores the default language after each test)."""
    i18n.set_language("zh")
    yield
