"""The background sync's timing rules (clinic_tui.sync.scheduler), with a hand-driven clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest

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

POLICY = SchedulePolicy(
    first_delay=3, online_interval=300, change_delay=20, backoff_base=15, backoff_cap=900, min_delay=2, busy_retry=60
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def scheduler(clock, rng=lambda: 1.0) -> SyncScheduler:
    return SyncScheduler(POLICY, clock=clock, rng=rng)


def test_it_starts_unknown_and_probes_after_the_first_delay(clock):
    plan = scheduler(clock)
    assert plan.state == UNKNOWN
    assert plan.delay() == 3 and not plan.due()
    clock.now += 3
    assert plan.due() and plan.next_action() == "probe"


def test_a_probe_that_answers_makes_it_online_and_syncs_at_once(clock):
    plan = scheduler(clock)
    clock.now += 3
    plan.probed(True)
    assert plan.state == ONLINE and plan.delay() == 0 and plan.next_action() == "sync"


def test_offline_backs_off_exponentially_up_to_the_cap(clock):
    plan = scheduler(clock, rng=lambda: 1.0)  # the top of each jitter range
    delays = []
    for _ in range(8):
        plan.probed(False, "refused")
        delays.append(plan.delay())
    assert plan.state == OFFLINE
    assert delays == [15, 30, 60, 120, 240, 480, 900, 900]


def test_the_jitter_is_full_between_the_floor_and_the_ceiling(clock):
    low = scheduler(clock, rng=lambda: 0.0)
    low.probed(False, "timeout")
    low.probed(False, "timeout")
    assert low.delay() == 2  # the floor, never a tight loop
    middle = scheduler(clock, rng=lambda: 0.5)
    middle.probed(False, "dns")
    middle.probed(False, "dns")
    assert middle.delay() == pytest.approx(2 + (30 - 2) * 0.5)


def test_real_randomness_stays_within_the_range(clock):
    import random

    plan = SyncScheduler(POLICY, clock=clock, rng=random.Random(7).random)
    for failures in range(1, 12):
        ceiling = min(900, 15 * 2 ** (failures - 1))
        assert all(2 <= plan.backoff(failures) <= ceiling for _ in range(50))


def test_a_success_resets_the_backoff_and_plans_the_periodic_sync(clock):
    plan = scheduler(clock)
    for _ in range(4):
        plan.probed(False, "refused")
    assert plan.failures == 4
    plan.probed(True)
    plan.sync_started()
    assert plan.state == SYNCING and not plan.due()
    plan.sync_finished("ok")
    assert plan.state == ONLINE and plan.failures == 0 and plan.delay() == 300
    plan.sync_finished("offline")
    assert plan.state == OFFLINE and plan.delay() == 15  # the first step again
    assert plan.next_action() == "probe"


def test_rejected_records_still_mean_the_hub_answered(clock):
    plan = scheduler(clock)
    plan.sync_finished("rejected")
    assert plan.state == ONLINE and plan.delay() == 300


def test_a_local_change_brings_the_next_sync_forward_only_when_online(clock):
    plan = scheduler(clock)
    plan.sync_finished("ok")
    plan.local_change()
    assert plan.delay() == 20
    clock.now += 15
    plan.local_change()  # a second edit does not push the sync further away
    assert plan.delay() == 5
    offline = scheduler(clock)
    offline.probed(False, "refused")
    before = offline.delay()
    offline.local_change()
    assert offline.delay() == before  # offline: the backoff stands


def test_sync_now_is_due_at_once_whatever_the_state(clock):
    plan = scheduler(clock)
    plan.probed(False, "refused")
    plan.request_now()
    assert plan.due() and plan.next_action() == "sync"
    plan.sync_started()
    assert not plan.manual
    plan.sync_finished("offline")
    assert plan.next_action() == "probe"


@pytest.mark.parametrize(
    ("problem", "state"),
    [("auth", AUTH), ("forbidden", AUTH), ("config", CONFIG), ("too_old", PROBLEM), ("tls", PROBLEM)],
)
def test_problems_someone_must_fix_are_retried_slowly(clock, problem, state):
    plan = scheduler(clock, rng=lambda: 0.0)
    plan.probed(False, problem)
    assert plan.state == state
    if state in (AUTH, CONFIG):
        assert plan.delay() == 900
    else:
        assert plan.delay() == 2  # the jittered backoff, at its floor


def test_a_busy_database_is_retried_later_without_counting_a_failure(clock):
    plan = scheduler(clock, rng=lambda: 1.0)
    plan.sync_finished("busy")
    assert plan.failures == 0 and plan.delay() == 60 and plan.state == UNKNOWN


def test_the_end_of_day_nudge_comes_once_after_half_past_five_with_work_pending():
    evening = datetime(2026, 11, 20, 17, 45)
    assert end_of_day_nudge_due(evening, pending=3, nudged_on=None)
    assert not end_of_day_nudge_due(evening, pending=3, nudged_on=date(2026, 11, 20))
    assert end_of_day_nudge_due(evening, pending=3, nudged_on=date(2026, 11, 19))
    assert not end_of_day_nudge_due(evening, pending=0, nudged_on=None)
    assert not end_of_day_nudge_due(datetime(2026, 11, 20, 16, 0), pending=3, nudged_on=None)
