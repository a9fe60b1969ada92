"""When the app's background sync probes the hub or syncs next: pure logic, no threads, no network.

The worker (``clinic_tui.sync.worker``) asks ``delay()`` how long to sleep, then ``next_action()``
what to do when due, and reports back with ``probed()`` / ``sync_finished()``. Rules (sync
invariants 1 and 7, docs/architecture-sync.md):

- unknown or unreachable hub: probe first (cheap, writes no receipt); a sync follows at once
  when the probe answers;
- offline: exponential backoff with full jitter (a random delay between a floor and
  ``min(cap, base * 2**failures)``), so a village's PCs coming back at once do not hit the hub
  together; reset by the first success;
- online: a sync every ``online_interval`` (the hospital's answers come in by pull) and soon
  after a local change (``change_delay``, so a few quick edits go in one sync);
- a refused token or missing settings are retried slowly (the cap): someone has to fix them,
  and the header says so;
- "sync now" is due at once, whatever the state.

The clock and the random source are injectable so the tests are exact.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time

from clinic_tui.sync.status import REACHED_HUB, SyncOutcome, SyncState

# The states by their short names (the scheduler's tests and the worker use these).
UNKNOWN, ONLINE, OFFLINE, SYNCING, AUTH, CONFIG, PROBLEM = (
    SyncState.UNKNOWN,
    SyncState.ONLINE,
    SyncState.OFFLINE,
    SyncState.SYNCING,
    SyncState.AUTH,
    SyncState.CONFIG,
    SyncState.PROBLEM,
)
STATES = tuple(SyncState)

# check_connection problems and run_sync outcomes -> the state they put the worker in
_OFFLINE_PROBLEMS = ("dns", "refused", "timeout")
_AUTH_PROBLEMS = ("auth", "forbidden")


@dataclass(frozen=True)
class SchedulePolicy:
    first_delay: float = 3.0  # after sign-in: let the first screens settle
    online_interval: float = 300.0  # a sync every 5 minutes while the hub answers
    change_delay: float = 20.0  # after a local change, while online
    backoff_base: float = 15.0
    backoff_cap: float = 900.0  # 15 minutes: also the retry of a refused token or bad settings
    min_delay: float = 2.0  # the floor of a jittered delay: never a tight loop
    busy_retry: float = 60.0  # another sync of this database (e.g. the evening task) is running


class SyncScheduler:
    def __init__(
        self,
        policy: SchedulePolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ):
        self.policy = policy or SchedulePolicy()
        self._clock, self._rng = clock, rng
        self.state: SyncState = UNKNOWN
        self.failures = 0
        self.manual = False  # "sync now" asked for and not yet started
        self.last_sync_at: float | None = None
        self.next_at = self._clock() + self.policy.first_delay

    # --- what the worker asks -----------------------------------------------------------------------
    def delay(self) -> float:
        """Seconds to sleep before the next probe or sync (0: now)."""
        return max(0.0, self.next_at - self._clock())

    def due(self) -> bool:
        return self.state != SYNCING and self._clock() >= self.next_at

    def next_action(self) -> str:
        """ "sync" when the hub is known to answer or the user asked; else "probe"."""
        return "sync" if self.manual or self.state == ONLINE else "probe"

    # --- what happened --------------------------------------------------------------------------------
    def probed(self, ok: bool, problem: str | None = None) -> None:
        if ok:
            self.state, self.failures = ONLINE, 0
            self.next_at = self._clock()  # reachable: sync now
        else:
            self._failed(self._state_of_problem(problem))

    def sync_started(self) -> None:
        self.state, self.manual = SYNCING, False

    def sync_finished(self, outcome: str, problem: str | None = None) -> None:
        now = self._clock()
        if outcome in REACHED_HUB:
            self.state, self.failures, self.last_sync_at = ONLINE, 0, now
            self.next_at = now + self.policy.online_interval
        elif outcome == SyncOutcome.BUSY:
            self.state = UNKNOWN  # someone else is syncing; we learn nothing about the hub
            self.next_at = now + self._jittered(self.policy.busy_retry)
        elif outcome == SyncOutcome.OFFLINE:
            self._failed(OFFLINE)
        elif outcome == SyncOutcome.AUTH:
            self._failed(AUTH)
        elif outcome == SyncOutcome.CONFIG:
            self._failed(CONFIG)
        else:
            self._failed(PROBLEM)

    def local_change(self) -> None:
        """Something was saved: while online, sync soon (an earlier plan stands)."""
        if self.state == ONLINE:
            self.next_at = min(self.next_at, self._clock() + self.policy.change_delay)

    def settings_changed(self) -> None:
        """New sync settings (reloaded from disk): what was learnt of the old hub no longer holds;
        probe the new one at once."""
        if self.state != SYNCING:
            self.state = UNKNOWN
        self.failures = 0
        self.next_at = self._clock()

    def request_now(self) -> None:
        self.manual = True
        self.next_at = self._clock()

    # --- delays ---------------------------------------------------------------------------------------
    def backoff(self, failures: int) -> float:
        """Full jitter: uniform between the floor and min(cap, base * 2**(failures-1))."""
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** max(failures - 1, 0))
        return self._jittered(ceiling)

    def _jittered(self, ceiling: float) -> float:
        floor = min(self.policy.min_delay, ceiling)
        return floor + (ceiling - floor) * self._rng()

    def _failed(self, state: SyncState) -> None:
        self.state = state
        self.failures += 1
        if state in (AUTH, CONFIG):
            # Nothing changes by itself: someone must set a token or a setting. Check now and then.
            self.next_at = self._clock() + self.policy.backoff_cap
        else:
            self.next_at = self._clock() + self.backoff(self.failures)

    @staticmethod
    def _state_of_problem(problem: str | None) -> SyncState:
        if problem in _OFFLINE_PROBLEMS:
            return OFFLINE
        if problem in _AUTH_PROBLEMS:
            return AUTH
        if problem == "config":
            return CONFIG
        return PROBLEM


END_OF_DAY = clock_time(17, 30)


def end_of_day_nudge_due(now: datetime, pending: int, nudged_on: date | None, at: clock_time = END_OF_DAY) -> bool:
    """Late in the day, with changes not yet at the hospital: remind once a day (``now`` local)."""
    return pending > 0 and now.time() >= at and nudged_on != now.date()
