"""Every table of the clinic's local database.

Clinical records follow the data invariants (docs/architecture.md) through ``SyncedRecord``: a UUID made where the
record is created, UTC timestamps, a revision counter, the clinic and the author, and a tombstone
instead of deletion. Records the hub owns (the hospital directory) use ``HubRecord``.
"""

from clinic_tui.data.models.base import HubRecord, SyncedRecord, new_id, table_of, utcnow
from clinic_tui.data.models.bookkeeping import (
    AppSetting,
    AuditEntry,
    Broadcast,
    Draft,
    OutboxEntry,
    SyncCursor,
    SyncRun,
)
from clinic_tui.data.models.clinical import Followup, FollowupDue, Task, Visit
from clinic_tui.data.models.contract import Contract, ServicePackage, ServiceRecord, Team
from clinic_tui.data.models.directory import BedPool, Department, DiagnosisCode, Division, Hospital, SlotPool
from clinic_tui.data.models.exam import ExamBooking, ExamEvent, ExamPool
from clinic_tui.data.models.lab import LabEvent, LabOrder
from clinic_tui.data.models.people import Clinic, Resident, Staff
from clinic_tui.data.models.referral import Referral, ReferralEvent
from clinic_tui.data.models.remote import AttachmentFile, RemoteEvent, RemoteRequest

# The sync kind of each clinic-owned table, as named on the wire (see docs/protocol.md).
SYNCED_KINDS: dict[str, type[SyncedRecord]] = {
    "user": Staff,
    "resident": Resident,
    "visit": Visit,
    "followup": Followup,
    "task": Task,
    "referral": Referral,
    "referral_event": ReferralEvent,
    "team": Team,
    "service_package": ServicePackage,
    "contract": Contract,
    "service_record": ServiceRecord,
    "remote_request": RemoteRequest,
    "lab_order": LabOrder,
    "exam_booking": ExamBooking,
}

__all__ = [
    "AttachmentFile",
    "AppSetting",
    "AuditEntry",
    "BedPool",
    "Broadcast",
    "Clinic",
    "Contract",
    "Department",
    "DiagnosisCode",
    "Division",
    "Draft",
    "ExamBooking",
    "ExamEvent",
    "ExamPool",
    "Followup",
    "FollowupDue",
    "Hospital",
    "HubRecord",
    "LabEvent",
    "LabOrder",
    "OutboxEntry",
    "Referral",
    "ReferralEvent",
    "RemoteEvent",
    "RemoteRequest",
    "Resident",
    "SYNCED_KINDS",
    "ServicePackage",
    "ServiceRecord",
    "SlotPool",
    "Staff",
    "SyncCursor",
    "SyncRun",
    "SyncedRecord",
    "table_of",
    "Task",
    "Team",
    "Visit",
    "new_id",
    "utcnow",
]
