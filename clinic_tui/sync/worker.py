"""The app's background sync: one thread that sleeps until the scheduler says it is time.

With ``auto_sync`` and a hub address, a Textual thread worker (group "sync", exclusive) sleeps on
a ``threading.Event`` (no timer ticking while the PC sits idle) that "sync now", a local change
or quitting sets. When due it probes the hub or syncs (``clinic_tui.sync.scheduler`` decides);
without ``auto_sync`` only "sync now" runs a sync, in a one-off thread worker. The thread talks
to the UI by posting ``SyncStatus`` to the app: ``post_message`` is thread-safe and does not wait
for the UI (``call_from_thread`` would, and could hang a quit while the app closes); the app
refreshes its header and publishes the status on ``changed`` for the sync screen.

No Textual import here (sync never imports the UI, an import contract says so): the app hands the
worker its Textual parts, the ``changed`` signal and the ``status`` message class, and the worker
uses the app only through ``run_worker``, ``post_message``, ``notify`` and ``log``.

Offline is a state shown calmly in the header, never a dialog (sync invariant 1,
docs/architecture-sync.md); one sync at a time (the worker, and the lock of ``run_sync`` against a
scheduled ``clinic-tui sync``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from clinic_tui import clock
from clinic_tui.i18n import N_, _
from clinic_tui.sync.scheduler import (
    AUTH,
    CONFIG,
    OFFLINE,
    ONLINE,
    PROBLEM,
    SYNCING,
    UNKNOWN,
    SchedulePolicy,
    SyncScheduler,
    end_of_day_nudge_due,
)
from clinic_tui.sync.status import REACHED_HUB, SyncOutcome, SyncState, SyncTrigger

if TYPE_CHECKING:
    from clinic_tui.config import Settings
    from clinic_tui.sync.engine import SyncProgress, SyncReport
    from clinic_tui.sync.state import Overview

DEFAULT_POLICY = SchedulePolicy()
STATE_LABELS = {
    UNKNOWN: N_("checking"),
    ONLINE: N_("online"),
    OFFLINE: N_("offline"),
    SYNCING: N_("syncing"),
    AUTH: N_("token refused"),
    CONFIG: N_("sync not set up"),
    PROBLEM: N_("sync problem"),
}


class Publisher(Protocol):
    """Where the statuses go for the screens that listen (the app's ``textual.signal.Signal``)."""

    def publish(self, data: Any) -> None: ...

    def subscribe(self, node: Any, callback: Callable[[Any], Any]) -> None: ...


def header_state(settings: Settings, worker: SyncWorker | None) -> str:
    """The header's word for how the sync stands."""
    if not settings.hub_url:
        return _("no hub")
    automatic = settings.auto_sync
    state = worker.state if worker is not None else UNKNOWN
    if state == UNKNOWN and not automatic:
        return _("offline")  # without auto-sync the app connects only when asked (F5 on the sync screen)
    return _(STATE_LABELS[state])


class SyncWorker:
    """The sync of one signed-in app; the app makes it once and calls ``shutdown`` on quitting.

    ``changed``: the signal the sync screen subscribes to; ``status``: the message posted to the
    app, called as ``status(state, progress=..., report=...)`` (``clinic_tui.messages.SyncStatus``).
    """

    def __init__(
        self, app: Any, *, changed: Publisher, status: Callable[..., Any], policy: SchedulePolicy | None = None
    ):
        self.app = app
        self.scheduler = SyncScheduler(policy or DEFAULT_POLICY)
        self.changed = changed
        self._status = status
        self.running = False  # a sync is under way
        self.progress: SyncProgress | None = None  # of the running sync
        self.last_report: SyncReport | None = None
        self._lock = threading.Lock()  # the scheduler is read by the thread and changed by the UI
        self._wake = threading.Event()
        self._stop = threading.Event()  # quitting: also cancels a running sync between batches
        self._loop_worker = None
        self._nudged_on: date | None = None

    @property
    def settings(self) -> Settings:
        """The app's settings as they are now: the app reloads them from disk (``reload_settings``)
        when the sync screen opens or F5 is pressed, and every probe and sync after uses them."""
        settings: Settings = self.app.settings
        return settings

    @property
    def automatic(self) -> bool:
        return bool(self.settings.auto_sync and self.settings.hub_url)

    @property
    def state(self) -> SyncState:
        return self.scheduler.state

    # --- called by the app (UI thread) --------------------------------------------------------------
    def start(self) -> None:
        if self.automatic and self._loop_worker is None:
            self._loop_worker = self.app.run_worker(
                self._loop, name="sync", group="sync", thread=True, exclusive=True, exit_on_error=False
            )

    def settings_changed(self) -> None:
        """The app reloaded different sync settings: probe the (new) hub at once; start the
        background loop if auto-sync is now on (a loop whose auto-sync went off ends itself)."""
        with self._lock:
            self.scheduler.settings_changed()
        if self.automatic and self._loop_worker is None:
            self.start()
        self._wake.set()
        self._post()

    def sync_now(self) -> str | None:
        """Start a sync at once; None, or why not (translated)."""
        if not self.settings.hub_url:
            return _(
                "No hub address is configured. Set hub_url and the clinic token (see docs/sync.md); "
                "everything works offline meanwhile."
            )
        if self.running:
            return _("A sync is already running.")
        with self._lock:
            self.scheduler.request_now()
        if self._loop_worker is not None:
            self._wake.set()
        else:
            self.running = True
            self.app.run_worker(
                self._once, name="sync-now", group="sync", thread=True, exclusive=True, exit_on_error=False
            )
        return None

    def overview(self, runs_shown: int) -> Overview:
        """The sync screen's reads (its one door to sync's records); blocks on SQLite: call from a thread."""
        from clinic_tui.sync.state import overview

        return overview(self.app.store.engine, runs_shown)

    def local_change(self, pending: int) -> None:
        with self._lock:
            self.scheduler.local_change()
        self._wake.set()
        self._nudge_if_due(pending)

    def arrived(self, message: Any, pending: int) -> None:
        """A status from the thread, now in the UI thread: tell the screens that listen."""
        self.changed.publish(message)
        if message.report is not None and message.report.outcome not in REACHED_HUB:
            self._nudge_if_due(pending)

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()

    # --- the thread ---------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                delay = self.scheduler.delay()
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not self.automatic:  # auto-sync switched off (settings reloaded): F5 still syncs once
                self._loop_worker = None
                return
            with self._lock:
                if not self.scheduler.due():
                    continue  # woken by a change that only brought the next sync forward
                action = self.scheduler.next_action()
                trigger = SyncTrigger.MANUAL if self.scheduler.manual else SyncTrigger.AUTO
            if action == "sync":
                self._sync(trigger)
            else:
                self._probe()

    def _once(self) -> None:
        self.running = True
        self._sync(SyncTrigger.MANUAL)

    def _probe(self) -> None:
        from clinic_tui.sync.engine import check_connection

        try:
            check = check_connection(self.settings)
            ok, problem = check.ok, check.problem
        except Exception as exc:  # noqa: BLE001 - a bug must not end the worker; the log keeps it
            self.app.log.error(f"sync probe failed: {exc!r}")
            ok, problem = False, "error"
        with self._lock:
            self.scheduler.probed(ok, problem)
        self._post()

    def _sync(self, trigger: SyncTrigger) -> None:
        from clinic_tui.sync.engine import SyncReport, run_sync

        with self._lock:
            self.scheduler.sync_started()
        self.running, self.progress = True, None
        self._post()
        try:
            report = run_sync(
                self.app.store.engine, self.settings, trigger=trigger, progress=self._progressed, cancel=self._stop
            )
        except Exception as exc:  # noqa: BLE001 - run_sync reports hub problems itself; this is a bug
            self.app.log.error(f"sync failed: {exc!r}")
            report = SyncReport(outcome=SyncOutcome.ERROR, message=_("Sync failed: {detail}").format(detail=repr(exc)))
        finally:
            self.running, self.progress = False, None
        with self._lock:
            self.scheduler.sync_finished(report.outcome, report.problem)
        self.last_report = report
        self._post(report=report)

    def _progressed(self, progress: SyncProgress) -> None:
        self.progress = progress
        self._post(progress=progress)

    def _post(self, **details: Any) -> None:
        if not self._stop.is_set():
            self.app.post_message(self._status(self.state, **details))

    # --- end of the day -----------------------------------------------------------------------------
    def _nudge_if_due(self, pending: int) -> None:
        now = clock.now()  # "late in the day" in the configured zone
        if self.settings.hub_url and end_of_day_nudge_due(now, pending, self._nudged_on):
            self._nudged_on = now.date()
            self.app.notify(
                _(
                    "End of the day: {count} changes are not at the hospital yet. Ctrl+Y opens the "
                    "sync screen, F5 there sends them."
                ).format(count=pending),
                timeout=15,
            )
