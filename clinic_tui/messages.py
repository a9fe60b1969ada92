"""The app's own Textual messages (``textual.message.Message``), so screens talk to the app
without knowing each other. (Text for people lives in the gettext catalogues, not here.)"""

from __future__ import annotations

from textual.message import Message


class OpenRecord(Message):
    """Show a record: ``kind`` is a sync kind (resident, visit, referral, contract...)."""

    def __init__(self, kind: str, record_id: str):
        super().__init__()
        self.kind = kind
        self.record_id = record_id


class DataChanged(Message):
    """Something was saved: headers and lists refresh what they show.

    A screen posts it (``by_sync`` False) after a save: the app refreshes its header and tells the
    background sync. The app posts it to the open screens (``by_sync`` True) when a sync, its own
    or ``clinic-tui sync`` in another process, changed the records here (``ClinicApp.notice_sync``):
    each screen showing data reads it again (``ClinicScreen.reload_after_sync``)."""

    def __init__(self, by_sync: bool = False):
        super().__init__()
        self.by_sync = by_sync


class SyncStatus(Message):
    """The background sync moved on (posted from its thread to the app): its ``state``
    (clinic_tui.sync.scheduler), the ``progress`` of a running sync, or the ``report`` of one that
    ended. The app refreshes the header and tells the sync screen."""

    def __init__(self, state: str, progress=None, report=None):
        super().__init__()
        self.state = state
        self.progress = progress
        self.report = report
