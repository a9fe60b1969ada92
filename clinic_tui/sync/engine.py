"""One sync with the hub: push the outbox, pull the hub's changes, reconcile, keep a receipt.

``run_sync`` is what the CLI (end-of-day batch) and the app's background worker call; it never
raises for a network or hub problem: the outcome and a translated message are in the report, and
the receipt is stored in ``sync_run``. ``check_connection`` tests the settings step by step.
Invariants are those of DESIGN.md "Sync invariants"; the local bookkeeping is in
``clinic_tui.data.sync_state`` and ``sync_apply``.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, TypeVar

from sqlalchemy import Engine

from clinic_tui import clock
from clinic_tui.config import Settings
from clinic_tui.data import outbox_push, sync_state
from clinic_tui.data.outbox_push import OutboxItem
from clinic_tui.data.sync_apply import apply_pull_page
from clinic_tui.i18n import _, current_language
from clinic_tui.sync.client import RESENDABLE_PROBLEMS, BatchTooLarge, HubClient, HubError, encode_batch
from clinic_tui.sync.credentials import SyncConfigError, resolve
from clinic_tui.sync.lock import SyncBusy, sync_lock
from clinic_tui.sync.messages import problem_message, receipt_text
from clinic_tui.sync.wire import MAX_PULL_LIMIT, MAX_PUSH_RECORDS, PushResponse

OUTCOMES = ("ok", "offline", "auth", "rejected", "config", "error", "busy")
# Exit codes of `clinic-tui sync` (docs/sync.md): a scheduled task can act on each.
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_OFFLINE, EXIT_AUTH, EXIT_REJECTED, EXIT_BUSY = 0, 1, 2, 3, 4, 5, 6
EXIT_DNS, EXIT_TLS, EXIT_FORBIDDEN, EXIT_INCOMPATIBLE = 7, 8, 9, 10
_OUTCOME_EXIT = {"ok": EXIT_OK, "offline": EXIT_OFFLINE, "auth": EXIT_AUTH, "rejected": EXIT_REJECTED,
                 "config": EXIT_CONFIG, "error": EXIT_ERROR, "busy": EXIT_BUSY}
_PROBLEM_EXIT = {"dns": EXIT_DNS, "tls": EXIT_TLS, "forbidden": EXIT_FORBIDDEN, "too_old": EXIT_INCOMPATIBLE,
                 "protocol": EXIT_INCOMPATIBLE}
T = TypeVar("T")
READ_AHEAD = 2000  # outbox keys read at once by a push (in send order)
PUSH_SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005
RESENDS = 3  # the same batch (same id) after a cut connection or a damaged answer, with backoff and jitter


def _outcome_of(error: HubError) -> str:
    if error.offline:
        return "offline"
    return "auth" if error.problem in ("auth", "forbidden") else "error"


def _exit_code(outcome: str, problem: str | None) -> int:
    if outcome in ("offline", "auth", "error") and problem in _PROBLEM_EXIT:
        return _PROBLEM_EXIT[problem]
    return _OUTCOME_EXIT.get(outcome, EXIT_ERROR)


@dataclass(frozen=True)
class SyncProgress:
    phase: str  # push | pull | reconcile
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
    outcome: str = "ok"
    pushed: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    pulled: int = 0
    resent: int = 0
    receipt: Receipt | None = None
    message: str = ""
    problem: str | None = None
    cancelled: bool = False
    epoch_changed: bool = False
    conflicts: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def exit_code(self) -> int:
        return _exit_code(self.outcome, self.problem)


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
        return _exit_code(_outcome_of(HubError(self.problem or "http")), self.problem)


class _Cancelled(Exception):
    pass


def _back_off(attempt: int) -> None:
    time.sleep(min(8.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5))


def _again_if_damaged(request: Callable[[], T]) -> T:
    """A read (pull page, reconcile) whose answer arrived damaged is simply asked again."""
    for attempt in range(RESENDS):
        try:
            return request()
        except HubError as exc:
            if exc.problem != "damaged" or attempt == RESENDS - 1:
                raise
            _back_off(attempt)
    raise AssertionError("unreachable")


def _client(settings: Settings, hub_url: str, token: str) -> HubClient:
    return HubClient(hub_url, token, ca_bundle=settings.ca_bundle, proxy=settings.proxy, language=current_language())


class _Run:
    """The steps of one sync, sharing the client, the counts and the callbacks."""

    def __init__(self, engine: Engine, client: HubClient, settings: Settings, report: SyncReport,
                 progress: Callable[[SyncProgress], None] | None, cancel: threading.Event | None):
        self.engine, self.client, self.report = engine, client, report
        self.batch_size = max(1, min(settings.batch_size, MAX_PUSH_RECORDS))
        self.pull_limit = max(1, min(settings.batch_size, MAX_PULL_LIMIT))
        self._progress, self._cancel = progress, cancel
        self.done = 0
        self.total = 0
        self._keys: deque[OutboxItem] = deque()  # read ahead from the outbox, not yet sent
        self._sender: ThreadPoolExecutor | None = None

    def tell(self, phase: str, done: int, total: int | None) -> None:
        if self._progress is not None:
            self._progress(SyncProgress(phase, done, total))

    def check_cancel(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise _Cancelled()

    # --- push -----------------------------------------------------------------------------------
    def push_all(self) -> int:
        """Push every pending row once (rows edited meanwhile go again at their new revision).
        Returns how many the hub accepted as new."""
        attempted: set[OutboxItem] = set()
        accepted_before = self.report.accepted
        self.done, self.total = 0, outbox_push.pending_count(self.engine)
        after = None
        # Every exchange with the hub runs on this one thread, one request at a time, in order.
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="sync-push")
        # The sender must take the hub's reply (and send the next batch) at once, not after this
        # thread's 5 ms slice of building: the hub waits meanwhile (10-15% of a push, measured).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, PUSH_SWITCH_INTERVAL))
        try:
            while True:
                after = self._walk(attempted, after)
                if not self._sweep(attempted):
                    break
        finally:
            # Stopped (cancel, offline): a batch already on its way finishes, the next is not sent.
            self._sender.shutdown(wait=True, cancel_futures=True)
            sys.setswitchinterval(switch_interval)
        self.tell("push", self.done, self.total)
        return self.report.accepted - accepted_before

    def _walk(self, attempted: set, after: outbox_push.PendingKey | None):
        """The pending rows in send order, a batch at a time, with the client's work overlapping
        the hub's: while the hub stores one batch, the next is read, built and encoded here and
        queued to go as soon as the hub answers; the answers to a batch are applied (in order, each
        batch in one transaction) while the hub stores the next."""
        in_flight = None
        upcoming, after = self._next_batch(attempted, after)
        while upcoming is not None or in_flight is not None:
            self.check_cancel()
            queued = None
            if upcoming is not None:
                sent, body = upcoming
                if len(sent) > self.batch_size:  # built before a 413 or a timeout halved the batches
                    self._halve(sent, attempted)
                else:
                    self.tell("push", self.done, self.total)  # chosen; the hub has not answered yet
                    queued = (sent, self._sender.submit(self._exchange, sent, body))
            if in_flight is not None:
                sent, answer = in_flight
                self._deliver(sent, answer.result(), attempted)
            in_flight = queued
            upcoming, after = self._next_batch(attempted, after)
        return after

    def _next_batch(self, attempted: set, after: outbox_push.PendingKey | None):
        """The next batch not yet attempted in this sync, built and encoded: ((sent, body) or None,
        key). Outbox keys are read READ_AHEAD at a time (each read sorts the pending rows); the rows
        themselves are read as each batch is built, so an edit made meanwhile is sent as it is."""
        while True:
            if not self._keys:
                rows, after = outbox_push.next_pending(self.engine, max(READ_AHEAD, self.batch_size), after)
                self._keys.extend(rows)
                if not rows:
                    return None, after
            batch = []
            while self._keys and len(batch) < self.batch_size:
                item = self._keys.popleft()
                if item not in attempted:
                    batch.append(item)
            attempted.update(batch)
            if not batch:
                continue
            self.total = max(self.total, self.done + len(batch))
            sent, payloads = outbox_push.build_batch(self.engine, batch)
            attempted.update(sent)
            if sent:
                return (sent, encode_batch(payloads)), after

    def _sweep(self, attempted: set) -> bool:
        """Rows the keyset walk cannot meet (queued behind it, e.g. the clock was set back): push
        them too. False when there are none, the usual case."""
        left = [item for item in outbox_push.pending_items(self.engine) if item not in attempted]
        for start in range(0, len(left), self.batch_size):
            self.check_cancel()
            self._push(left[start:start + self.batch_size], attempted)
        return bool(left)

    def _push(self, items: list[OutboxItem], attempted: set) -> None:
        """One batch, start to end, without overlap (a sweep, or halves of a batch)."""
        attempted.update(items)
        sent, payloads = outbox_push.build_batch(self.engine, items)
        attempted.update(sent)
        if not sent:
            return
        self.tell("push", self.done, self.total)
        answer = self._sender.submit(self._exchange, sent, encode_batch(payloads)).result()
        self._deliver(sent, answer, attempted)

    def _exchange(self, sent: list[OutboxItem], body: bytes) -> PushResponse | HubError:
        """Send one batch until it is answered (on the sender thread). Returns the 413 or the
        timeout that calls for smaller batches instead of raising it."""
        for attempt in range(RESENDS):
            try:
                return self.client.push(body)
            except BatchTooLarge as exc:
                return exc
            except HubError as exc:
                if exc.problem == "timeout" and len(sent) > 1:
                    return exc
                if exc.problem not in RESENDABLE_PROBLEMS or attempt == RESENDS - 1:
                    raise
                # Cut off or damaged mid-answer: the hub may have stored it. The same body (same
                # batch id) makes the resend idempotent: the hub replays its stored answers.
                _back_off(attempt)
        raise AssertionError("unreachable")

    def _deliver(self, sent: list[OutboxItem], answer: PushResponse | HubError, attempted: set) -> None:
        """Apply the hub's answers to a batch, or shrink the batches on a 413 or a timeout."""
        if isinstance(answer, HubError):
            if len(sent) == 1:  # a 413 for one record: it needs the doctor's attention
                outbox_push.mark_too_large(self.engine, sent[0], answer.detail or "413")
                self.report.rejected += 1
            else:
                self._halve(sent, attempted)
            return
        counts, conflicts = outbox_push.apply_push_answers(self.engine, sent, answer.results)
        report = self.report
        report.pushed += len(sent)
        report.accepted += counts.accepted
        report.duplicate += counts.duplicate
        report.rejected += counts.rejected
        report.conflict += counts.conflict
        report.conflicts.update(conflicts)
        self.done += len(sent)

    def _halve(self, sent: list[OutboxItem], attempted: set) -> None:
        """A 413 or a timeout: the rest of this sync uses batches half as big."""
        self.batch_size = max(1, len(sent) // 2)
        for start in range(0, len(sent), self.batch_size):
            self.check_cancel()
            self._push(sent[start:start + self.batch_size], attempted)

    # --- pull -----------------------------------------------------------------------------------
    def pull_all(self) -> None:
        stored = sync_state.pull_cursor(self.engine)
        cursor = stored.value if stored else None
        received = 0
        while True:
            self.check_cancel()
            page = _again_if_damaged(partial(self.client.pull, cursor, self.pull_limit))
            result = apply_pull_page(self.engine, page.changes, page.next_cursor, page.epoch)
            self.report.pulled += result.applied
            received += len(page.changes)
            cursor = page.next_cursor
            self.tell("pull", received, None if page.has_more else received)
            if not page.has_more:
                return

    # --- reconcile ------------------------------------------------------------------------------
    def mismatched_kinds(self) -> tuple[list[str], dict[str, int], str]:
        with ThreadPoolExecutor(1, thread_name_prefix="sync-reconcile") as asker:
            hub_numbers = asker.submit(_again_if_damaged, self.client.reconcile)
            local = sync_state.local_reconcile(self.engine)  # while the hub works out its own
            hub = hub_numbers.result()
        empty = (0, "0" * 32)
        kinds = sorted(set(local) | set(hub.kinds))
        mismatched = [kind for kind in kinds
                      if local.get(kind, empty) != ((hub.kinds[kind].count, hub.kinds[kind].hash)
                                                    if kind in hub.kinds else empty)]
        return mismatched, {kind: summary.count for kind, summary in hub.kinds.items()}, hub.epoch

    def reconcile(self) -> Receipt:
        self.tell("reconcile", 0, 2)
        mismatched, confirmed, epoch = self.mismatched_kinds()
        if mismatched:
            # The hub lacks (or has other revisions of) some records: send those kinds again, once;
            # the hub answers "duplicate" for what it already holds.
            sync_state.requeue_kinds(self.engine, mismatched)
            self.report.resent += self.push_all()
            mismatched, confirmed, epoch = self.mismatched_kinds()
        self.tell("reconcile", 2, 2)
        rejected = sync_state.rejected_records(self.engine)
        return Receipt(confirmed=confirmed, today=sync_state.confirmed_today(self.engine, clock.today()),
                       rejected=len(rejected), first_reason=rejected[0].message if rejected else None,
                       mismatched=mismatched, epoch=epoch)


def _database_path(engine: Engine) -> str:
    return engine.url.database or ":memory:"


def run_sync(engine: Engine, settings: Settings, *, trigger: str = "cli",
             progress: Callable[[SyncProgress], None] | None = None, cancel: threading.Event | None = None,
             token: str | None = None) -> SyncReport:
    """Push, pull and reconcile once; the report says how it went (see ``SyncReport.outcome``)."""
    report = SyncReport()
    try:
        connection = resolve(settings, token)
    except SyncConfigError as exc:
        report.outcome, report.problem, report.message = "config", "config", str(exc)
        return report
    report.warnings = list(connection.warnings)
    try:
        with sync_lock(_database_path(engine)):
            # Holding the lock: a run still marked running was stopped mid-way, not in progress.
            sync_state.close_interrupted_runs(engine, _("Interrupted: the program was stopped before this sync "
                                                        "finished."))
            report.run_id = sync_state.start_run(engine, trigger)
            with _client(settings, connection.hub_url, connection.token) as client:
                _sync(engine, client, settings, report, progress, cancel)
    except SyncBusy:
        report.outcome, report.message = "busy", _("Another sync of this database is running; try again later.")
        return report
    except HubError as exc:
        report.outcome, report.problem = _outcome_of(exc), exc.problem
        report.message = problem_message(exc.problem, connection.hub_url, exc.detail)
    except _Cancelled:
        report.outcome, report.cancelled = "error", True
        report.message = _("Sync stopped before it finished; what was confirmed stays confirmed.")
    except Exception as exc:  # noqa: BLE001 - kept in the receipt and reported, never swallowed
        report.outcome, report.problem = "error", type(exc).__name__
        report.message = _("Sync failed: {detail}").format(detail=f"{type(exc).__name__}: {exc}")
    if report.run_id is not None:
        _store_receipt(engine, report)
    return report


def _sync(engine: Engine, client: HubClient, settings: Settings, report: SyncReport,
          progress: Callable[[SyncProgress], None] | None, cancel: threading.Event | None) -> None:
    health = client.health()
    report.epoch_changed = sync_state.adopt_epoch(engine, health.epoch or "")
    run = _Run(engine, client, settings, report, progress, cancel)
    run.push_all()
    run.pull_all()
    report.receipt = run.reconcile()
    receipt = report.receipt
    report.outcome = "rejected" if receipt.rejected else "ok"
    report.message = receipt.text()


def _store_receipt(engine: Engine, report: SyncReport) -> None:
    receipt = report.receipt
    sync_state.finish_run(
        engine, report.run_id, outcome=report.outcome, pushed=report.pushed, accepted=report.accepted,
        duplicate=report.duplicate, rejected=report.rejected, conflict=report.conflict, pulled=report.pulled,
        resent=report.resent, confirmed_counts=receipt.confirmed if receipt else {},
        today_counts=receipt.today if receipt else {}, conflicts=report.conflicts,
        epoch=receipt.epoch if receipt else None,
        error_message=None if report.outcome in ("ok", "rejected") else report.message)


def check_connection(settings: Settings, *, token: str | None = None) -> ConnectionCheck:
    """Test address, connection, TLS, the hub's API version and the token, saying what is wrong."""
    try:
        connection = resolve(settings, token)
    except SyncConfigError as exc:
        return ConnectionCheck(False, "config", str(exc))
    with _client(settings, connection.hub_url, connection.token) as client:
        try:
            health = client.health()
            client.pull(None, 1)  # the cheapest call that needs a clinic token
        except HubError as exc:
            return ConnectionCheck(False, exc.problem, problem_message(exc.problem, connection.hub_url, exc.detail),
                                   warnings=tuple(connection.warnings))
    return ConnectionCheck(True, None, _("Connected to the hub at {url}: API version {version}, the clinic token "
                                         "is accepted.").format(url=connection.hub_url, version=health.api_version),
                           api_version=health.api_version, epoch=health.epoch, warnings=tuple(connection.warnings))
