"""The remote request form and page at 80x24, in Chinese and in English (pytest-textual-snapshot).

The page: the demo's urgent ECG read, reported with a critical value the doctor acknowledged, its
report read: the state, the hospital's answers, the report's start must show on the first screen.
The form: opened with F10 from the page of a resident with a visit, its summary filled from it.
Accept deliberate changes with ``--snapshot-update`` on these tests only, after looking at the
pictures. The setup (fixed day, China time, no cursor blink) is that of ``test_snapshots.py``.
"""

from __future__ import annotations

import pytest
from pilot_helpers import LANGUAGES, screen_is, steady, until

ECG_READ = "4ae0ab65-2537-447e-970f-0ed26b6f873e"  # QS0101-20261108-R0001 in the demo data
RESIDENT = "1909a7ec-26c9-43d7-8ad7-f58404755498"  # its patient


async def _signed_in(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: screen_is(app, "DashboardScreen") and app.user_name in app.header_text)


async def _at_request_page(pilot) -> None:
    """Signed in, Ctrl+O to the list, the ECG read (the fourth, newest first), Enter."""
    app = pilot.app
    await _signed_in(pilot)
    await pilot.press("ctrl+o")
    await until(pilot, lambda: screen_is(app, "RemoteRequestsScreen"))
    table = app.screen.query_one("#results")
    await until(pilot, lambda: table.row_count == 5 and not app.workers)
    await pilot.press("down", "down", "down", "enter")
    await until(pilot, lambda: screen_is(app, "RemoteRequestScreen") and app.screen.detail is not None)
    assert app.screen.record_id == ECG_READ
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


async def _at_form(pilot) -> None:
    from clinic_tui.screens.routes import record_page

    app = pilot.app
    await _signed_in(pilot)
    await app.push_screen(record_page("resident", RESIDENT))
    await until(pilot, lambda: screen_is(app, "ResidentScreen") and not app.workers)
    await pilot.press("f10")
    await until(pilot, lambda: screen_is(app, "RemoteFormScreen") and app.screen.focused is not None)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_remote_request_page(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_request_page, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_remote_request_form(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_form, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_remote_request_form_with_an_attachment(snap_compare, make_app, language, tmp_path):
    """The file field with a PDF taken from its path: listed by name, type and size."""
    tracing = tmp_path / "ecg-12-lead.pdf"
    tracing.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 3200)  # 819,209 bytes: 800 KB

    async def attached(pilot) -> None:
        await _at_form(pilot)
        app = pilot.app
        field = app.screen.form.input("attach")
        field.focus()
        field.value = str(tracing)
        await pilot.press("enter")
        await until(pilot, lambda: len(app.screen.attached_files) == 1)
        await steady(pilot)

    assert snap_compare(make_app(language), run_before=attached, terminal_size=(80, 24))
