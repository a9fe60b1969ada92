"""The sync screen (Ctrl+Y): what waits to be sent, a running sync's progress, the last syncs, the
hospital's latest receipt, and the records it did not accept, each opened with Enter to be fixed
(saving it makes a new revision, which is pending again). F5 syncs now, with or without auto-sync.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Label, ProgressBar, Static

from clinic_tui import clock
from clinic_tui.i18n import N_, _
from clinic_tui.messages import OpenRecord, SyncStatus
from clinic_tui.screens.base import ClinicScreen, given
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker

if TYPE_CHECKING:
    from clinic_tui.sync.state import RejectedRecord

OUTCOME_LABELS = {
    "running": N_("running"),
    "ok": N_("done"),
    "rejected": N_("done, some refused"),
    "offline": N_("offline"),
    "auth": N_("token refused"),
    "config": N_("not set up"),
    "error": N_("failed"),
    "busy": N_("already running"),
}
TRIGGER_LABELS = {
    "auto": N_("automatic"),
    "manual": N_("by hand"),
    "cli": N_("command line"),
}  # clinic-tui sync: by hand or a scheduled task
RUNS_SHOWN = 5


def _when(moment) -> str:
    return clock.local(moment).strftime("%m-%d %H:%M") if moment else "-"


def receipt_sentence(run, first_reason: str | None, today: date) -> str:
    """What the hospital confirmed at the last sync that reached it (a ``SyncRun``)."""
    from clinic_tui.sync.texts import counts_text, receipt_text

    if run is None:
        return _("The hospital has not confirmed anything from this clinic yet.")
    heading = _("Receipt of {when}:").format(when=_when(run.finished_at))
    if clock.local(run.finished_at).date() == today:
        body = receipt_text(run.today_counts, run.confirmed_counts, run.rejected, first_reason, [])
    elif run.confirmed_counts:
        body = _("In all the hospital holds {items} from this clinic.").format(items=counts_text(run.confirmed_counts))
    else:
        body = _("The hospital holds nothing from this clinic yet.")
    return f"{heading} {body}"


def progress_text(progress) -> str:
    if progress is None:
        return _("Starting…")
    if progress.phase == "push":
        return _("Sending {done}/{total}").format(done=progress.done, total=progress.total)
    if progress.phase == "pull":
        return _("Receiving {done}").format(done=progress.done)
    if progress.phase == "attachments":
        return _("Sending attachments: {done}/{total} chunks").format(done=progress.done, total=progress.total)
    return _("Checking with the hospital")


class SyncScreen(ClinicScreen):
    CSS_PATH = "sync_screen.tcss"
    BINDINGS = [
        Binding("f5", "sync_now", N_("Sync now"), id="sync.now"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rejected: list[RejectedRecord] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="sync-status")
        with Horizontal(id="sync-running"):
            yield Label("", id="sync-phase")
            yield ProgressBar(id="sync-bar", show_eta=False)
        yield Static("", id="sync-pending")
        yield Static("", id="sync-receipt")
        yield Label(_("Last syncs"), classes="sync-title")
        yield DataTable(id="sync-runs", cursor_type="row", zebra_stripes=True)
        yield Label(_("Not accepted by the hospital (Enter opens the record to fix it)"), classes="sync-title")
        yield DataTable(id="sync-rejected", cursor_type="row", zebra_stripes=True)
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.query_one("#sync-runs", DataTable).add_columns(
            _("Time"), _("How"), _("Sync result"), _("Sent"), _("New"), _("Refused"), _("Received")
        )
        self.query_one("#sync-rejected", DataTable).add_columns(_("Record"), _("Reason"))
        self.clinic_sync.changed.subscribe(self, self._sync_changed)
        self._show_running(self.clinic_sync.running, self.clinic_sync.progress)

    def on_screen_resume(self) -> None:
        self.clinic_app.reload_settings()  # a hub address set on disk since the app started counts
        self.clinic_app.notice_sync()  # a clinic-tui sync run meanwhile: the header and lists too
        self.load()

    def reload_after_sync(self) -> None:
        self.load()

    # --- reading --------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="sync-screen")
    def load(self) -> None:
        seen = self.clinic_sync.overview(RUNS_SHOWN)
        show_from_worker(self, self._show, seen.pending, seen.runs, seen.receipt, seen.rejected, seen.unmatched)

    def _show(self, pending, runs, receipt, rejected, unmatched=()) -> None:
        from clinic_tui.sync.texts import counts_text

        self.query_one("#sync-status", Static).update(self._status_text(runs))
        waiting = (
            _("To send: {items}.").format(items=counts_text(pending))
            if pending
            else _("Nothing is waiting to be sent.")
        )
        if unmatched:
            waiting += "\n" + _("Hospital answers for remote requests not on this PC: {numbers}").format(
                numbers=", ".join(unmatched)
            )
        self.query_one("#sync-pending", Static).update(waiting)
        first_reason = rejected[0].message if rejected else None
        self.query_one("#sync-receipt", Static).update(receipt_sentence(receipt, first_reason, clock.today()))
        table = self.query_one("#sync-runs", DataTable)
        table.clear()
        for run in runs:
            table.add_row(
                _when(run.started_at),
                _(TRIGGER_LABELS.get(run.trigger, run.trigger)),
                _(OUTCOME_LABELS.get(run.outcome, run.outcome)),
                run.pushed,
                run.accepted,
                run.rejected,
                run.pulled,
                key=str(run.id),
            )
        self.rejected = rejected
        listed = self.query_one("#sync-rejected", DataTable)
        listed.clear()
        for record in rejected:
            reason = record.message or record.code or "-"
            listed.add_row(record.label, reason, key=f"{record.kind}:{record.record_id}")
        if not self.loaded:
            (listed if rejected else table).focus()
        self.loaded = True

    def _status_text(self, runs) -> str:
        from clinic_tui.sync.worker import header_state

        settings = self.clinic_app.settings
        if not settings.hub_url:
            return _(
                "Not connected to a lead hospital. To sync, set hub_url and the clinic token "
                "(clinic-tui sync set-token), see docs/sync.md. Everything works offline meanwhile."
            )
        auto = _("auto-sync on") if settings.auto_sync else _("auto-sync off: F5 syncs")
        line = _("Hub {url} · {state} · {auto}").format(
            url=settings.hub_url, state=header_state(settings, self.clinic_app.sync), auto=auto
        )
        last = runs[0] if runs else None
        if last is not None and last.outcome not in ("ok", "rejected", "running") and last.error_message:
            line += "\n" + _("Last attempt {when}: {message}").format(
                when=_when(last.started_at), message=last.error_message
            )
        return line

    # --- a running sync -------------------------------------------------------------------------
    def _sync_changed(self, status: SyncStatus) -> None:
        self._show_running(self.clinic_sync.running, status.progress)
        if status.progress is None:  # a new state or a finished sync, not one more batch
            self.load()

    def _show_running(self, running: bool, progress) -> None:
        self.query_one("#sync-running").display = running
        if not running:
            return
        self.query_one("#sync-phase", Label).update(progress_text(progress))
        bar = self.query_one("#sync-bar", ProgressBar)
        if progress is None or progress.total is None:
            bar.update(total=None)  # not known yet: the bar pulses
        else:
            bar.update(total=max(progress.total, 1), progress=progress.done)

    # --- actions --------------------------------------------------------------------------------
    def action_sync_now(self) -> None:
        if self.clinic_app.reload_settings():
            self.load()
        problem = self.clinic_sync.sync_now()
        if problem:
            self.query_one("#sync-status", Static).update(problem)
        else:
            self._show_running(True, None)

    @on(DataTable.RowSelected, "#sync-rejected")
    def _open_rejected(self, event: DataTable.RowSelected) -> None:
        kind, record_id = given(event.row_key.value).split(":", 1)
        self.post_message(OpenRecord(kind, record_id))
