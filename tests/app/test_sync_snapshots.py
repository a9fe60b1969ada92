"""What the sync screen looks like at 80x24 in Chinese and English (pytest-textual-snapshot).

Set up as tests/app/test_snapshots.py: a demo copy, today pinned to 2026-11-20 and the clock to
Asia/Shanghai. The demo database has one failed (offline) sync and one visit the hospital did
not accept; a successful sync with fixed times is added so the receipt and the runs show.
Accept a deliberate change with ``--snapshot-update`` on this file only, after looking at it.
"""

from __future__ import annotations

import sqlite3

import pytest
from pilot_helpers import steady, until
from textual.widgets import DataTable


@pytest.fixture(params=["zh", "en"])
def sync_screen_app(make_app, request):
    app = make_app(request.param, hub_url="http://127.0.0.1:8600")
    with sqlite3.connect(app.settings.database) as connection:
        connection.execute(
            "INSERT INTO sync_run (started_at, finished_at, trigger, outcome, pushed, accepted, duplicate, "
            "rejected, conflict, pulled, resent, confirmed_counts, today_counts, conflicts) VALUES "
            "('2026-11-20 08:00:00.000000', '2026-11-20 08:01:00.000000', 'manual', 'rejected', 12, 11, 0, 1, "
            '0, 3, 0, \'{"visit": 1590, "referral": 30, "contract": 304}\', '
            "'{\"visit\": 9, \"referral\": 2}', '{}')"
        )
    return app


async def _at_sync_screen(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: type(app.screen).__name__ == "DashboardScreen" and app.user_name in app.header_text)
    await pilot.press("ctrl+y")
    await until(
        pilot,
        lambda: (
            type(app.screen).__name__ == "SyncScreen"
            and app.screen.loaded
            and app.screen.query_one("#sync-rejected", DataTable).row_count == 1
        ),
    )
    await steady(pilot)


def test_sync_screen(snap_compare, sync_screen_app):
    assert snap_compare(sync_screen_app, run_before=_at_sync_screen, terminal_size=(80, 24))


@pytest.mark.parametrize(
    ("language", "reason"), [("zh", "字段取值无效：诊断"), ("en", "Invalid value for field Diagnoses")]
)
async def test_the_hubs_refusal_reads_in_the_language_of_the_screen(make_app, language, reason):
    """Issue 14, item 13: the demo's refusal came in Chinese and stayed Chinese in English."""
    app = make_app(language, hub_url="http://127.0.0.1:8600")
    async with app.run_test(size=(80, 24)) as pilot:
        await _at_sync_screen(pilot)
        listed = app.screen.query_one("#sync-rejected", DataTable)
        assert str(listed.get_row_at(0)[1]) == reason


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_receipt_is_shown_whole_at_80x24(make_app, language):
    """Issue 14, item 14: the receipt (today's confirmed, what the hub holds, what it refused) was
    cut after three lines."""
    from textual.widgets import Static

    app = make_app(language, hub_url="http://127.0.0.1:8600")
    with sqlite3.connect(app.settings.database) as connection:
        connection.execute(
            "INSERT INTO sync_run (started_at, finished_at, trigger, outcome, pushed, accepted, duplicate, "
            "rejected, conflict, pulled, resent, confirmed_counts, today_counts, conflicts) VALUES "
            "('2026-11-20 08:00:00.000000', '2026-11-20 08:01:00.000000', 'manual', 'rejected', 12, 11, 0, 1, "
            '0, 3, 0, \'{"visit": 1590, "referral": 30, "contract": 304, "followup": 552, "resident": 400, '
            '"service_record": 463, "task": 28, "referral_event": 76, "team": 1, "staff": 4}\', '
            "'{\"visit\": 9, \"referral\": 2}', '{}')"
        )
    async with app.run_test(size=(80, 24)) as pilot:
        await _at_sync_screen(pilot)
        receipt = app.screen.query_one("#sync-receipt", Static)
        width = receipt.content_size.width
        needed = receipt.get_content_height(receipt.size, app.size, width)
        assert needed > 3 and receipt.content_size.height >= needed
