"""What the resident service returns to the screens: plain records, importable without the ORM.

The resident's page and the registration form are opened right after the first search (issue 19):
their modules import these names at once, while the ORM behind ``resident_service`` loads in the
background, off the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic_tui.data.resident_search import ResidentHit

TIMELINE_LIMIT = 100  # items shown at first; the page asks for more on request


class ResidentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Duplicate:
    resident: ResidentHit
    same_document: bool  # True: the same document number; False: the same name and birth date


@dataclass(frozen=True)
class ContractFacts:
    contract_no: str
    start: date
    end: date
    status: str  # the label, translated


@dataclass(frozen=True)
class ResidentFacts:
    id: str
    name: str
    sex: str  # GB/T 2261.1 code
    birth_date: date | None
    age: int | None
    id_type: str
    masked_id_number: str
    phone: str | None
    address: str | None
    chronic_conditions: list[str]  # CV02.10.006 codes
    key_populations: list[str]  # KEY_POPULATION codes, derived and manual
    contract: ContractFacts | None  # the contract in force today


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # sync kind of the record: visit | followup | referral | contract | task
    record_id: str
    day: date
    summary: str  # one line, in the current language


@dataclass(frozen=True)
class Timeline:
    items: list[TimelineItem]  # newest first
    more: int  # older records not in ``items``
