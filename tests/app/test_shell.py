"""The app shell: who is working, idle lock, help, palette, quitting."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from pilot_helpers import login_shown, sign_in, wait_for
from textual.command import CommandPalette
from textual.widgets import DataTable, OptionList, Static

from clinic_tui import clock
from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.screens.dashboard import DashboardScreen
from clinic_tui.screens.help import HelpScreen


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    return Settings(database=db)


async def test_a_wrong_pin_is_refused_and_the_right_one_signs_in(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_shown(app))
        await pilot.press("enter", "9", "9", "9", "9", "enter")
        assert "密码错误" in str(app.screen.query_one("#login-message", Static).render())
        assert app.user_id is None
        await pilot.press("1", "2", "3", "4", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert app.user_name == "李建国" and "李建国" in app.header_text


async def test_staff_without_a_pin_sign_in_with_enter_and_get_their_drafts_back(settings):
    from clinic_tui.screens.drafts import DraftsScreen

    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_shown(app))
        names = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        await pilot.press(*["down"] * next(i for i, n in enumerate(names) if "王秀英" in n), "enter")
        # 王秀英 has no PIN; the demo holds a visit she was typing when the power went.
        await wait_for(pilot, lambda: isinstance(app.screen, DraftsScreen))
        assert app.user_name == "王秀英"
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1 and "就诊记录" in str(table.get_row_at(0)[0])
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_the_app_locks_after_the_idle_time_and_the_next_person_signs_in(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        # 1.2 seconds, from the next sign-in: set once signed in, so that a slow machine cannot
        # lock the app before the first sign-in has been seen to succeed.
        app.settings = replace(app.settings, idle_lock_minutes=0.02)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: login_shown(app))
        await pilot.press("enter", "1", "2", "3", "4", "enter")
        await wait_for(pilot, lambda: not login_shown(app))
        await wait_for(pilot, lambda: login_shown(app), tries=100)
        assert "已锁屏" in str(app.screen.query_one("#login-title", Static).render())
        await pilot.press("enter", "1", "2", "3", "4", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_keys_keep_the_app_unlocked(settings):
    # Locks after 3 s idle; 4.5 s of typing a key every 0.3 s must keep it open. The margin is
    # wide (a key 10x more often than the lock) so that a loaded machine, whose dashboard takes a
    # second to draw after the sign-in that starts the clock, cannot lock it between two keys.
    app = ClinicApp(replace(settings, idle_lock_minutes=0.05))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        for _ in range(15):
            await pilot.press("2")
            await pilot.pause(0.3)
        assert isinstance(app.screen, DashboardScreen)


async def test_f1_lists_the_keys_of_the_screen_and_of_the_app(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {
            tuple(map(str, app.screen.query_one(DataTable).get_row_at(i)))
            for i in range(app.screen.query_one(DataTable).row_count)
        }
        assert ("F3", "居民") in rows and ("F5", "刷新") in rows and ("Ctrl+Q", "退出") in rows
        print(sorted(rows))
        assert all(description.isascii() is False for _key, description in rows), rows  # all in Chinese
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_the_footer_writes_keys_as_on_the_keyboard_and_labels_the_palette_in_chinese(settings):
    from textual.widgets._footer import FooterKey

    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.pause()
        keys = {(key.key_display, key.description) for key in app.screen.query(FooterKey)}
        assert ("F3", "居民") in keys and ("Ctrl+Q", "退出") in keys
        assert ("Ctrl+P", "操作") in keys  # Textual's own label would be "palette"


async def test_the_palette_offers_the_app_actions_by_name(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"居民")
        await pilot.pause(0.5)
        await pilot.press("enter")
        from clinic_tui.screens.residents import ResidentsScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))


async def test_the_palette_finds_actions_by_pinyin_and_speaks_chinese(settings):
    """ "zhuan" (full pinyin) and "jm" (initials) find Chinese titles; nothing of Textual's own
    commands or placeholder is left in English."""
    from textual.command import CommandInput, CommandList

    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        assert palette.query_one(CommandInput).placeholder == "查找操作：名称、拼音或首字母…"

        async def titles_for(query: str) -> list[str]:
            field = palette.query_one(CommandInput)
            field.value = query
            await pilot.pause(0.6)
            options = palette.query_one(CommandList)
            return [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]

        assert any("转诊" in title for title in await titles_for("zhuan"))
        assert any("居民" in title for title in await titles_for("jm"))
        # Titles are words (the help column holds key names such as "Ctrl+PgDn", which stay).
        titles = [str(command.title) for command in app.get_system_commands(app.screen_stack[-2])]
        assert "截图" in titles
        assert [title for title in titles if any("a" <= c.lower() <= "z" for c in title)] == []
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, CommandPalette)


def test_pinyin_scores_rank_a_start_above_a_later_word():
    from clinic_tui.palette import pinyin_score

    assert pinyin_score("新建转诊", "xjzz") == pinyin_score("新建转诊", "xinjian") == 0.9
    assert pinyin_score("新建转诊", "zhuanzhen") == 0.6
    assert pinyin_score("新建转诊", "huanzhe") == 0.0
    assert pinyin_score("新建转诊", "转诊") == 0.0  # characters go to the ordinary matcher


async def test_the_dashboard_lists_the_work_and_switches_lists_with_digits(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: app.screen.data is not None)
        await pilot.press("3")  # referrals waiting for the hospital
        assert table.row_count == len(app.screen.data.referrals_waiting) > 0
        await pilot.press("5")
        assert table.row_count == len(app.screen.data.contracts_expiring) > 0


async def test_ctrl_q_quits_from_the_dashboard(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause(0.3)
    assert app.return_code == 0


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_header_fits_80_columns_and_keeps_the_pending_count_and_sync_state(settings, language):

    from rich.cells import cell_len

    from clinic_tui import i18n
    from clinic_tui.widgets.app_header import AppHeader

    i18n.set_language(language)
    try:
        app = ClinicApp(replace(settings, language=language, hub_url="https://hub.example"))
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(app, pilot)
            await pilot.pause()
            line = str(app.screen.query_one(AppHeader).render()).strip()
            assert cell_len(app.header_text) <= 78, app.header_text
            count = app.store.sync_summary().pending
            pending, offline = (f"unsent {count}", "offline") if language == "en" else (f"待传 {count}", "离线")
            assert pending in line and offline in line and line.startswith("石桥镇青石村卫生室"), line
            assert f"{clock.today():%m-%d}" in line and "李建国" in line  # at 80 columns nothing is dropped
            await pilot.resize_terminal(50, 24)
            await pilot.pause()
            assert cell_len(app.header_text) <= 48 and pending in app.header_text and offline in app.header_text
    finally:
        i18n.set_language("zh")


async def test_a_long_field_message_is_wrapped_beside_its_field_not_cut_at_80_columns(settings):
    from rich.cells import cell_len

    from clinic_tui.screens.resident_form import ResidentFormScreen

    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen))
        await pilot.press(*"王小明", "enter", "1", "enter", *"1980-13-45", "enter")
        await pilot.pause()
        row = app.screen.form.input("birth_date").parent
        message = row.query_one(".field-message", Static)
        text = str(message.render())
        assert "1980-13-45" in text
        lines_needed = -(-cell_len(text.strip()) // message.content_region.width)
        assert lines_needed > 1  # too long for one line beside the field at 80 columns ...
        assert message.content_region.height >= lines_needed  # ... so it wraps, whole
        assert app.screen.form.input("id_type").has_focus  # and the form went on to the next field


async def test_keys_queued_behind_an_enter_land_in_the_next_field(settings):
    """A burst (a fast typist, a card reader): the app has every key queued before it handles the
    first, so the Enter must move the focus before the keys behind it are routed."""
    from textual import events

    from clinic_tui.screens.resident_form import ResidentFormScreen

    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen) and app.screen.focused is not None)
        burst = [*"王五", "enter", "1", "enter", *"19800517", "enter"]
        for key in burst:
            app.post_message(events.Key(key, None if key == "enter" else key))
        await pilot.pause(0.5)
        raw = app.screen.form.raw()
        assert (raw["name"], raw["sex"], raw["birth_date"]) == ("王五", "1", "19800517")
        assert app.screen.form.input("id_type").has_focus


async def test_the_demo_copy_shows_its_staff_pins_at_sign_in_and_they_work(tmp_path, monkeypatch):
    """Issue 14 item 9: on the demo copy (no database configured) the PINs are on the screen."""
    monkeypatch.setenv("CLINIC_TUI_DATA_DIR", str(tmp_path / "data"))
    app = ClinicApp(Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_shown(app), tries=400)
        shown = str(app.screen.query_one("#login-demo-pins", Static).render())
        assert "李建国：密码 1234" in shown and "赵敏：密码 2468" in shown
        assert "王秀英：无需密码" in shown and "陈志强：无需密码" in shown
        await pilot.press("enter", "1", "2", "3", "4", "enter")  # 李建国, first in the list
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_a_configured_database_shows_no_pins_and_the_pin_field_has_a_box(settings):
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_shown(app))
        assert not app.screen.query("#login-demo-pins")
        await pilot.press("enter")  # 李建国 has a PIN
        await pilot.pause()
        pin = app.screen.query_one("#login-pin")
        assert pin.display
        assert pin.styles.border_top[0] not in ("", "none", "hidden")  # a visible box, not a bare line
        assert pin.region.height >= 3
