"""Indicators per clinic and month (DOMAIN.md "Indicators"), computed from what clinics pushed and
what the desk did: the queries and the arithmetic (the route is ``routers.indicators``, the
response models ``schemas.indicators``). Drafts are not referrals yet and are left out. Months are China months.

Contracts and coverage are a snapshot of the records the hub holds now ("signed" = a contract in
status active or expiring); ``signed_in_month`` counts contracts whose signed_date is in the month.
A resident's key populations are derived as the clinic app does (clinic_tui.domain.contract: age at
the month's end, chronic conditions, manual tags), plus the population tags of their signed contract.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import directory, limits
from clinic_hub.db import as_utc
from clinic_hub.errors import ApiError
from clinic_hub.models import BedPool, Clinic, Department, Referral, SlotPool, SyncRecord, table_of
from clinic_hub.schemas.indicators import (
    ClinicIndicators,
    ContractIndicators,
    IndicatorsResponse,
    PopulationCoverage,
    ReservedSlotUse,
    StatusCounts,
)
from clinic_tui.domain.contract import CHRONIC_CODE_TAGS, derive_key_populations

_referrals = table_of(Referral)
_clinics = table_of(Clinic)
_records = table_of(SyncRecord)
_departments = table_of(Department)
_pools = table_of(SlotPool)
_bed_pools = table_of(BedPool)
SIGNED_STATUSES = ("active", "expiring")
MONTH = re.compile(limits.MONTH_PATTERN)
NOT_AT_HOSPITAL = ("draft", "review")  # not sent to the hospital yet
ACCEPTED_STATUSES = ("accepted", "arrived", "no_show", "completed")  # the hospital said yes
ARRIVED_STATUSES = ("arrived", "completed")  # the patient came: an effective referral (有效转诊)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _month_of(row) -> str:
    if row.referral_date:
        return row.referral_date[:7]
    return as_utc(row.created_at).astimezone(directory.CHINA_TZ).strftime("%Y-%m")


def _referral_indicators(conn: Connection, clinic_id: str, month: str) -> dict:
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    sent = within = 0
    for row in conn.execute(
        sa.select(_referrals).where(_referrals.c.clinic_id == clinic_id, _referrals.c.deleted.is_(False))
    ):
        if row.status == "draft" or _month_of(row) != month:
            continue
        (up if row.direction == "up" else down)[row.status] += 1
        if row.direction == "up" and row.sent_at is not None:
            sent += 1
            answered = as_utc(row.answered_at)
            within += answered is not None and answered - as_utc(row.sent_at) <= timedelta(hours=24)
    reached = sum(n for status, n in up.items() if status not in NOT_AT_HOSPITAL)
    accepted = sum(up[status] for status in ACCEPTED_STATUSES)
    arrived = sum(up[status] for status in ARRIVED_STATUSES)
    return dict(
        upward=StatusCounts(total=sum(up.values()), by_status=dict(up)),
        downward=StatusCounts(total=sum(down.values()), by_status=dict(down)),
        downward_share=_share(sum(down.values()), sum(up.values()) + sum(down.values())),
        upward_sent=sent,
        answered_within_24h=within,
        answered_within_24h_share=_share(within, sent),
        upward_to_hospital=reached,
        upward_accepted=accepted,
        upward_arrived=arrived,
        accepted_share=_share(accepted, reached),
        effective_share=_share(arrived, reached),
    )


def _as_list(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _resident_tags(data: dict, on: date) -> set[str]:
    """Key populations of a resident, as the clinic app derives them (age, chronic conditions,
    manual tags), plus any explicit ``key_populations`` list a client sends."""
    tags = set(_as_list(data.get("key_populations")))
    manual = _as_list(data.get("manual_population_tags"))
    chronic = _as_list(data.get("chronic_conditions"))
    try:
        birth = date.fromisoformat(str(data.get("birth_date"))[:10]) if data.get("birth_date") else None
    except (ValueError, OverflowError):
        birth = None
    try:
        if birth is not None:
            derived = derive_key_populations(birth, str(data.get("sex") or "9"), chronic, manual, on)
            return tags | {str(tag) for tag in derived}
    except (ValueError, TypeError, OverflowError):  # a tag the app would not allow, an odd date: keep what was sent
        pass
    return tags | set(manual) | {str(CHRONIC_CODE_TAGS[c]) for c in chronic if c in CHRONIC_CODE_TAGS}


def _month_end(month: str) -> date:
    year, number = map(int, month.split("-"))
    first_of_next = date(year + number // 12, number % 12 + 1, 1)
    return min(first_of_next - timedelta(days=1), datetime.now(directory.CHINA_TZ).date())


def _contract_indicators(conn: Connection, clinic_id: str, month: str) -> ContractIndicators:
    def records(kind: str):
        return conn.execute(
            sa.select(_records.c.id, _records.c.data)
            .where(
                _records.c.origin == "clinic",
                _records.c.clinic_id == clinic_id,
                _records.c.kind == kind,
                _records.c.deleted.is_(False),
            )
            .execution_options(yield_per=2000)
        )

    by_status: Counter = Counter()
    signed_in_month = 0
    signed_residents: set[str] = set()
    contract_tags: dict[str, set[str]] = defaultdict(set)
    for _, data in records("contract"):
        if not isinstance(data, dict):
            continue  # defensive: every stored record is an object (push checks it), even old ones
        status = data.get("status")
        by_status[str(status)] += 1
        if str(data.get("signed_date") or "").startswith(month):
            signed_in_month += 1
        if status in SIGNED_STATUSES and data.get("resident_id"):
            resident_id = str(data["resident_id"]).lower()
            signed_residents.add(resident_id)
            contract_tags[resident_id] |= set(_as_list(data.get("population_tags")))
    on = _month_end(month)
    residents = 0
    population: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    signed = 0
    for rid, data in records("resident"):  # the record id is the resident id contracts point to
        if not isinstance(data, dict):
            continue
        residents += 1
        signed += rid in signed_residents
        for tag in _resident_tags(data, on) | contract_tags.get(rid, set()):
            population[str(tag)][0] += 1
            population[str(tag)][1] += rid in signed_residents
    return ContractIndicators(
        by_status=dict(by_status),
        signed_in_month=signed_in_month,
        residents=residents,
        signed_residents=signed,
        coverage=_share(signed, residents),
        key_populations={
            tag: PopulationCoverage(residents=n, signed=s, coverage=_share(s, n))
            for tag, (n, s) in sorted(population.items())
        },
    )


def _month_days(month: str) -> tuple[date, date]:
    year, number = map(int, month.split("-"))
    return date(year, number, 1), date(year + number // 12, number % 12 + 1, 1)


def _reserved_use(conn: Connection, month: str, table: sa.Table = _pools) -> list[ReservedSlotUse]:
    """The hospital's reserved primary-care slots (or, with the bed_pool table, beds) of the month's
    days, per department, as opened (a day never opened or booked has no pool and counts nothing)."""
    first, following = _month_days(month)
    names = dict(conn.execute(sa.select(_departments.c.code, _departments.c.name)).all())
    rows = conn.execute(
        sa.select(
            table.c.department_code,
            sa.func.sum(table.c.reserved),
            sa.func.sum(table.c.used),
            sa.func.sum(table.c.over_quota),
        )
        .where(table.c.day >= first, table.c.day < following)
        .group_by(table.c.department_code)
        .order_by(table.c.department_code)
    ).all()
    return [
        ReservedSlotUse(
            department_code=code,
            department_name=names.get(code, code),
            reserved=int(reserved or 0),
            used=int(used or 0),
            over_quota=int(over or 0),
            used_share=_share(int(used or 0), int(reserved or 0)),
        )
        for code, reserved, used, over in rows
    ]


def compute(conn: Connection, month: str, clinic_code: str | None = None) -> IndicatorsResponse:
    if not MONTH.fullmatch(month or ""):
        raise ApiError(422, "bad_month")
    query = sa.select(_clinics).order_by(_clinics.c.code)
    if clinic_code:
        query = query.where(_clinics.c.code == clinic_code)
    clinics = conn.execute(query).all()
    if clinic_code and not clinics:
        raise ApiError(404, "clinic_not_found", clinic=clinic_code)
    return IndicatorsResponse(
        month=month,
        clinics=[
            ClinicIndicators(
                clinic_code=c.code,
                clinic_name=c.name,
                **_referral_indicators(conn, c.id, month),
                contracts=_contract_indicators(conn, c.id, month),
            )
            for c in clinics
        ],
        reserved_slots=_reserved_use(conn, month),
        reserved_beds=_reserved_use(conn, month, _bed_pools),
    )


def county(result: IndicatorsResponse, name: str = "") -> ClinicIndicators:
    """The county's figures: the clinics' counts summed, and the shares of those sums (a county
    rate is not the mean of the clinics' rates)."""
    clinics = result.clinics
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    contracts: Counter[str] = Counter()
    population: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in clinics:
        up.update(c.upward.by_status)
        down.update(c.downward.by_status)
        contracts.update(c.contracts.by_status)
        for tag, cover in c.contracts.key_populations.items():
            population[tag][0] += cover.residents
            population[tag][1] += cover.signed

    def total(field: str) -> int:
        return sum(getattr(c, field) for c in clinics)

    up_total, down_total = sum(up.values()), sum(down.values())
    reached, accepted, arrived = total("upward_to_hospital"), total("upward_accepted"), total("upward_arrived")
    sent, within = total("upward_sent"), total("answered_within_24h")
    residents = sum(c.contracts.residents for c in clinics)
    signed = sum(c.contracts.signed_residents for c in clinics)
    return ClinicIndicators(
        clinic_code="",
        clinic_name=name,
        upward=StatusCounts(total=up_total, by_status=dict(up)),
        downward=StatusCounts(total=down_total, by_status=dict(down)),
        downward_share=_share(down_total, up_total + down_total),
        upward_sent=sent,
        answered_within_24h=within,
        answered_within_24h_share=_share(within, sent),
        upward_to_hospital=reached,
        upward_accepted=accepted,
        upward_arrived=arrived,
        accepted_share=_share(accepted, reached),
        effective_share=_share(arrived, reached),
        contracts=ContractIndicators(
            by_status=dict(contracts),
            signed_in_month=sum(c.contracts.signed_in_month for c in clinics),
            residents=residents,
            signed_residents=signed,
            coverage=_share(signed, residents),
            key_populations={
                tag: PopulationCoverage(residents=n, signed=s, coverage=_share(s, n))
                for tag, (n, s) in sorted(population.items())
            },
        ),
    )
