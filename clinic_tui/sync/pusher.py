"""The push of one sync: every pending outbox row to the hub, in batches, with the client's work
overlapping the hub's (docs/sync.md, "Push").

Sync invariants 2 and 7 (docs/architecture-sync.md): a row leaves the outbox only when the hub confirmed that exact
revision (``sync.outbox``), and batches halve on a 413 or a timeout for the rest of the sync.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple, Protocol

from clinic_tui.sync import outbox
from clinic_tui.sync.answers import PushAnswer
from clinic_tui.sync.client import RESENDABLE_PROBLEMS, BatchTooLarge, HubClient, HubError, encode_batch
from clinic_tui.sync.local import Database
from clinic_tui.sync.outbox import OutboxItem
from clinic_tui.sync.wire_rules import MAX_PUSH_RECORDS

READ_AHEAD = 2000  # outbox keys read at once (in send order)
PUSH_SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005
log = logging.getLogger("clinic_tui.sync")
RESENDS = 3  # the same batch (same id) after a cut connection or a damaged answer, with backoff and jitter


def back_off(attempt: int) -> None:
    time.sleep(min(8.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5))


class Answer(NamedTuple):
    """The hub's answer to a batch, checked: ``confirmed`` the records a compact answer confirmed
    without listing them (empty for a per-record answer)."""

    response: PushAnswer
    confirmed: list[OutboxItem]


_Batch = tuple[list[OutboxItem], bytes]  # the rows sent and the encoded body


class _Start(NamedTuple):
    """What ``Pusher.prepare`` read ahead: the walk's bookkeeping and its first batch."""

    attempted: set[OutboxItem]
    first: _Batch | None
    after: outbox.PendingKey | None


class PushCounts(Protocol):
    """Where the answers are counted (the sync's report)."""

    pushed: int
    accepted: int
    duplicate: int
    rejected: int
    conflict: int
    behind: int
    conflicts: dict[str, str]


class Pusher:
    """Pushes the outbox; one per sync, so a batch size halved by the push stays halved for the
    resend after reconcile."""

    def __init__(
        self,
        engine: Database,
        client: HubClient,
        report: PushCounts,
        batch_size: int,
        tell: Callable[[int, int], None],
        check_cancel: Callable[[], None],
    ):
        self.engine, self.client, self.report = engine, client, report
        self.batch_size = max(1, min(batch_size, MAX_PUSH_RECORDS))
        self._tell, self._check_cancel = tell, check_cancel
        self.done = 0
        self.total = 0
        self._keys: deque[OutboxItem] = deque()  # read ahead from the outbox, not yet sent
        self._sender: ThreadPoolExecutor | None = None
        self._failure: HubError | None = None  # the exchange that ended this push
        self.epoch: str | None = None  # the hub's epoch, as its last answer named it
        # Ask for the compact answer (protocol revision 3; a hub before it ignores the question).
        # Off for the rest of the sync after an answer that did not check out.
        self.compact = True
        self._prepared: _Start | None = None  # the first batch, built early (prepare)
        self.builds = 0  # batches built so far in this sync
        # Called when a walk's last batch is on its way and nothing is left to build: this side
        # would only wait for the hub's answer (engine: the numbers after the push, worked out early).
        self.while_last_in_flight: Callable[[], None] | None = None

    def prepare(self) -> None:
        """Read, build and encode the first batch now, while the hub answers a question asked
        before the push (engine: the reconcile before a first or careful sync); the next
        ``push_all`` sends it first. ``discard`` it if records change before then."""
        attempted: set[OutboxItem] = set()
        first, after = self._next_batch(attempted, None)
        self._prepared = _Start(attempted, first, after)

    def discard(self) -> None:
        """Forget a prepared batch (records were taken back from the hub since it was built)."""
        self._prepared = None
        self._keys.clear()

    def push_all(self) -> int:
        """Push every pending row once (rows edited meanwhile go again at their new revision).
        Returns how many the hub accepted as new."""
        accepted_before = self.report.accepted
        self._failure = None
        attempted, first, after = self._prepared or _Start(set(), None, None)
        self._prepared = None
        self.done, self.total = 0, outbox.pending_count(self.engine)  # the prepared batch's rows too
        # Every exchange with the hub runs on this one thread, one request at a time, in order.
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="sync-push")
        # The sender must take the hub's reply (and send the next batch) at once, not after this
        # thread's 5 ms slice of building: the hub waits meanwhile (5-8% of a push, measured).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, PUSH_SWITCH_INTERVAL))
        try:
            while True:
                after = self._walk(attempted, after, first)
                first = None
                if not self._sweep(attempted):
                    break
        finally:
            # Stopped (cancel, offline): a batch already on its way finishes, the next is not sent.
            self._sender.shutdown(wait=True, cancel_futures=True)
            sys.setswitchinterval(switch_interval)
        self._tell(self.done, self.total)
        return self.report.accepted - accepted_before

    def _walk(
        self, attempted: set[OutboxItem], after: outbox.PendingKey | None, first: _Batch | None = None
    ) -> outbox.PendingKey | None:
        """The pending rows in send order, a batch at a time, with the client's work overlapping
        the hub's: while the hub stores one batch, the next is read, built and encoded here and
        queued to go as soon as the hub answers; the answers to a batch are applied (in order, each
        batch in one transaction) while the hub stores the next. ``first``: built by ``prepare``."""
        in_flight: tuple[list[OutboxItem], Future[Answer | HubError]] | None = None
        upcoming, after = (first, after) if first is not None else self._next_batch(attempted, after)
        while upcoming is not None or in_flight is not None:
            self._check_cancel()
            queued: tuple[list[OutboxItem], Future[Answer | HubError]] | None = None
            if upcoming is not None:
                sent, body = upcoming
                if len(sent) > self.batch_size:  # built before a 413 or a timeout halved the batches
                    self._halve(sent, attempted)
                else:
                    self._tell(self.done, self.total)  # chosen; the hub has not answered yet
                    queued = (sent, self._submit(sent, body))
            if in_flight is not None:
                sent, answer = in_flight
                if upcoming is None and self.while_last_in_flight is not None:
                    self.while_last_in_flight()
                self._deliver(sent, answer.result(), attempted)
            in_flight = queued
            upcoming, after = self._next_batch(attempted, after)
        return after

    def _next_batch(
        self, attempted: set[OutboxItem], after: outbox.PendingKey | None
    ) -> tuple[_Batch | None, outbox.PendingKey | None]:
        """The next batch not yet attempted in this sync, built and encoded: ((sent, body) or None,
        key). Outbox keys are read READ_AHEAD at a time, the first time one batch's (the first batch
        goes 2-3 ms sooner for 10,000 waiting); the rows themselves are read as each batch is built,
        so an edit made meanwhile is sent as it is."""
        while True:
            if not self._keys:
                limit = self.batch_size if after is None else max(READ_AHEAD, self.batch_size)
                rows, after = outbox.next_pending(self.engine, limit, after)
                self._keys.extend(rows)
                if not rows:
                    return None, after
            batch: list[OutboxItem] = []
            while self._keys and len(batch) < self.batch_size:
                item = self._keys.popleft()
                if item not in attempted:
                    batch.append(item)
            attempted.update(batch)
            if not batch:
                continue
            self.total = max(self.total, self.done + len(batch))
            sent, payloads = outbox.build_batch(self.engine, batch)
            self.builds += 1
            attempted.update(sent)
            if sent:
                return (sent, encode_batch(payloads)), after

    def _sweep(self, attempted: set[OutboxItem]) -> bool:
        """Rows the keyset walk cannot meet (queued behind it, e.g. the clock was set back): push
        them too. False when there are none, the usual case."""
        left = [item for item in outbox.pending_items(self.engine) if item not in attempted]
        for start in range(0, len(left), self.batch_size):
            self._check_cancel()
            self._push(left[start : start + self.batch_size], attempted)
        return bool(left)

    def _push(self, items: list[OutboxItem], attempted: set[OutboxItem]) -> None:
        """One batch, start to end, without overlap (a sweep, or halves of a batch)."""
        attempted.update(items)
        sent, payloads = outbox.build_batch(self.engine, items)
        self.builds += 1
        attempted.update(sent)
        if not sent:
            return
        self._tell(self.done, self.total)
        answer = self._submit(sent, encode_batch(payloads)).result()
        self._deliver(sent, answer, attempted)

    def _submit(self, sent: list[OutboxItem], body: bytes) -> Future[Answer | HubError]:
        assert self._sender is not None, "only while push_all runs"
        return self._sender.submit(self._exchange, sent, body)

    def _exchange(self, sent: list[OutboxItem], body: bytes) -> Answer | HubError:
        """Send one batch until it is answered (on the sender thread) and check what a compact
        answer confirms. Returns the 413 or the timeout that calls for smaller batches instead of
        raising it."""
        answer = self._send(sent, body)
        if isinstance(answer, HubError):
            return answer
        confirmed = outbox.confirmed_items(sent, answer)
        if confirmed is None:
            # The count or the hash is not what this batch makes: take nothing as confirmed on
            # its word. The same body again, asking per record: the hub replays the stored
            # answers of this batch id, one by one (docs/protocol.md, "Compact answers").
            log.warning("compact push answer did not check out; asking per record", extra={"batch": answer.batch_id})
            self.compact = False
            answer = self._send(sent, body)
            if isinstance(answer, HubError):
                return answer
            confirmed = outbox.confirmed_items(sent, answer)
            if confirmed is None:  # asked per record, answered compact: not a hub to trust
                self._failure = HubError("damaged", "push answer: confirmed records do not match the batch")
                raise self._failure
        return Answer(answer, confirmed)

    def _send(self, sent: list[OutboxItem], body: bytes) -> PushAnswer | HubError:
        if self._failure is not None:
            # The batch before this one failed (offline, token refused): the sync stops there, and
            # this one, already queued, is not sent: its own resends would make the doctor wait.
            raise self._failure
        for attempt in range(RESENDS):
            try:
                answer = self.client.push(body, compact=self.compact)
                if answer.batch_id != getattr(body, "batch_id", answer.batch_id):
                    # Garbled on the way (a short answer travels uncompressed), or not ours.
                    raise HubError("damaged", "push answer: another batch id")
                return answer
            except BatchTooLarge as exc:
                return exc
            except HubError as exc:
                if exc.problem == "timeout" and len(sent) > 1:
                    return exc
                if exc.problem not in RESENDABLE_PROBLEMS or attempt == RESENDS - 1:
                    self._failure = exc
                    raise
                # Cut off or damaged mid-answer: the hub may have stored it. The same body (same
                # batch id) makes the resend idempotent: the hub replays its stored answers.
                back_off(attempt)
        raise AssertionError("unreachable")

    def _deliver(self, sent: list[OutboxItem], answer: Answer | HubError, attempted: set[OutboxItem]) -> None:
        """Apply the hub's answers to a batch, or shrink the batches on a 413 or a timeout."""
        if isinstance(answer, HubError):
            if len(sent) == 1:  # a 413 for one record: it needs the doctor's attention
                outbox.mark_too_large(self.engine, sent[0], answer.detail or "413")
                self.report.rejected += 1
            else:
                self._halve(sent, attempted)
            return
        response = answer.response
        self.epoch = response.epoch
        plain = (response.confirmed.accepted, response.confirmed.duplicate) if response.confirmed else (0, 0)
        counts, conflicts = outbox.apply_push_answers(self.engine, sent, response.results, answer.confirmed, plain)
        report = self.report
        report.pushed += len(sent)
        report.accepted += counts.accepted
        report.duplicate += counts.duplicate
        report.behind += counts.behind
        report.rejected += counts.rejected
        report.conflict += counts.conflict
        report.conflicts.update(conflicts)
        self.done += len(sent)

    def _halve(self, sent: list[OutboxItem], attempted: set[OutboxItem]) -> None:
        """A 413 or a timeout: the rest of this sync uses batches half as big."""
        self.batch_size = max(1, len(sent) // 2)
        for start in range(0, len(sent), self.batch_size):
            self._check_cancel()
            self._push(sent[start : start + self.batch_size], attempted)
