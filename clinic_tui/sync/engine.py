"""One sync with the hub: push the outbox, pull the hub's changes, reconcile, keep a receipt.

``run_sync`` is what the CLI (end-of-day batch) and the app's background worker call; it never
raises for a network or hub problem: the outcome and a translated message are in the report, and
the receipt is stored in ``sync_run``. ``check_connection`` tests the settings step by step.
The invariants it keeps are stated in docs/architecture-sync.md; the local bookkeeping is in
``clinic_tui.sync.state`` and ``clinic_tui.sync.apply``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import NamedTuple, TypeVar

from clinic_tui import clock
from clinic_tui.config import Settings
from clinic_tui.i18n import _, current_language
from clinic_tui.sync import attachments, outbox, recovery, state
from clinic_tui.sync.answers import HubNumbers, PullPage
from clinic_tui.sync.client import HubClient, HubError, OldHub
from clinic_tui.sync.credentials import SyncConfigError, resolve
from clinic_tui.sync.local import Database, database_path, orm_engine
from clinic_tui.sync.lock import SyncBusy, sync_lock
from clinic_tui.sync.pusher import RESENDS, Pusher, back_off
from clinic_tui.sync.status import REACHED_HUB, SyncOutcome, SyncTrigger
from clinic_tui.sync.texts import attachment_text, kind_label, problem_message, receipt_text
from clinic_tui.sync.wire_rules import MAX_PULL_LIMIT

OUTCOMES = tuple(outcome for outcome in SyncOutcome if outcome != SyncOutcome.RUNNING)  # how a sync can end
# Exit codes of `clinic-tui sync` (docs/sync.md): a scheduled task can act on each.
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_OFFLINE, EXIT_AUTH, EXIT_REJECTED, EXIT_BUSY = 0, 1, 2, 3, 4, 5, 6
EXIT_DNS, EXIT_TLS, EXIT_FORBIDDEN, EXIT_INCOMPATIBLE, EXIT_MISMATCH = 7, 8, 9, 10, 11
_OUTCOME_EXIT: dict[str, int] = {
    SyncOutcome.OK: EXIT_OK,
    SyncOutcome.OFFLINE: EXIT_OFFLINE,
    SyncOutcome.AUTH: EXIT_AUTH,
    SyncOutcome.REJECTED: EXIT_REJECTED,
    SyncOutcome.CONFIG: EXIT_CONFIG,
    SyncOutcome.ERROR: EXIT_ERROR,
    SyncOutcome.BUSY: EXIT_BUSY,
}
_PROBLEM_EXIT = {
    "dns": EXIT_DNS,
    "tls": EXIT_TLS,
    "forbidden": EXIT_FORBIDDEN,
    "too_old": EXIT_INCOMPATIBLE,
    "protocol": EXIT_INCOMPATIBLE,
    "mismatch": EXIT_MISMATCH,
}
T = TypeVar("T")


def outcome_of(error: HubError) -> SyncOutcome:
    if error.offline:
        return SyncOutcome.OFFLINE
    return SyncOutcome.AUTH if error.problem in ("auth", "forbidden") else SyncOutcome.ERROR


def exit_code_of(outcome: str, problem: str | None) -> int:
    if outcome in (SyncOutcome.OFFLINE, SyncOutcome.AUTH, SyncOutcome.ERROR) and problem in _PROBLEM_EXIT:
        return _PROBLEM_EXIT[problem]
    return _OUTCOME_EXIT.get(outcome, EXIT_ERROR)


@dataclass(frozen=True)
class SyncProgress:
    phase: str  # push | pull | reconcile | attachments (done/total: chunks of the waiting files)
    done: int
    total: int | None  # None: not known yet (pull)


@dataclass
class Receipt:
    confirmed: dict[str, int]  # per kind, what the hub holds from this clinic
    today: dict[str, int]  # per kind, today's records the hub has confirmed
    rejected: int
    first_reason: str | None
    mismatched: list[str]
    epoch: str

    def text(self) -> str:
        return receipt_text(self.today, self.confirmed, self.rejected, self.first_reason, self.mismatched)


@dataclass
class SyncReport:
    outcome: SyncOutcome = SyncOutcome.OK
    pushed: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    pulled: int = 0
    resent: int = 0
    behind: int = 0  # "duplicate" answers naming a newer revision: the database was restored
    taken_back: int = 0  # records written back from the hub's copy (sync/recovery.py)
    lifted: int = 0  # edits made after a restore, given revisions above the hub's
    receipt: Receipt | None = None
    message: str = ""
    problem: str | None = None
    cancelled: bool = False
    epoch_changed: bool = False
    conflicts: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None
    uploads: attachments.UploadCounts | None = None  # the files of remote requests (sync/attachments.py)

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.outcome, self.problem)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    problem: str | None  # a client problem code, or "config"
    message: str
    api_version: str | None = None
    epoch: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        if self.ok:
            return EXIT_OK
        if self.problem == "config":
            return EXIT_CONFIG
        return exit_code_of(outcome_of(HubError(self.problem or "http")), self.problem)


class _Cancelled(Exception):
    pass


class _Guess(NamedTuple):
    """This clinic's numbers as they will be once the hub confirms all it was sent (``_Run.guess_numbers``)."""

    builds: int  # the push's batches built when it was worked out
    day: date
    numbers: dict[str, tuple[int, str]]
    today: dict[str, int]


def _again_if_damaged(request: Callable[[], T]) -> T:
    """A read (pull page, reconcile) whose answer arrived damaged is simply asked again."""
    for attempt in range(RESENDS):
        try:
            return request()
        except HubError as exc:
            if exc.problem != "damaged" or attempt == RESENDS - 1:
                raise
            back_off(attempt)
    raise AssertionError("unreachable")


def client_for(settings: Settings, hub_url: str, token: str) -> HubClient:
    """The HTTP client of a sync with these settings (CA bundle, proxy, the doctor's language)."""
    return HubClient(hub_url, token, ca_bundle=settings.ca_bundle, proxy=settings.proxy, language=current_language())


class _Run:
    """The steps of one sync, sharing the client, the counts and the callbacks."""

    def __init__(
        self,
        engine: Database,
        client: HubClient,
        settings: Settings,
        report: SyncReport,
        progress: Callable[[SyncProgress], None] | None,
        cancel: threading.Event | None,
    ):
        self.engine, self.client, self.report = engine, client, report
        self.pull_limit = max(1, min(settings.batch_size, MAX_PULL_LIMIT))
        self._progress, self._cancel = progress, cancel
        self.pusher = Pusher(
            engine,
            client,
            report,
            settings.batch_size,
            lambda done, total: self.tell("push", done, total),
            self.check_cancel,
        )
        self.recovered = False
        self.waiting = 0  # records the take-back left for after the pull (recovery.WAITING_KINDS)
        self.hub_numbers: HubNumbers | None = None
        # Protocol revision 2: the pull's last page brings the reconcile numbers (an older hub
        # refuses the question once; then reconcile asks on its own). ``fresh``: numbers that no
        # push has made stale yet.
        self.numbers_with_pull = True
        self.requeued = False
        self.fresh: HubNumbers | None = None
        # This clinic's own numbers, worked out while the hub answers the pull (see pull_all), or
        # while it stores the push's last batch (guess_numbers), with the records confirmed today.
        self.fresh_local: dict[str, tuple[int, str]] | None = None
        self.fresh_today: dict[str, int] | None = None
        self.guess: _Guess | None = None
        self.pusher.while_last_in_flight = self.guess_numbers

    def tell(self, phase: str, done: int, total: int | None) -> None:
        if self._progress is not None:
            self._progress(SyncProgress(phase, done, total))

    def check_cancel(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise _Cancelled()

    def learn_epoch(self, epoch: str) -> bool:
        """Adopt the hub's epoch; True when it was new (everything owned is queued again)."""
        if state.adopt_epoch(self.engine, epoch):
            self.report.epoch_changed = True
            return True
        return False

    def push_all(self) -> int:
        self.fresh = self.fresh_local = self.fresh_today = None
        accepted = self.pusher.push_all()
        if self.pusher.epoch and self.learn_epoch(self.pusher.epoch):
            # Pushed without asking first (state.compare_first) to a hub restored meanwhile:
            # everything this clinic owns was queued again; send it now.
            accepted += self.pusher.push_all()
        return accepted

    # --- after a restore (sync/recovery.py) -------------------------------------------------------
    def take_back(self, kinds: list[str] | None = None) -> None:
        """Take back what the hub holds newer than this database, and lift the revisions of edits
        made since; then send those edits."""
        self.pusher.discard()  # a batch built before would send what is taken back here
        self.guess = None  # ... and numbers worked out before would count it
        fetch = lambda kind, after: _again_if_damaged(partial(self.client.own, kind, after, self.pull_limit))  # noqa: E731
        result = recovery.take_back(self.engine, fetch, kinds, self.check_cancel)
        self.report.taken_back += result.taken_back
        self.report.lifted += result.lifted
        self.waiting = result.waiting
        self.recovered = True
        self.push_all()

    def guess_numbers(self) -> None:
        """The push's last batch is on its way and nothing is left to build: work out this clinic's
        numbers as they will be once the hub confirms it (every record owned confirmed) while the
        hub stores it. They serve after the pull if that came true (``confirmed_guess``)."""
        today = clock.today()
        self.guess = _Guess(self.pusher.builds, today, *state.numbers_once_confirmed(self.engine, today))

    def confirmed_guess(self) -> _Guess | None:
        """The guess, if it came true: nothing left in the outbox and no batch built since. (Any
        change to a record queues it, and only the answer to a batch built after the change can
        take it out again.)"""
        guess, self.guess = self.guess, None
        if guess is None or guess.builds != self.pusher.builds or not outbox.is_empty(self.engine):
            return None
        return guess

    # --- pull -----------------------------------------------------------------------------------
    def pull_all(self) -> None:
        stored = state.pull_cursor(self.engine)
        cursor = stored.value if stored else None
        guess = self.confirmed_guess()
        if guess is not None or not self.numbers_with_pull:
            unchanged = self._pull_pages(cursor)
            local, today = (guess.numbers, guess.today) if guess is not None else (None, None)
        else:
            # Both sides hash every record the hub holds of this clinic (tens of milliseconds each
            # for 10,000): this side's numbers are worked out while the hub answers, and serve when
            # the pull changes nothing here (the usual end of day); otherwise they are worked out again.
            with ThreadPoolExecutor(1, thread_name_prefix="sync-numbers") as worker:
                numbers = worker.submit(state.local_reconcile, self.engine)
                unchanged = self._pull_pages(cursor)
                local, today = (numbers.result() if unchanged else None), None
        if unchanged and self.fresh:
            self.fresh_local = local
            self.fresh_today = today if guess is not None and guess.day == clock.today() else None

    def _pull_pages(self, cursor: str | None) -> bool:
        """Every page of the pull; True when nothing here changed (no change applied, same epoch)."""
        received = 0
        while True:
            self.check_cancel()
            page = self._pull_page(cursor)
            if received == 0 and self.learn_epoch(page.epoch):
                self.requeued = True  # a restored hub: what this clinic owns goes again after the pull
            if page.changes:  # the hub's records, written through the ORM as the app writes them
                from clinic_tui.sync.apply import apply_pull_page

                result = apply_pull_page(orm_engine(self.engine), page.changes, page.next_cursor, page.epoch)
                self.report.pulled += result.applied
            else:  # nothing new: only the cursor moves
                state.store_pull_cursor(self.engine, page.next_cursor, page.epoch)
            received += len(page.changes)
            cursor = page.next_cursor
            self.tell("pull", received, None if page.has_more else received)
            if not page.has_more:
                self.fresh = page.reconcile
                return received == 0 and not self.requeued

    def _pull_page(self, cursor: str | None) -> PullPage:
        if self.numbers_with_pull:
            try:
                return _again_if_damaged(partial(self.client.pull, cursor, self.pull_limit, with_reconcile=True))
            except OldHub:
                self.numbers_with_pull = False  # a hub before protocol revision 2
        return _again_if_damaged(partial(self.client.pull, cursor, self.pull_limit))

    # --- reconcile ------------------------------------------------------------------------------
    def mismatched_kinds(self) -> tuple[list[str], dict[str, int], str]:
        fresh, self.fresh = self.fresh, None
        local_ready, self.fresh_local = self.fresh_local, None
        if fresh is not None:  # brought by the pull, after the last push: nothing to ask
            hub, local = fresh, local_ready if local_ready is not None else state.local_reconcile(self.engine)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="sync-reconcile") as asker:
                hub_numbers = asker.submit(_again_if_damaged, self.client.reconcile)
                local = state.local_reconcile(self.engine)  # while the hub works out its own
                hub = hub_numbers.result()
        self.hub_numbers = hub
        empty = (0, "0" * 32)
        kinds = sorted(set(local) | set(hub.kinds))
        mismatched = [
            kind
            for kind in kinds
            if local.get(kind, empty) != ((hub.kinds[kind].count, hub.kinds[kind].hash) if kind in hub.kinds else empty)
        ]
        return mismatched, {kind: summary.count for kind, summary in hub.kinds.items()}, hub.epoch

    def reconcile(self) -> Receipt:
        self.tell("reconcile", 0, 2)
        today, self.fresh_today = self.fresh_today, None  # serves unless records go again below
        mismatched, confirmed, epoch = self.mismatched_kinds()
        if mismatched and not self.recovered:
            # A backup copied over the file by hand shows here first: the hub holds revisions or
            # records this database lacks. Take those back before sending anything again.
            self.take_back(mismatched)
            today = None
            mismatched, confirmed, epoch = self.mismatched_kinds()
        if mismatched:
            # The hub lacks (or has other revisions of) some records: send those kinds again, once;
            # the hub answers "duplicate" for what it already holds.
            state.requeue_kinds(self.engine, mismatched)
            self.report.resent += self.push_all()
            today = None
            mismatched, confirmed, epoch = self.mismatched_kinds()
        self.tell("reconcile", 2, 2)
        if not mismatched:  # what the hub holds now: the next sync compares before it sends
            assert self.hub_numbers is not None  # read by mismatched_kinds
            recovery.store_hub_numbers(
                self.engine, self.hub_numbers.epoch, self.hub_numbers.kinds, self.client.protocol_revision
            )
        rejected, first_reason = state.rejected_summary(self.engine)
        return Receipt(
            confirmed=confirmed,
            today=today if today is not None else state.confirmed_today(self.engine, clock.today()),
            rejected=rejected,
            first_reason=first_reason,
            mismatched=mismatched,
            epoch=epoch,
        )


def run_sync(
    engine: Database,
    settings: Settings,
    *,
    trigger: SyncTrigger = SyncTrigger.CLI,
    progress: Callable[[SyncProgress], None] | None = None,
    cancel: threading.Event | None = None,
    token: str | None = None,
) -> SyncReport:
    """Push, pull and reconcile once; the report says how it went (see ``SyncReport.outcome``)."""
    report = SyncReport()
    try:
        connection = resolve(settings, token)
    except SyncConfigError as exc:
        report.outcome, report.problem, report.message = SyncOutcome.CONFIG, "config", str(exc)
        return report
    report.warnings = list(connection.warnings)
    try:
        with sync_lock(database_path(engine)):
            # Holding the lock: a run still marked running was stopped mid-way, not in progress.
            state.close_interrupted_runs(engine, _("Interrupted: the program was stopped before this sync finished."))
            report.run_id = state.start_run(engine, trigger)
            with client_for(settings, connection.hub_url, connection.token) as client:
                _sync(engine, client, settings, report, progress, cancel)
    except SyncBusy:
        report.outcome = SyncOutcome.BUSY
        report.message = _("Another sync of this database is running; try again later.")
        return report
    except HubError as exc:
        report.outcome, report.problem = outcome_of(exc), exc.problem
        report.message = problem_message(exc.problem, connection.hub_url, exc.detail)
    except _Cancelled:
        report.outcome, report.cancelled = SyncOutcome.ERROR, True
        report.message = _("Sync stopped before it finished; what was confirmed stays confirmed.")
    except Exception as exc:  # noqa: BLE001 - kept in the receipt and reported, never swallowed
        report.outcome, report.problem = SyncOutcome.ERROR, type(exc).__name__
        report.message = _("Sync failed: {detail}").format(detail=f"{type(exc).__name__}: {exc}")
    if report.run_id is not None:
        _store_receipt(engine, report, report.run_id)
    return report


def _sync(
    engine: Database,
    client: HubClient,
    settings: Settings,
    report: SyncReport,
    progress: Callable[[SyncProgress], None] | None,
    cancel: threading.Event | None,
) -> None:
    # Exchanges (docs/sync.md): an ordinary day is the push and one pull that brings the reconcile
    # numbers too; the hub's numbers are asked before the push only when an edit could be shadowed
    # and the hub, at the last clean sync, could not tell (before protocol revision 4).
    run = _Run(engine, client, settings, report, progress, cancel)
    if recovery.marked_restored(engine):  # db restore: take back before any edit is sent
        run.learn_epoch(_again_if_damaged(client.reconcile).epoch)
        run.take_back()
    elif (stored := recovery.stored_hub_numbers(engine)) is None or state.compare_first(engine, stored):
        # (No numbers stored: this database never finished a clean sync with this hub.)
        # The hub knows what this clinic sent; its own counters may be older (a backup copied over
        # the file by hand). Compare before sending, so that no edit is answered "duplicate".
        # The first batch is built meanwhile: this side would only wait.
        with ThreadPoolExecutor(1, thread_name_prefix="sync-reconcile") as asker:
            answer = asker.submit(_again_if_damaged, client.reconcile)
            run.pusher.prepare()
            hub = answer.result()
        run.learn_epoch(hub.epoch)
        if changed := recovery.kinds_changed_on_the_hub(stored, hub.epoch, hub.kinds):
            run.take_back(changed)
    run.push_all()
    if report.behind and not run.recovered:  # restored by hand: the hub is ahead of this database
        # (a "duplicate" naming a newer revision, or revision_taken: the same revision, another version)
        run.take_back()
    run.pull_all()
    if run.requeued:  # the pull named a new epoch: the hub was restored
        run.push_all()
    if run.waiting:  # own events on the hospital's referrals, which the pull has just brought
        run.take_back(list(recovery.WAITING_KINDS))
        if not run.waiting:
            recovery.clear_restored_mark(engine)
    report.receipt = run.reconcile()
    # The files last: the requests naming them are on the hub already (docs/sync.md, "Attachments").
    report.uploads = attachments.upload_all(
        engine, client, lambda done, total: run.tell("attachments", done, total), run.check_cancel
    )
    receipt = report.receipt
    report.outcome = SyncOutcome.REJECTED if receipt.rejected else SyncOutcome.OK
    report.message = receipt.text() + attachment_text(report.uploads)
    if receipt.mismatched and not receipt.rejected:
        # Resending did not make the hub's copy match: never "ok" (docs/sync.md, exit code 11).
        report.outcome, report.problem = SyncOutcome.ERROR, "mismatch"
        report.message = (
            _(
                "The hub's copy still differs after resending ({kinds}): the sync is not complete. "
                "Run the sync again; if this stays, send the sync log to the hospital."
            ).format(kinds=_(", ").join(kind_label(kind) for kind in receipt.mismatched))
            + "\n"
            + receipt.text()
        )


def _store_receipt(engine: Database, report: SyncReport, run_id: int) -> None:
    receipt = report.receipt
    state.finish_run(
        engine,
        run_id,
        outcome=report.outcome,
        pushed=report.pushed,
        accepted=report.accepted,
        duplicate=report.duplicate,
        rejected=report.rejected,
        conflict=report.conflict,
        pulled=report.pulled,
        resent=report.resent,
        confirmed_counts=receipt.confirmed if receipt else {},
        today_counts=receipt.today if receipt else {},
        conflicts=report.conflicts,
        epoch=receipt.epoch if receipt else None,
        error_message=None if report.outcome in REACHED_HUB else report.message,
    )


def check_connection(settings: Settings, *, token: str | None = None) -> ConnectionCheck:
    """Test address, connection, TLS, the hub's API version and the token, saying what is wrong."""
    try:
        connection = resolve(settings, token)
    except SyncConfigError as exc:
        return ConnectionCheck(False, "config", str(exc))
    with client_for(settings, connection.hub_url, connection.token) as client:
        try:
            health = client.health()
            client.pull(None, 1)  # the cheapest call that needs a clinic token
        except HubError as exc:
            return ConnectionCheck(
                False,
                exc.problem,
                problem_message(exc.problem, connection.hub_url, exc.detail),
                warnings=tuple(connection.warnings),
            )
    return ConnectionCheck(
        True,
        None,
        _("Connected to the hub at {url}: API version {version}, the clinic token is accepted.").format(
            url=connection.hub_url, version=health.api_version
        ),
        api_version=health.api_version,
        epoch=health.epoch,
        warnings=tuple(connection.warnings),
    )
