"""The monthly indicators the clinic reports (DOMAIN.md "Indicators"), computed from its own data.

For the month asked about: visits; chronic follow-ups done against those due (a follow-up's
``next_date`` falling in the month makes one due); upward and downward referrals dated in the
month, by status; and family-doctor contract coverage on the month's last day (or today, for
the current month), overall and per key population, against the 81% target. ``domain.indicators.to_csv_rows``
gives the same numbers as rows for the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select
from sqlmodel import col

from clinic_tui import clock
from clinic_tui.data.contract_service import in_force_on
from clinic_tui.data.db import read_session
from clinic_tui.data.models import Contract, Followup, Referral, Resident, Visit
from clinic_tui.domain.contract import (
    MANUAL_TAGS,
    Coverage,
    KeyPopulation,
    coverage,
    derive_key_populations,
)
from clinic_tui.domain.indicators import month_end, next_month


@dataclass(frozen=True)
class MonthReport:
    month: date  # its first day
    as_of: date  # the day coverage is counted on
    visits: int
    followups_done: int
    followups_due: int
    up_by_status: dict[str, int]
    down_by_status: dict[str, int]
    overall: Coverage
    by_population: dict[str, Coverage]  # KeyPopulation value -> coverage, in KeyPopulation order


def _utc_bounds(first: date) -> tuple[datetime, datetime]:
    """The month's start and the next month's start, at the clinic's own midnight, in UTC."""
    start = clock.at(first)
    end = clock.at(next_month(first))
    return start.astimezone(UTC), end.astimezone(UTC)


def month_report(engine: Engine, first: date, today: date) -> MonthReport:
    first = first.replace(day=1)
    following, last = next_month(first), month_end(first)
    as_of = min(last, today)
    start, end = _utc_bounds(first)
    live = {"Visit": col(Visit.deleted) == False, "Followup": col(Followup.deleted) == False}
    with read_session(engine) as session:
        visits = session.execute(
            select(func.count())
            .select_from(Visit)
            .where(live["Visit"], col(Visit.visit_at) >= start, col(Visit.visit_at) < end)
        ).scalar_one()
        done = session.execute(
            select(func.count())
            .select_from(Followup)
            .where(live["Followup"], col(Followup.followup_date) >= first, col(Followup.followup_date) < following)
        ).scalar_one()
        due = session.execute(
            select(func.count())
            .select_from(Followup)
            .where(live["Followup"], col(Followup.next_date) >= first, col(Followup.next_date) < following)
        ).scalar_one()
        referrals: dict[str, dict[str, int]] = {
            direction: dict(
                session.execute(
                    select(col(Referral.status), func.count())
                    .where(
                        col(Referral.deleted) == False,
                        col(Referral.direction) == direction,
                        col(Referral.referral_date) >= first,
                        col(Referral.referral_date) < following,
                    )
                    .group_by(col(Referral.status))
                ).all()
            )
            for direction in ("up", "down")
        }
        signed = set(session.execute(select(col(Contract.resident_id)).where(in_force_on(as_of)).distinct()).scalars())
        residents = session.execute(
            select(
                col(Resident.id),
                col(Resident.birth_date),
                col(Resident.sex),
                col(Resident.chronic_conditions),
                col(Resident.manual_population_tags),
            ).where(col(Resident.deleted) == False)
        ).all()
    population = {p.value: [0, 0] for p in KeyPopulation}  # [signed, members]
    for resident in residents:
        for tag in _populations(resident, as_of):
            population[tag][1] += 1
            population[tag][0] += resident.id in signed
    everyone = sum(1 for r in residents if r.id in signed)
    return MonthReport(
        first,
        as_of,
        visits,
        done,
        due,
        referrals["up"],
        referrals["down"],
        coverage(everyone, len(residents)),
        {tag: coverage(*counts) for tag, counts in population.items()},
    )


def _populations(resident, on: date) -> frozenset[str]:
    manual = [t for t in resident.manual_population_tags or () if t in MANUAL_TAGS]
    tags = derive_key_populations(
        resident.birth_date or on, resident.sex, resident.chronic_conditions or (), manual, on
    )
    if resident.birth_date is None:  # unknown age: neither elderly nor a child
        tags -= {KeyPopulation.CHILD_0_6}
    return frozenset(t.value for t in tags)
