"""The Textual application: draws its first frame at once, then opens the database in a worker.

Heavy imports (SQLModel, pypinyin) happen in that worker, after the first frame, so an old PC shows
the shell quickly even while the database is being upgraded or backed up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from clinic_tui import clock
from clinic_tui.config import Settings
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged, OpenRecord, SyncStatus
from clinic_tui.screens.base import translate_bindings
from clinic_tui.screens.routes import MODE_SCREENS, mode_screen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter

if TYPE_CHECKING:
    from textual.widget import Widget

    from clinic_tui.data.drafts import DraftStore
    from clinic_tui.data.store import Store
    from clinic_tui.screens.form_base import FormScreen
    from clinic_tui.sync.worker import SyncWorker


# Seconds without a key after the dashboard is up before the ORM loads in the background: a doctor
# who goes straight to a search does not share the one slow core with it (issue 19).
WARM_UP_WHEN_IDLE_SECONDS = 1.5


def _mode_screen(name: str) -> Screen:
    """A mode's screen, made the first time the mode opens, marked as styled by the app's current
    stylesheet. Textual's switch_mode (``App._init_mode``, then ``switch_mode`` itself) compares a
    new screen's ``_css_update_count``, -1 when made, with the app's and, as they differ, re-parses
    every stylesheet of the app and restyles every widget, twice: most of the way from the sign-in
    to the dashboard and from F3 to the search box on a slow core (issue 19). The screen is styled
    when it mounts by the stylesheet as it is then, which a theme change re-parses at once
    (``App.refresh_css``); screens of other modes made earlier keep their own count and are
    restyled when they come back, as before. ``tests/app/test_fast_start.py`` counts the re-parses."""
    screen = mode_screen(name)
    screen._css_update_count = screen.app._css_update_count  # made in the app's context: its app
    return screen


class ClinicApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "clinic-tui"
    ENABLE_COMMAND_PALETTE = True
    # Our provider: translated commands, found by pinyin too (clinic_tui/palette.py).
    COMMANDS = {lambda: _palette_commands()}
    BINDINGS = [
        Binding("f1", "help", N_("Help"), id="app.help"),
        # Everywhere, so not in every footer (80 columns hold a screen's own keys and F1):
        # the dashboard shows them, F1 lists them all, the palette finds them.
        Binding("f2", "dashboard", N_("Dashboard"), id="app.dashboard", show=False),
        Binding("f3", "residents", N_("Residents"), id="app.residents", show=False),
        Binding("f4", "register_resident", N_("Register"), id="app.register_resident", show=False),
        Binding("ctrl+r", "new_referral", N_("New referral"), id="app.new_referral", show=False),
        Binding("ctrl+e", "open_mode('referrals')", N_("Referrals"), id="app.referrals", show=False),
        Binding("ctrl+d", "open_mode('downward')", N_("Downward inbox"), id="app.downward", show=False),
        Binding("ctrl+k", "open_mode('contracts')", N_("Contracts"), id="app.contracts", show=False),
        Binding("ctrl+o", "open_mode('remote')", N_("Remote requests"), id="app.remote", show=False),
        # B for 标本 (specimens): the lab orders sent to the lead hospital's lab and their results.
        # Ctrl+T is the referral form's "send" alone (one key, one meaning: tests/app/test_keys.py).
        Binding("ctrl+b", "open_mode('lab')", N_("Lab orders"), id="app.lab", show=False),
        # The examination bookings (检查预约; a new one is Ctrl+U on a resident's page). N, as the
        # other free letters (A F V W X Z) are the text fields' own editing keys, which would hide it.
        Binding("ctrl+n", "open_mode('exam')", N_("Examination bookings"), id="app.exam", show=False),
        Binding("ctrl+g", "indicators", N_("Indicators"), id="app.indicators", show=False),
        Binding("ctrl+y", "open_mode('sync')", N_("Sync"), id="app.sync", show=False),
        Binding("ctrl+l", "lock", N_("Lock"), id="app.lock", show=False),
        Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", priority=True, show=False),
        # Declared here so that its footer label is ours (and translated), not Textual's "palette".
        Binding(
            "ctrl+p",
            "command_palette",
            N_("Actions"),
            id="app.command_palette",
            show=False,
            priority=True,
            tooltip=N_("Find any action by name"),
        ),
    ]
    # Each mode's module is imported the first time the user opens it (see screens/routes.py).
    MODES = {name: partial(_mode_screen, name) for name in MODE_SCREENS}

    header_text: reactive[str] = reactive("")
    header_mark = ""  # the red part at the start of header_text: unacknowledged critical values

    def __init__(self, settings: Settings):
        super().__init__()
        self.settings = settings
        clock.set_zone(settings.time_zone)  # every time shown, in the configured zone
        self.store: Store | None = None  # set once the database is open
        self.drafts: DraftStore | None = None
        self.user_id: str | None = None
        self.user_name = ""
        self.clinic_name = ""
        self._idle_timer: Timer | None = None
        self.sync: SyncWorker | None = None  # made at the first sign-in
        self._warming_up = False  # the ORM's background load has been started
        self._warm_up_timer: Timer | None = None  # starts it once the keys pause (warm_up_when_idle)
        self._sync_marks: tuple[int, int] | None = None  # Store.sync_marks as last seen
        # Set once this session's clean_exit marker is cleared (or needs no clearing): a clean
        # exit's marker must come after it (run_app).
        self.marker_cleared = threading.Event()
        translate_bindings(self)

    @property
    def opened_store(self) -> Store:
        """The store, once the database is open (the sign-in, the sync and the forms come after)."""
        if self.store is None:
            raise RuntimeError("the database is not open yet")
        return self.store

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(_("Opening the database…"), id="loading")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.header_text = _("Village clinic")
        self.open_database()

    # --- start-up ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="database")
    def open_database(self) -> None:
        from clinic_tui.data.sqlite_file import DatabaseError
        from clinic_tui.data.startup import open_as_is
        from clinic_tui.data.store import Store
        from clinic_tui.errors import describe_database_error

        try:
            # Most starts have nothing to prepare: then SQLAlchemy loads only after the dashboard.
            path = open_as_is(self.settings, clear_marker=False)  # cleared below, off the way in
            if path is not None:
                store = Store(path)
            else:
                from clinic_tui.data.startup import prepare_database

                opened = prepare_database(self.settings, app_session=True)
                store = Store(opened.path, opened.engine)
                if opened.rejected_backup is not None:
                    from clinic_tui.errors import describe_rejected_backup

                    self.call_from_thread(
                        self.notify, describe_rejected_backup(opened.rejected_backup), severity="error", timeout=120
                    )
                self.marker_cleared.set()  # prepare_database has cleared it
        except DatabaseError as exc:
            self.marker_cleared.set()  # nothing opened: nothing to clear, no clean exit to mark
            self.call_from_thread(self._show_problem, describe_database_error(exc))
            return
        clinic = store.clinic()
        staff = store.staff()
        self.call_from_thread(self._database_ready, store, store.drafts, clinic, staff)
        if not self.marker_cleared.is_set():
            # The login screen is up; the write's fsyncs wait on the disk here, not on the way to
            # the dashboard (data/startup.open_as_is says why this order is safe).
            import sqlite3

            from clinic_tui.data.startup import clear_clean_exit

            try:
                clear_clean_exit(store.path)
            except sqlite3.Error as exc:
                # Another program holds the file past the busy timeout: the session goes on (all
                # it writes is as durable as ever); only a crash in it would skip the full check.
                warning = _(
                    "This session's start could not be noted in the database ({detail}). Your work is "
                    "saved as always; if clinic-tui stops abnormally, run 'clinic-tui db check' before "
                    "going on."
                ).format(detail=exc)
                self.call_from_thread(self.notify, warning, severity="warning", timeout=30)
            finally:
                self.marker_cleared.set()

    def _show_problem(self, message: str) -> None:
        self.query_one("#loading", Static).update(message)

    def _database_ready(self, store, drafts, clinic, staff) -> None:
        self.store, self.drafts = store, drafts
        self.query_one("#loading", Static).display = False
        self.clinic_name = clinic.name if clinic else _("Village clinic")
        self._sync_marks = store.sync_marks()
        self.refresh_header()
        self._sign_in(staff, locked=False)

    def _sign_in(self, staff, *, locked: bool) -> None:
        from clinic_tui.screens.login import LoginScreen

        self.push_screen(LoginScreen(staff, locked=locked), callback=partial(self._signed_in, locked))

    def _signed_in(self, was_locked: bool, staff_id: str | None) -> None:
        member = next((m for m in self.opened_store.staff() if m.id == staff_id), None)
        self.user_id, self.user_name = staff_id, member.name if member else ""
        self.refresh_header()
        self._restart_idle_timer()
        self._start_sync()  # its first probe waits a few seconds (SchedulePolicy.first_delay)
        if not was_locked:
            self.switch_mode("dashboard")
            self.offer_drafts()
            # The dashboard arms it again once it is drawn; this in case a draft offered back covers it.
            self.warm_up_when_idle()

    # --- who is working, idle lock -------------------------------------------------------------

    def _restart_idle_timer(self) -> None:
        minutes = self.settings.idle_lock_minutes
        if self._idle_timer is not None:
            self._idle_timer.stop()
        # One timer that fires once, reset by each key: nothing runs while the PC sits idle.
        self._idle_timer = self.set_timer(minutes * 60, self.action_lock) if minutes > 0 else None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            if self._idle_timer is not None:
                self._idle_timer.reset()
            if self._warm_up_timer is not None:
                self._warm_up_timer.reset()  # the doctor is at work: the ORM waits for a pause
        await super().on_event(event)

    def action_lock(self) -> None:
        from clinic_tui.screens.login import LoginScreen

        if self.store is None or isinstance(self.screen, LoginScreen):
            return
        for screen in self.screen_stack:
            if hasattr(screen, "flush_draft"):
                screen.flush_draft()
        if self._idle_timer is not None:
            self._idle_timer.stop()
            self._idle_timer = None
        self._sign_in(self.store.staff(), locked=True)

    # --- header ------------------------------------------------------------------------------

    def refresh_header(self) -> None:
        if self.store is None:
            return
        from clinic_tui.widgets.app_header import HeaderPart, fit_header

        width = (self.size.width or 80) - 2  # the header's padding
        critical = self.store.critical_values()
        # A critical value (危急值) not yet acknowledged comes first, in red (widgets/app_header.py).
        self.header_mark = _("Critical {count}").format(count=critical) if critical else ""
        parts = self.header_parts(self.store.sync_summary())
        if self.header_mark:
            parts.insert(0, HeaderPart(self.header_mark, 0))
        self.header_text = fit_header(parts, width)

    def header_parts(self, summary) -> list:
        """What the header says, most needed first kept: pending changes and the sync state stay
        at 80 columns in either language; the date, the user and the last sync go first."""
        from clinic_tui.widgets.app_header import HeaderPart

        demo = _(" (demo)") if self.settings.is_demo else ""
        parts = [HeaderPart(f"{self.clinic_name}{demo}", 0), HeaderPart(f"{clock.today():%m-%d}", 5)]
        if self.user_name:
            parts.append(HeaderPart(self.user_name, 4))
        parts.append(HeaderPart(_("unsent {count}").format(count=summary.pending), 0, "right"))
        if summary.rejected:
            parts.append(HeaderPart(_("refused {count}").format(count=summary.rejected), 1, "right"))
        parts.append(
            HeaderPart(
                _("sync {when}").format(when=summary.last_pull_at) if summary.last_pull_at else _("never synced"),
                3,
                "right",
            )
        )
        from clinic_tui.sync.worker import header_state

        parts.append(HeaderPart(header_state(self.settings, self.sync), 0, "right"))
        return parts

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_header)  # once the app knows its new size

    @on(DataChanged)
    def _data_changed(self, message: DataChanged) -> None:
        if message.by_sync:
            return  # the app's own notice to the screens (notice_sync), not a save
        self.refresh_header()
        if self.sync is not None:
            self.sync.local_change(self.opened_store.sync_summary().pending)

    # --- settings ------------------------------------------------------------------------------

    def reload_settings(self) -> bool:
        """Read the sync settings again (config file and environment), as ``clinic-tui sync`` would
        now: a hub address or token file set while the app runs needs no restart. Called when the
        sync screen opens and on F5; the worker reads ``self.settings``, so its next probe or sync
        uses them. The database, language and idle lock stay those this session started with.
        True when something changed; a file that cannot be read is reported and changes nothing."""
        from dataclasses import replace

        from clinic_tui.config import SYNC_SETTINGS, SettingsError, load_settings

        try:
            fresh = load_settings()
        except SettingsError as exc:
            self.notify(str(exc), severity="error", timeout=15)
            return False
        # A setting read from the file or the environment (then or now) takes its value on disk now;
        # one the program that started the app gave itself (no source) stays.
        values = {
            name: getattr(fresh, name)
            for name in SYNC_SETTINGS
            if name in fresh.sources or name in self.settings.sources
        }
        if all(getattr(self.settings, name) == value for name, value in values.items()):
            return False
        sources = {k: v for k, v in self.settings.sources.items() if k not in values}
        sources.update({k: v for k, v in fresh.sources.items() if k in values})
        self.settings = replace(self.settings, **values, sources=sources)
        if self.sync is not None:
            self.sync.settings_changed()
        self.refresh_header()
        return True

    # --- background sync (clinic_tui/sync/worker.py) ------------------------------------------

    def start_background_work(self) -> None:
        """Load the ORM for the forms and records' pages, in the background, now: called when the
        first search's results are on the screen, when a form or a page that needs it opens, and
        when the keys pause after the dashboard is up (``warm_up_when_idle``). Not earlier: on one
        slow core it would hold up the dashboard and the first search, which do not need it."""
        if self._warm_up_timer is not None:
            self._warm_up_timer.stop()
            self._warm_up_timer = None
        if not self._warming_up:
            self._warming_up = True
            self._warm_up_data_layer()

    def warm_up_when_idle(self, seconds: float | None = None) -> None:
        """Start the ORM's background load once no key has come for ``seconds`` (by default
        WARM_UP_WHEN_IDLE_SECONDS; each key resets the wait), unless something that needs it
        starts it first."""
        if self._warming_up:
            return
        if self._warm_up_timer is not None:
            self._warm_up_timer.stop()
        wait = WARM_UP_WHEN_IDLE_SECONDS if seconds is None else seconds
        self._warm_up_timer = self.set_timer(wait, self.start_background_work)

    # A failure here is not the app's end: the same step runs again, and is reported, where the
    # engine is first used for real.
    @work(thread=True, exclusive=True, group="warm-up", exit_on_error=False)
    def _warm_up_data_layer(self) -> None:
        self.opened_store.warm_up()

    def _start_sync(self) -> None:
        if self.sync is None:
            from textual.signal import Signal

            from clinic_tui.sync.worker import SyncWorker

            self.sync = SyncWorker(self, changed=Signal(self, "sync-changed"), status=SyncStatus)
            self.sync.start()

    @on(SyncStatus)
    def _sync_status(self, message: SyncStatus) -> None:
        self.refresh_header()
        if message.progress is None:  # a probe, a new state or a finished sync: not one more batch
            self.notice_sync()
        if self.sync is not None:
            self.sync.arrived(message, self.opened_store.sync_summary().pending)

    def notice_sync(self) -> bool:
        """Whether a sync changed records here since the app last looked, whoever ran it (this
        app's worker, or ``clinic-tui sync`` from a scheduled task: its ``sync_run`` rows are in the
        same database). If so, every open screen of the current stack reads its data again
        (``DataChanged(by_sync=True)``); screens out of view read theirs when they come back.
        Called on each status of the worker (its syncs and probes) and when the dashboard or the
        sync screen comes into view. True when the screens were told."""
        if self.store is None:
            return False
        marks = self.store.sync_marks()
        seen, self._sync_marks = self._sync_marks, marks
        if seen is None or marks == seen:
            return False
        self.refresh_header()
        if marks[1] == seen[1]:
            return False  # a sync that changed nothing here (only the header's counts)
        from clinic_tui.screens.base import ClinicScreen

        for screen in self.screen_stack:
            if isinstance(screen, ClinicScreen):
                screen.post_message(DataChanged(by_sync=True))
        return True

    def exit(self, *args, **kwargs) -> None:
        # Before Textual closes the screens (which waits): a running sync stops after its batch.
        if self.sync is not None:
            self.sync.shutdown()
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        if self.sync is not None:
            self.sync.shutdown()  # any other way out: the worker's thread ends

    # --- navigation --------------------------------------------------------------------------

    def action_dashboard(self) -> None:
        if self.user_id:
            self.switch_mode("dashboard")

    def action_residents(self) -> None:
        """The resident search, always: from a resident's page (or a form) of the residents mode
        too, whose screens are closed (a form's typing kept as its draft); from another mode, the
        last search, as it was left."""
        if not self.user_id:
            return
        from clinic_tui.screens.residents import ResidentsScreen

        if self.current_mode != "residents":
            self.switch_mode("residents")
        search = next((s for s in self.screen_stack if isinstance(s, ResidentsScreen)), None)
        if search is None:
            return
        above = self.screen_stack[self.screen_stack.index(search) + 1 :]
        for screen in above:
            flush = getattr(screen, "flush_draft", None)
            if flush is not None and screen.is_mounted:
                flush()

        async def close_above() -> None:
            for screen in reversed(above):  # the top one first: each is the active screen when it goes
                await screen.dismiss()
            search.action_focus_search()

        self.call_later(close_above)

    def action_open_mode(self, mode: str) -> None:
        if self.user_id:
            self.switch_mode(mode)

    def action_new_referral(self) -> None:
        if self.user_id:
            from clinic_tui.screens.routes import form_class

            self.push_screen(form_class("referral")())

    def action_indicators(self) -> None:
        if self.user_id:
            from clinic_tui.screens.indicators import IndicatorsScreen

            self.push_screen(IndicatorsScreen())

    def action_register_resident(self) -> None:
        if self.user_id:
            from clinic_tui.screens.resident_form import ResidentFormScreen

            self.push_screen(ResidentFormScreen())

    @on(OpenRecord)
    def open_record(self, message: OpenRecord) -> None:
        from clinic_tui.screens.routes import screen_for

        screen = screen_for(self.store, message.kind, message.record_id)
        if screen is not None:
            self.push_screen(screen)

    def offer_drafts(self) -> None:
        from clinic_tui.screens.drafts import DraftsScreen

        assert self.drafts is not None  # opened with the store, before the sign-in that offers them
        drafts = self.drafts.for_user(self.user_id)
        if drafts:
            self.push_screen(DraftsScreen(drafts))

    # --- help, palette, quitting -------------------------------------------------------------

    def get_key_display(self, binding: Binding) -> str:
        """Keys as people write them, the same in the footer, the help screen and the palette."""
        from clinic_tui.screens.help import key_display

        return binding.key_display or key_display(binding.key)

    def key_rows(self) -> list[tuple[str, str]]:
        from clinic_tui.screens.help import describe_binding

        ours: list[tuple[str, str]] = []
        textuals: list[tuple[str, str]] = []
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            # Super (Windows/Command) keys never reach the app on a clinic's console.
            if binding.description and not key.startswith("super+"):
                # The app's actions (they have ids) first, then moving about in lists and fields.
                rows = ours if binding.id else textuals
                rows.append((self.get_key_display(binding), describe_binding(binding.description)))
        return ours + textuals

    def action_help(self) -> None:
        from clinic_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.key_rows()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action bound to a key here, with its key, plus Textual's own."""
        from clinic_tui.screens.help import describe_binding

        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.description and active.enabled and not key.startswith("super+"):
                node, action = active.node, binding.action
                yield SystemCommand(
                    describe_binding(binding.description),
                    self.get_key_display(binding),
                    partial(self.call_later, cast("Widget | App[Any]", node).run_action, action),
                )
        from clinic_tui.palette import translated

        yield from translated(super().get_system_commands(screen))

    def action_command_palette(self) -> None:
        """Textual's palette, with a placeholder in the doctor's language."""
        from textual.command import CommandPalette

        from clinic_tui.palette import PLACEHOLDER

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=_(PLACEHOLDER)))

    @work  # a worker, to await the confirmation (Textual ignores what an action returns)
    async def action_quit(self) -> None:  # type: ignore[override]
        from clinic_tui.screens.confirm import ConfirmScreen

        unsaved = [cast("FormScreen", s) for s in self.screen_stack if getattr(s, "dirty", False)]
        for screen in unsaved:
            screen.flush_draft()
        if unsaved and not await self.push_screen_wait(
            ConfirmScreen(_("A form has unsaved changes (kept as a draft for next time). Quit anyway?"))
        ):
            return
        self.exit()


def run_app(settings: Settings) -> int:
    app = ClinicApp(settings)
    app.run()
    if app.store is not None and app.return_code == 0:
        from clinic_tui.data.startup import mark_clean_exit

        app.marker_cleared.wait(timeout=10)  # the session's clearing first, then the clean exit's mark
        mark_clean_exit(app.store.path)  # the next start may skip reading the whole file
    return app.return_code or 0


def _palette_commands():
    from clinic_tui.palette import PaletteCommands

    return PaletteCommands
