"""How sync stands, as ``StrEnum`` (as the domain names its states): the background worker's state,
how one sync ended, and what started it.

A member is its string (``SyncOutcome.OK == "ok"``, ``f"{SyncOutcome.OK}" == "ok"``), so the values
stored in ``sync_run`` (``outcome``, ``trigger``), shown by the screens and documented in
docs/sync.md are the same as before. Pure: no I/O, imported by the scheduler, the engine, the
worker and the command.
"""

from __future__ import annotations

from enum import StrEnum


class SyncState(StrEnum):
    """The background worker's state (``scheduler.SyncScheduler.state``), shown in the header."""

    UNKNOWN = "unknown"  # not probed yet, or another sync held the lock
    ONLINE = "online"
    OFFLINE = "offline"
    SYNCING = "syncing"
    AUTH = "auth"  # the hub refused the token
    CONFIG = "config"  # the settings cannot work (no address, no token, plain http)
    PROBLEM = "problem"  # anything else went wrong


class SyncOutcome(StrEnum):
    """How one sync ended (``engine.SyncReport.outcome``, ``sync_run.outcome``)."""

    RUNNING = "running"  # the receipt row of a sync under way (or stopped by a kill, a power cut)
    OK = "ok"
    OFFLINE = "offline"
    AUTH = "auth"
    REJECTED = "rejected"  # reached the hub and reconciled, but some records were refused
    CONFIG = "config"
    ERROR = "error"
    BUSY = "busy"  # another sync of the same database held the lock


# A sync that reached the hub and reconciled: its receipt holds the hub's numbers.
REACHED_HUB: tuple[SyncOutcome, ...] = (SyncOutcome.OK, SyncOutcome.REJECTED)


class SyncTrigger(StrEnum):
    """What started a sync (``sync_run.trigger``)."""

    CLI = "cli"  # clinic-tui sync, e.g. the scheduled end-of-day task
    AUTO = "auto"  # the app's background worker
    MANUAL = "manual"  # "sync now" (F5 on the sync screen)
