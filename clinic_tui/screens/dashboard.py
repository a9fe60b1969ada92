"""The day's work at a glance: each line opens its record with Enter."""

from __future__ import annotations

from datetime import date, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from clinic_tui import clock
from clinic_tui.domain.followup import DISEASE_LABELS
from clinic_tui.i18n import N_, _
from clinic_tui.messages import OpenRecord
from clinic_tui.screens.base import ClinicScreen, given
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker
from clinic_tui.widgets.referral_marks import green_channel_mark

SECTIONS = [
    ("visits_today", N_("Visits today")),
    ("followups_due", N_("Follow-ups due this week or overdue")),
    ("referrals_waiting", N_("Referrals waiting for the hospital")),
    ("downward_received", N_("Downward referrals received")),
    ("contracts_expiring", N_("Contracts expiring within 30 days")),
]


def _when(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return clock.local(value).strftime("%H:%M")
    return value.isoformat() if value else ""


class DashboardScreen(ClinicScreen):
    BINDINGS = [
        Binding("1", "section(0)", N_("Visits"), id="dashboard.visits", show=False),
        Binding("2", "section(1)", N_("Follow-ups"), id="dashboard.followups", show=False),
        Binding("3", "section(2)", N_("Referrals"), id="dashboard.referrals", show=False),
        Binding("4", "section(3)", N_("Downward"), id="dashboard.downward", show=False),
        Binding("5", "section(4)", N_("Contracts"), id="dashboard.contracts", show=False),
        Binding("f5", "reload", N_("Refresh"), id="dashboard.refresh", show=False),
        Binding("0", "critical", N_("Critical values"), id="dashboard.critical", show=False),
        # The app's own keys, shown here where a day starts (elsewhere they are in F1's list).
        Binding("f3", "app.residents", N_("Residents"), id="dashboard.residents"),
        Binding("f4", "app.register_resident", N_("Register"), id="dashboard.register"),
        Binding("ctrl+r", "app.new_referral", N_("Refer"), id="dashboard.new_referral"),
        Binding("ctrl+q", "app.quit", N_("Quit"), id="dashboard.quit", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data = None
        self.section = 0
        self._covered_by: object = None  # the screen shown over this one since it was suspended

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="dashboard-critical")
        yield OptionList(id="sections")
        yield DataTable(id="items", cursor_type="row")
        yield Static(_("1-5 choose a list · Tab moves between lists and lines · Enter opens"), id="dashboard-hint")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("When"), _("Name"), _("Details"))

    def on_screen_suspend(self) -> None:
        self._covered_by = self.app.screen  # already the screen that covers this one

    def on_screen_resume(self) -> None:
        # Also sent when the screen is first shown: loading here too on mount would load twice.
        # A sync run meanwhile elsewhere (clinic-tui sync) is noticed here; then the app's notice
        # reloads this screen (reload_after_sync), so it is not loaded twice either.
        covered_by, self._covered_by = self._covered_by, None
        if self.clinic_app.notice_sync() and self.is_mounted:
            return
        if self.data is not None and getattr(covered_by, "CHANGES_NO_RECORDS", False):
            # Back from the unsaved forms offered after the sign-in: the lists just read are still
            # true, and reading them again would share the core with the doctor's first search.
            return
        self.action_refresh()

    def reload_after_sync(self) -> None:
        self.action_refresh()

    def action_reload(self) -> None:
        """F5: the settings as they are on disk now (a hub set meanwhile), and the lists again."""
        self.clinic_app.reload_settings()
        self.action_refresh()

    @work(thread=True, exclusive=True, group="dashboard")
    def action_refresh(self) -> None:
        data = self.clinic_store.dashboard(clock.today())
        show_from_worker(self, self._show, data)

    def _show(self, data) -> None:
        self.data = data
        self._show_critical(data.critical_values)
        sections = self.query_one("#sections", OptionList)
        highlighted = sections.highlighted or self.section
        sections.clear_options()
        sections.add_options(
            Option(f"{index + 1}  {_(label)}: {len(getattr(data, key))}", id=key)
            for index, (key, label) in enumerate(SECTIONS)
        )
        sections.highlighted = highlighted
        self._fill(self.section)
        self.clinic_app.refresh_header()
        # The ORM loads once the keys pause, not now: a search typed at once must not share the core.
        self.call_after_refresh(self.clinic_app.warm_up_when_idle)

    def _show_critical(self, items) -> None:
        """Critical values (危急值) not yet acknowledged, above everything else, until they are."""
        banner = self.query_one("#dashboard-critical", Static)
        banner.display = bool(items)
        self._critical_kinds = [item.kind for item in items]
        self._critical_ids = [item.record_id for item in items]
        if items:
            names = "  ".join(f"{item.name} {item.detail}" for item in items[:3])
            banner.update(
                _("Critical values to acknowledge: {count} · 0 opens them").format(count=len(items)) + f"\n{names}"
            )

    def action_critical(self) -> None:
        """The list of the critical values' kind: remote reports first, else lab results, else the
        first examination report's page (examinations have no list of their own)."""
        from clinic_tui.screens.routes import lab_list, record_page, remote_list

        kinds = getattr(self, "_critical_kinds", [])
        if kinds and "remote_request" not in kinds and "lab_order" not in kinds:
            self.app.push_screen(record_page("exam_booking", self._critical_ids[0]))
            return
        only_lab = bool(kinds) and "remote_request" not in kinds
        self.app.push_screen(lab_list("critical") if only_lab else remote_list("critical"))

    def action_section(self, index: int) -> None:
        self.query_one("#sections", OptionList).highlighted = index
        self._fill(index)
        self.query_one(DataTable).focus()

    @on(OptionList.OptionHighlighted, "#sections")
    def _section_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._fill(event.option_index)

    @on(OptionList.OptionSelected, "#sections")
    def _section_chosen(self) -> None:
        self.query_one(DataTable).focus()

    def _fill(self, index: int) -> None:
        if self.data is None:
            return
        self.section = index
        table = self.query_one(DataTable)
        table.clear()
        for row, item in enumerate(getattr(self.data, SECTIONS[index][0])):
            mark = "! " if item.overdue else ""
            detail = _(DISEASE_LABELS[item.detail]) if item.detail in DISEASE_LABELS else item.detail
            if item.urgency == "emergency":
                detail = green_channel_mark().append(f" {detail}")
            table.add_row(f"{mark}{_when(item.when)}", item.name, detail, key=f"{row}:{item.kind}:{item.record_id}")

    @on(DataTable.RowSelected, "#items")
    def _open(self, event: DataTable.RowSelected) -> None:
        _row, kind, record_id = given(event.row_key.value).split(":", 2)
        self.post_message(OpenRecord(kind, record_id))
