"""Results from the lead hospital on a referral slip (结果互认, DOMAIN.md "Tests at the lead hospital").

A referral slip's examinations may carry results that came back from the lead hospital: a lab
result per item (with its performing institution and whether it is recognised across the
community, the 互认 mark) and a remote read's report (ECG, imaging, pathology; its conclusion).
The doctor chooses which go on the slip; the recognised ones of the last ``RECENT_DAYS`` days are
chosen to begin with, since those are the ones the receiving hospital need not repeat. A result
chosen that is not recognised is printed as such, never passed off as recognised.

The chosen ones are copied onto the referral (``Referral.results``; docs/protocol.md): the slip
travels without the records, like its patient block. Pure: the data layer reads the results, the
form shows the choice, the slip and the hub's desk print what was chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clinic_tui.i18n import N_, _

# Results reported within this many days are "recent": offered first, and chosen to begin with
# when recognised. One place to change it.
RECENT_DAYS = 30
# Where a result comes from: an item of a lab report, or a remote read's report.
LAB, REPORT = "lab", "report"
MAX_RESULTS = 60  # what one slip may carry: a page of results, not a record's whole history

RECOGNISED_LABELS = {True: N_("Recognised"), False: N_("Not recognised")}


@dataclass(frozen=True)
class SlipResult:
    """One result as the slip prints it; ``wire`` is its form on the referral."""

    source: str  # LAB | REPORT
    source_id: str  # the lab_event or remote_event it was read from
    code: str  # the catalogue code of a lab item; the service of a remote read
    item: str
    value: str
    unit: str = ""
    reference_range: str = ""
    flag: str | None = None  # domain.lab.Flag; a report's only flag is "critical"
    institution: str | None = None  # the performing institution
    reported_at: datetime | None = None
    recognised: bool = False  # 互认
    order_no: str | None = None  # the lab order's or remote request's number

    @property
    def key(self) -> str:
        """What identifies the result among those offered (an event holds several items)."""
        return f"{self.source}:{self.source_id}:{self.code}"

    def wire(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_id": self.source_id,
            "code": self.code,
            "item": self.item,
            "value": self.value,
            "unit": self.unit,
            "reference_range": self.reference_range,
            "flag": self.flag,
            "institution": self.institution,
            "reported_at": self.reported_at.isoformat() if self.reported_at else None,
            "recognised": self.recognised,
            "order_no": self.order_no,
        }

    @classmethod
    def from_wire(cls, entry: Mapping[str, Any]) -> SlipResult:
        """Read back an entry as stored or pushed; what is missing or malformed reads as empty
        (an entry is never dropped: a slip prints what the doctor chose)."""

        def text(name: str) -> str:
            value = entry.get(name)
            return "" if value is None or isinstance(value, (dict, list)) else str(value)

        return cls(
            source=text("source") or LAB,
            source_id=text("source_id"),
            code=text("code"),
            item=text("item"),
            value=text("value"),
            unit=text("unit"),
            reference_range=text("reference_range"),
            flag=text("flag") or None,
            institution=text("institution") or None,
            reported_at=_moment(entry.get("reported_at")),
            recognised=entry.get("recognised") is True,
            order_no=text("order_no") or None,
        )


def _moment(value: Any) -> datetime | None:
    """A time as stored (ISO 8601); one without an offset is UTC, as on the wire."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def is_recent(result: SlipResult, now: datetime, days: int = RECENT_DAYS) -> bool:
    return result.reported_at is not None and now - result.reported_at <= timedelta(days=days)


def offered(results: Iterable[SlipResult], now: datetime, days: int = RECENT_DAYS) -> list[SlipResult]:
    """The order the form offers them in: recognised and recent first, then recognised, then
    recent, then the rest; the newest first within each."""

    def rank(result: SlipResult) -> tuple[int, float]:
        recent = is_recent(result, now, days)
        group = 0 if result.recognised and recent else 1 if result.recognised else 2 if recent else 3
        return group, -(result.reported_at.timestamp() if result.reported_at else float("-inf"))

    return sorted(results, key=rank)


def preselected(results: Iterable[SlipResult], now: datetime, days: int = RECENT_DAYS) -> list[SlipResult]:
    """What a new slip carries until the doctor says otherwise: the recent recognised results."""
    return [r for r in offered(results, now, days) if r.recognised and is_recent(r, now, days)]


def recognised_label(recognised: bool) -> str:
    return _(RECOGNISED_LABELS[bool(recognised)])


def flag_text(result: SlipResult) -> str:
    """The flag as the slip prints it; nothing for a report without a critical value."""
    from clinic_tui.domain import lab

    if not result.flag:
        return ""
    try:
        return lab.flag_label(result.flag)
    except ValueError:
        return result.flag
