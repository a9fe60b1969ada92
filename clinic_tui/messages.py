"""App-wide messages, so screens talk to the app without knowing each other."""

from __future__ import annotations

from textual.message import Message


class OpenRecord(Message):
    """Show a record: ``kind`` is a sync kind (resident, visit, referral, contract...)."""

    def __init__(self, kind: str, record_id: str):
        super().__init__()
        self.kind = kind
        self.record_id = record_id


class DataChanged(Message):
    """Something was saved: headers and lists refresh what they show."""
