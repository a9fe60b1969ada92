"""What the desk's pages show, shaped for the templates: the referral slip (转诊单) as the clinic
sent it, the resident's recent follow-ups, times in China time, waiting times.

The slip follows the printed slip of the clinic app (clinic_tui/slip.py: same sections, same
labels, same order) but reads the referral as the hub stores it: the JSON the clinic pushed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.db import as_utc, utcnow
from clinic_hub.desk import NOT_YET_SENT
from clinic_hub.directory import CHINA_TZ, SLOTS, PoolKind
from clinic_hub.indicators import county
from clinic_hub.models import Clinic, Department, Referral, SyncRecord, table_of
from clinic_hub.referral_rules import UP, URGENCIES
from clinic_hub.schemas.desk import ReferralSummary
from clinic_hub.schemas.indicators import ClinicIndicators, IndicatorsResponse, ReservedSlotUse
from clinic_hub.web.i18n import N_
from clinic_tui.domain.codes import ID_DOCUMENT_TYPE, INSURANCE_TYPE, SEX
from clinic_tui.domain.contract import KEY_POPULATION_COVERAGE_TARGET_PERCENT as TARGET
from clinic_tui.domain.contract import KEY_POPULATION_LABELS
from clinic_tui.domain.followup import CLASSIFICATION_LABELS, DISEASE_LABELS
from clinic_tui.domain.indicators import next_month, previous_month
from clinic_tui.domain.lab import FLAG_LABELS
from clinic_tui.domain.record_text import CONSENT_BY_LABELS, HISTORY_KIND_LABELS, TRANSPORT_LABELS, verdict_label
from clinic_tui.domain.referral import (
    DIRECTION_LABELS,
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    Status,
)
from clinic_tui.domain.slip_results import RECOGNISED_LABELS, SlipResult
from clinic_tui.sync.wire import FOLLOWUP, REFERRAL

_records = table_of(SyncRecord)
_referrals = table_of(Referral)
_clinics = table_of(Clinic)
_departments = table_of(Department)

ACTOR_NAMES = {
    "clinic": N_("the clinic doctor"),
    "reviewer": N_("the township reviewer"),
    "hospital": N_("the hospital referral desk"),
    "system": N_("the system"),
}
RECENT_FOLLOWUPS = 5
# Statuses a slip reaches only after it was sent.
INDEXED_TABS = (Status.SENT.value, Status.ACCEPTED.value, Status.ARRIVED.value)

T = Callable[..., str]


@dataclass
class Section:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    headers: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)


def text(value: Any) -> str:
    """A value from the clinic's JSON as text: anything odd becomes an empty string, not an error."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return ""
    return str(value)


def label(t: T, labels: dict, code: Any) -> str:
    if not code or not isinstance(code, str):
        return ""
    return t(labels[code]) if code in labels else code


def code_label(t: T, code_set, code: Any) -> str:
    if not code or not isinstance(code, str):
        return ""
    return label(t, dict(code_set.entries), code)


def joined(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p not in (None, ""))


def china_time(value: datetime | None) -> str:
    return as_utc(value).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def waited(t: T, since: datetime | None, now: datetime | None = None) -> str:
    """How long a referral has waited, e.g. 2天3小时 / 45分钟."""
    if since is None:
        return ""
    delta = max((now or utcnow()) - as_utc(since), timedelta(0))
    days, seconds = delta.days, delta.seconds
    if days:
        return t("{days} d {hours} h", days=days, hours=seconds // 3600)
    if seconds >= 3600:
        return t("{hours} h {minutes} min", hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return t("{minutes} min", minutes=seconds // 60)


def _items(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _flag(value: Any) -> bool | None:
    """An examination's verdict as the clinic sent it; anything but true or false is not judged."""
    return value if isinstance(value, bool) else None


def diagnoses(t: T, items: Any) -> str:
    return t("; ").join(joined(text(d.get("code")), text(d.get("name"))) for d in _items(items))


def _results_section(t: T, entries: Any) -> list[Section]:
    """The lead hospital's results the clinic chose for the slip (clinic_tui/domain/slip_results.py),
    each with its institution, report date and 互认 mark; no section when none were sent (a slip
    from an older clinic app has no such field)."""
    results = [SlipResult.from_wire(e) for e in _items(entries)]
    if not results:
        return []

    def flag(code: str | None) -> str:
        return t(FLAG_LABELS[code]) if code in FLAG_LABELS else text(code)

    return [
        Section(
            t("Results from the lead hospital"),
            headers=[
                t("Item"),
                t("Result"),
                t("Unit"),
                t("Reference range"),
                t("Flag"),
                t("Performed at"),
                t("Report date"),
                t("Mutual recognition"),
            ],
            rows=[
                [
                    r.item,
                    r.value,
                    r.unit,
                    r.reference_range,
                    flag(r.flag),
                    r.institution or "",
                    r.reported_at.astimezone(CHINA_TZ).date().isoformat() if r.reported_at else "",
                    t(RECOGNISED_LABELS[r.recognised]),
                ]
                for r in results
            ],
        )
    ]


def slip_sections(t: T, data: dict[str, Any], direction: str, status: str, urgency: str) -> list[Section]:
    """Everything the clinic sent, in the printed slip's order."""
    d = data
    g = lambda name: text(d.get(name))  # noqa: E731
    yes, no = t("Yes"), t("No")
    kinds = (
        [k for k in d.get("past_history_kinds") or [] if isinstance(k, str)]
        if isinstance(d.get("past_history_kinds"), list)
        else []
    )
    sections = [
        Section(
            t("Referral"),
            [
                (t("Direction"), label(t, DIRECTION_LABELS, direction)),
                (t("Purpose"), label(t, PURPOSE_LABELS, d.get("purpose"))),
                (t("Urgency"), label(t, URGENCY_LABELS, urgency)),
                (t("Referral date"), g("referral_date")),
                (t("Status"), label(t, STATUS_LABELS, status)),
            ],
        ),
        Section(
            t("Patient"),
            [
                (t("Name"), g("patient_name")),
                (t("Sex"), code_label(t, SEX, d.get("patient_sex"))),
                (t("Birth date"), g("patient_birth_date")),
                (
                    t("ID document"),
                    joined(code_label(t, ID_DOCUMENT_TYPE, d.get("patient_id_type")), g("patient_id_number")),
                ),
                (t("Phone"), g("patient_phone")),
                (t("Address"), g("patient_address")),
                (
                    t("Insurance"),
                    joined(code_label(t, INSURANCE_TYPE, d.get("patient_insurance_type")), g("patient_insurance_no")),
                ),
            ],
        ),
        Section(
            t("Referred from"),
            [
                (t("Institution"), joined(g("from_org_name"), f"({g('from_org_code')})" if g("from_org_code") else "")),
                (t("Department"), g("from_department")),
                (t("Doctor"), g("from_doctor_name")),
                (t("Doctor's phone"), g("from_doctor_phone")),
            ],
        ),
        Section(
            t("Receiving institution"),
            [
                (t("Institution"), joined(g("to_org_name"), f"({g('to_org_code')})" if g("to_org_code") else "")),
                (t("Department"), g("to_department_name") or g("to_department_code")),
                (t("Doctor wished"), g("to_doctor_wished")),
                (t("Date wished"), g("wished_date")),
            ],
        ),
        Section(
            t("Condition"),
            [
                (t("Preliminary diagnoses"), diagnoses(t, d.get("diagnoses"))),
                (t("Reason for referral"), g("reason")),
                (t("Chief complaint"), g("chief_complaint")),
                (t("Present illness"), g("present_illness")),
                (
                    t("Past history"),
                    joined(
                        g("past_history"),
                        t("(kinds: {kinds})", kinds=t(", ").join(label(t, HISTORY_KIND_LABELS, k) for k in kinds))
                        if kinds
                        else "",
                    ),
                ),
                (t("Treatment so far"), g("treatment_so_far")),
                (t("Allergies"), g("allergies")),
                (t("Precautions"), g("precautions")),
            ],
        ),
        Section(
            t("Examinations and results"),
            headers=[t("Item"), t("Result"), t("Normal or abnormal")],
            rows=[
                [text(e.get("item")), text(e.get("result")), t(verdict_label(_flag(e.get("abnormal"))))]
                for e in _items(d.get("examinations"))
            ],
        ),
        *_results_section(t, d.get("results")),
        Section(
            t("Current medication"),
            headers=[t("Drug"), t("Dose"), t("Frequency"), t("Route"), t("Days")],
            rows=[
                [
                    text(m.get("drug")),
                    joined(text(m.get("dose")), text(m.get("unit"))),
                    text(m.get("frequency")),
                    text(m.get("route")),
                    text(m.get("days")),
                ]
                for m in _items(d.get("medications"))
            ],
        ),
        Section(
            t("Informed consent"),
            [
                (t("Consent given"), yes if d.get("consent_given") is True else no),
                (t("Signed by"), joined(label(t, CONSENT_BY_LABELS, d.get("consent_by")), g("consent_signer"))),
            ],
        ),
    ]
    assessed = d.get("transport")
    transport = assessed if isinstance(assessed, dict) else {}
    if urgency == "emergency" or transport:
        sections.append(
            Section(
                t("Transport assessment"),
                [(t(name), yes if transport.get(key) else no) for key, name in TRANSPORT_LABELS.items()],
            )
        )
    if direction == "down":
        sections.append(
            Section(
                t("Discharge and care at home"),
                [
                    (t("Discharge diagnoses"), diagnoses(t, d.get("discharge_diagnoses"))),
                    (t("Outcome"), label(t, OUTCOME_LABELS, d.get("outcome"))),
                    (t("Treatment plan"), g("treatment_plan")),
                    (t("Rehabilitation guidance"), g("rehab_guidance")),
                    (t("Medication to continue"), g("medication_to_continue")),
                    (
                        t("Follow-up schedule"),
                        t("; ").join(
                            t("after {days} days: {what}", days=text(f.get("after_days")), what=text(f.get("what")))
                            for f in _items(d.get("followup_schedule"))
                        ),
                    ),
                ],
            )
        )
    if g("cancel_reason"):
        sections.append(Section(t("Cancellation"), [(t("Cancellation reason"), g("cancel_reason"))]))
    return sections


# --- reads the pages need beside the desk's own -----------------------------------------------------


def _page_query(department: str | None = None):
    query = (
        sa.select(_referrals, _clinics.c.code.label("clinic_code"))
        .join(_clinics, _clinics.c.id == _referrals.c.clinic_id)
        .where(_referrals.c.direction == UP, _referrals.c.deleted.is_(False))
    )
    if department:
        query = query.where(_referrals.c.appointment_department_code == department)
    return query


def _sorted_page(
    conn: Connection, status: str | None, limit: int, offset: int, department: str | None = None
) -> Sequence[Any]:
    """The page by one sort of the matching rows (the order of clinic_hub.desk.list_referrals)."""
    urgency_rank = sa.case({u: i for i, u in enumerate(URGENCIES)}, value=_referrals.c.urgency, else_=len(URGENCIES))
    query = (
        _page_query(department)
        .order_by(
            urgency_rank, sa.func.coalesce(_referrals.c.sent_at, _referrals.c.created_at), _referrals.c.referral_no
        )
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(_referrals.c.status == status)
    else:  # drafts and slips under township review have not been sent to the hospital yet
        query = query.where(_referrals.c.status.not_in(NOT_YET_SENT))
    return conn.execute(query).all()


def _indexed_page(conn: Connection, status: str, limit: int, offset: int, department: str | None = None) -> list:
    """The same page for one status, read from the (direction, deleted, status, urgency, sent_at)
    index: how many of each urgency, then only the rows of the page, urgency by urgency. A queue of
    thousands costs no more than a queue of fifty. (Every slip of these statuses has a sent_at.)"""
    count_query = (
        sa.select(_referrals.c.urgency, sa.func.count())
        .where(_referrals.c.direction == UP, _referrals.c.deleted.is_(False), _referrals.c.status == status)
        .group_by(_referrals.c.urgency)
    )
    if department:
        count_query = count_query.where(_referrals.c.appointment_department_code == department)
    counts: dict[str, int] = dict(conn.execute(count_query).all())
    rows: list = []
    for urgency in (*URGENCIES, *sorted(set(counts) - set(URGENCIES))):
        here = counts.get(urgency, 0)
        if offset >= here:
            offset -= here
            continue
        take = min(limit - len(rows), here - offset)
        rows += conn.execute(
            _page_query(department)
            .where(_referrals.c.status == status, _referrals.c.urgency == urgency)
            .order_by(_referrals.c.sent_at, _referrals.c.referral_no)
            .limit(take)
            .offset(offset)
        ).all()
        offset = 0
        if len(rows) >= limit:
            break
    return rows


def queue_page(
    conn: Connection, status: str | None, limit: int, offset: int, department: str | None = None
) -> list[ReferralSummary]:
    """One page of the upward queue in the desk's order: green channel, urgent, normal, then the
    longest waiting (as clinic_hub.desk.list_referrals); with ``department``, only the referrals
    booked into it (a doctor's view). The patients' names are read for the page's rows only."""
    rows: Sequence[Any]
    if status in INDEXED_TABS:
        rows = _indexed_page(conn, status, limit, offset, department)
    else:
        rows = _sorted_page(conn, status, limit, offset, department)
    data = _records.c.data
    patients = (
        {
            record_id: (name, sex)
            for record_id, name, sex in conn.execute(
                sa.select(_records.c.id, data["patient_name"].as_string(), data["patient_sex"].as_string()).where(
                    _records.c.id.in_([row.id for row in rows])
                )
            )
        }
        if rows
        else {}
    )
    return [
        ReferralSummary(
            id=row.id,
            referral_no=row.referral_no,
            direction=row.direction,
            clinic_code=row.clinic_code,
            status=row.status,
            urgency=row.urgency,
            purpose=row.purpose,
            to_department_code=row.to_department_code,
            referral_date=row.referral_date,
            sent_at=as_utc(row.sent_at),
            answered_at=as_utc(row.answered_at),
            appointment_department_code=row.appointment_department_code,
            appointment_at=as_utc(row.appointment_at),
            patient_name=patients.get(row.id, (None, None))[0],
            patient_sex=patients.get(row.id, (None, None))[1],
        )
        for row in rows
    ]


def status_counts(conn: Connection, direction: str = "up", department: str | None = None) -> dict[str, int]:
    """Referrals per status (the queue's tabs), from the queue's index."""
    query = (
        sa.select(_referrals.c.status, sa.func.count())
        .where(_referrals.c.direction == direction, _referrals.c.deleted.is_(False))
        .group_by(_referrals.c.status)
    )
    if department:
        query = query.where(_referrals.c.appointment_department_code == department)
    return {status: count for status, count in conn.execute(query)}


def department_names(conn: Connection) -> dict[str, str]:
    return {
        code: name
        for code, name in conn.execute(
            sa.select(_departments.c.code, _departments.c.name)
            .where(_departments.c.active.is_(True))
            .order_by(_departments.c.code)
        )
    }


@dataclass
class PoolCell:
    reserved: int
    used: int
    over_quota: int
    total: int = 0

    @property
    def remaining(self) -> int:
        return max(self.reserved - self.used, 0)


def pool_matrix(
    conn: Connection, start: date, days: int = 7, kind: PoolKind = SLOTS
) -> tuple[list[date], dict[str, dict[date, PoolCell]]]:
    """Reserved primary-care slots (or beds) per department and day for the next days, as opened (a
    day never opened is made from the department's daily count when first booked, so it shows as
    blank)."""
    dates = [start + timedelta(days=i) for i in range(days)]
    cells: dict[str, dict[date, PoolCell]] = {}
    table = kind.table
    rows = conn.execute(sa.select(table).where(table.c.day >= start, table.c.day < start + timedelta(days=days)))
    for row in rows:
        cells.setdefault(row.department_code, {})[row.day] = PoolCell(row.reserved, row.used, row.over_quota, row.total)
    return dates, cells


@dataclass
class FollowupRow:
    id: str
    date: str
    disease: str
    blood_pressure: str
    glucose: str
    classification: str
    next_date: str


def recent_followups(
    t: T, conn: Connection, clinic_id: str, resident_id: Any, limit: int = RECENT_FOLLOWUPS
) -> list[FollowupRow]:
    """The resident's latest follow-ups the hub holds from the referring clinic."""
    if not resident_id or not isinstance(resident_id, str):
        return []
    data = _records.c.data
    query = (
        sa.select(_records.c.id, data)
        .where(
            _records.c.origin == "clinic",
            _records.c.clinic_id == clinic_id,
            _records.c.kind == FOLLOWUP,
            _records.c.deleted.is_(False),
            data["resident_id"].as_string() == resident_id,
        )
        .order_by(data["followup_date"].as_string().desc())
        .limit(limit)
    )
    rows = []
    for record_id, f in conn.execute(query):
        f = f or {}
        bp = f"{text(f.get('sbp'))}/{text(f.get('dbp'))}" if f.get("sbp") or f.get("dbp") else ""
        glucose = text(f.get("fasting_glucose"))
        rows.append(
            FollowupRow(
                record_id,
                text(f.get("followup_date")),
                label(t, DISEASE_LABELS, f.get("disease")),
                bp,
                glucose,
                label(t, CLASSIFICATION_LABELS, f.get("classification")),
                text(f.get("next_date")),
            )
        )
    return rows


def sent_down_from(conn: Connection, up_referral_id: str) -> list[tuple[str, str]]:
    """(number, status) of the downward referrals the hospital made from this upward one."""
    data = _records.c.data
    ids = (
        conn.execute(
            sa.select(_records.c.id).where(
                _records.c.origin == "hub",
                _records.c.kind == REFERRAL,
                data["up_referral_id"].as_string() == up_referral_id,
            )
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    return [
        (row.referral_no, row.status)
        for row in conn.execute(
            sa.select(_referrals.c.referral_no, _referrals.c.status)
            .where(_referrals.c.id.in_(ids))
            .order_by(_referrals.c.created_at)
        )
    ]


# --- the county's indicators of a month -------------------------------------------------------------

STATUS_ORDER = [s.value for s in Status]


@dataclass
class Figure:
    """One figure of the indicators page and of its exports: a count, maybe of a whole, and its share."""

    key: str  # e.g. "county.up.sent", "C01.effective", "slots.NEI.used": the page's data-key
    item: str
    count: int
    of: int | None = None
    share: float | None = None  # 0..1, as the indicator service rounds it
    bar: float = 0.0  # 0..100, the width of its bar
    below_target: bool = False

    @property
    def percent(self) -> str:
        return "-" if self.share is None else f"{self.share * 100:.1f}%"

    @property
    def rate(self) -> float | None:
        return None if self.share is None else round(self.share * 100, 1)


@dataclass
class FigureGroup:
    key: str
    title: str
    figures: list[Figure]


@dataclass
class Scope:
    """The county or one clinic."""

    key: str
    code: str
    name: str
    groups: list[FigureGroup]

    def figure(self, name: str) -> Figure:
        return next(f for g in self.groups for f in g.figures if f.key == f"{self.key}.{name}")


@dataclass
class IndicatorsView:
    month: str
    previous: str
    next: str | None  # None: the next month has not begun
    county: Scope
    clinics: list[Scope]
    slots: FigureGroup
    beds: FigureGroup  # the same for inpatient bed days
    target: int  # the key populations' coverage target, percent


def _rate_figure(key: str, item: str, part: int, whole: int, share: float | None, target: int | None = None) -> Figure:
    return Figure(
        key,
        item,
        part,
        whole,
        share,
        bar=min(100.0, (share or 0.0) * 100),
        below_target=target is not None and share is not None and share * 100 < target,
    )


def _status_figures(t: T, key: str, total: int, by_status: dict[str, int]) -> list[Figure]:
    order = [s for s in STATUS_ORDER if s in by_status] + sorted(set(by_status) - set(STATUS_ORDER))
    biggest = max([total, 1])
    return [Figure(f"{key}.total", t("Total"), total, bar=100.0 if total else 0.0)] + [
        Figure(f"{key}.{s}", label(t, STATUS_LABELS, s), by_status[s], bar=100 * by_status[s] / biggest) for s in order
    ]


def _scope(t: T, key: str, c: ClinicIndicators, target: int) -> Scope:
    """One scope's figures from the indicator service's own (a ClinicIndicators)."""
    k = key
    contracts = c.contracts
    return Scope(
        key,
        c.clinic_code,
        c.clinic_name,
        [
            FigureGroup("up", t("Upward referrals"), _status_figures(t, f"{k}.up", c.upward.total, c.upward.by_status)),
            FigureGroup(
                "down", t("Downward referrals"), _status_figures(t, f"{k}.down", c.downward.total, c.downward.by_status)
            ),
            FigureGroup(
                "rates",
                t("Referral rates"),
                [
                    _rate_figure(
                        f"{k}.accepted",
                        t("Acceptance rate (upward)"),
                        c.upward_accepted,
                        c.upward_to_hospital,
                        c.accepted_share,
                    ),
                    _rate_figure(
                        f"{k}.effective",
                        t("Effective referral rate (the patient arrived)"),
                        c.upward_arrived,
                        c.upward_to_hospital,
                        c.effective_share,
                    ),
                    _rate_figure(
                        f"{k}.within_24h",
                        t("Answered within 24 h"),
                        c.answered_within_24h,
                        c.upward_sent,
                        c.answered_within_24h_share,
                    ),
                    _rate_figure(
                        f"{k}.down_share",
                        t("Downward share of all referrals"),
                        c.downward.total,
                        c.upward.total + c.downward.total,
                        c.downward_share,
                    ),
                ],
            ),
            FigureGroup(
                "contracts",
                t("Family doctor contracts"),
                [
                    _rate_figure(
                        f"{k}.coverage",
                        t("All residents"),
                        contracts.signed_residents,
                        contracts.residents,
                        contracts.coverage,
                        target,
                    ),
                    *(
                        _rate_figure(
                            f"{k}.population.{tag}",
                            label(t, KEY_POPULATION_LABELS, tag),
                            cover.signed,
                            cover.residents,
                            cover.coverage,
                            target,
                        )
                        for tag, cover in contracts.key_populations.items()
                    ),
                    Figure(f"{k}.signed_in_month", t("Contracts signed in the month"), contracts.signed_in_month),
                ],
            ),
        ],
    )


def indicators_view(t: T, result: IndicatorsResponse, today: date) -> IndicatorsView:
    """The page's figures from the indicator service's answer (clinic_hub.indicators.compute):
    the county (the clinics summed), each clinic, and the hospital's reserved slots."""

    first = date.fromisoformat(f"{result.month}-01")
    following = next_month(first)

    def reserved_figures(key: str, uses: list[ReservedSlotUse]) -> list[Figure]:
        figures = []
        for s in uses:
            figures.append(
                _rate_figure(f"{key}.{s.department_code}.used", s.department_name, s.used, s.reserved, s.used_share)
            )
            figures.append(
                Figure(
                    f"{key}.{s.department_code}.over_quota",
                    t("{department}: over the quota", department=s.department_name),
                    s.over_quota,
                )
            )
        return figures

    return IndicatorsView(
        month=result.month,
        previous=f"{previous_month(first):%Y-%m}" if first.year > 1900 or first.month > 1 else result.month,
        next=f"{following:%Y-%m}" if following <= today and following.year <= 2199 else None,
        county=_scope(t, "county", county(result, t("County")), TARGET),
        clinics=[_scope(t, c.clinic_code, c, TARGET) for c in result.clinics],
        slots=FigureGroup(
            "slots", t("Reserved primary-care slots used"), reserved_figures("slots", result.reserved_slots)
        ),
        beds=FigureGroup("beds", t("Reserved primary-care beds used"), reserved_figures("beds", result.reserved_beds)),
        target=TARGET,
    )


def indicator_rows(t: T, view: IndicatorsView) -> list[list[Any]]:
    """The page's figures as rows (the CSV and XLSX exports): a header, then one row a figure."""
    rows: list[list[Any]] = [
        [t("Month"), t("Code"), t("Scope"), t("Section"), t("Item"), t("Count"), t("Of"), t("Rate (%)")]
    ]
    for scope in (view.county, *view.clinics):
        for group in scope.groups:
            for f in group.figures:
                rows.append([view.month, scope.code, scope.name, group.title, f.item, f.count, f.of, f.rate])
    for group in (view.slots, view.beds):
        for f in group.figures:
            rows.append(
                [
                    view.month,
                    f.key.removeprefix(f"{group.key}.").rsplit(".", 1)[0],
                    t("Lead hospital"),
                    group.title,
                    f.item,
                    f.count,
                    f.of,
                    f.rate,
                ]
            )
    return rows


def csv_bytes(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel reads the Chinese; a missing value is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[list[Any]], title: str) -> bytes:
    """One sheet: the header in bold, counts and rates as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (9, 10, 22, 16, 34, 8, 8, 9), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
