"""Family-doctor contracts (家庭医生签约): the one-year period, the status on a given day, the fee
split, renewal, termination, key-population tags and their coverage.

A resident has one contract at a time: periods never overlap, and a renewal (续约) starts the day
after the previous period ends. Money is integer fen (1 yuan = 100 fen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from clinic_tui.domain.age import completed_years
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_


class ContractStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRING = "expiring"
    RENEWED = "renewed"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class ContractKind(StrEnum):
    NEW = "new"
    RENEWAL = "renewal"


class TerminationReason(StrEnum):
    MOVED_AWAY = "1"
    UNREACHABLE_FOR_A_YEAR = "2"
    REFUSED_SERVICE_FOR_A_YEAR = "3"
    RESIDENT_ENDED = "4"
    DIED = "5"
    OTHER = "9"  # needs a note


class KeyPopulation(StrEnum):
    ELDERLY_65 = "elderly_65"
    CHILD_0_6 = "child_0_6"
    MATERNAL = "maternal"
    DISABLED = "disabled"
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes"
    SEVERE_MENTAL = "severe_mental"
    TUBERCULOSIS = "tuberculosis"
    POVERTY = "poverty"


STATUS_LABELS: dict[str, str] = {
    ContractStatus.PENDING: N_("Pending approval"),
    ContractStatus.ACTIVE: N_("Active"),
    ContractStatus.EXPIRING: N_("Expiring soon"),
    ContractStatus.RENEWED: N_("Renewed"),
    ContractStatus.EXPIRED: N_("Expired"),
    ContractStatus.TERMINATED: N_("Terminated"),
}
KIND_LABELS = {ContractKind.NEW: N_("New contract"), ContractKind.RENEWAL: N_("Renewal")}
TERMINATION_REASON_LABELS = {
    TerminationReason.MOVED_AWAY: N_("Moved out of the service area"),
    TerminationReason.UNREACHABLE_FOR_A_YEAR: N_("Unreachable for a year"),
    TerminationReason.REFUSED_SERVICE_FOR_A_YEAR: N_("Refused services for a year"),
    TerminationReason.RESIDENT_ENDED: N_("Ended by the resident"),
    TerminationReason.DIED: N_("Died"),
    TerminationReason.OTHER: N_("Other"),
}
KEY_POPULATION_LABELS = {  # the same wording as codes.KEY_POPULATION
    KeyPopulation.ELDERLY_65: N_("Elderly (65 and over)"),
    KeyPopulation.CHILD_0_6: N_("Children aged 0-6"),
    KeyPopulation.MATERNAL: N_("Pregnant and postpartum women"),
    KeyPopulation.DISABLED: N_("People with disabilities"),
    KeyPopulation.HYPERTENSION: N_("Hypertension patients"),
    KeyPopulation.DIABETES: N_("Type 2 diabetes patients"),
    KeyPopulation.SEVERE_MENTAL: N_("Severe mental disorder patients"),
    KeyPopulation.TUBERCULOSIS: N_("Tuberculosis patients"),
    KeyPopulation.POVERTY: N_("Poverty-alleviated population"),
}

EXPIRING_WITHIN_DAYS = 30  # "即将到期": this many days or fewer left
ELDERLY_FROM_AGE = 65
CHILD_UNTIL_AGE = 7  # "0-6 years" covers a child up to the day before the 7th birthday
KEY_POPULATION_COVERAGE_TARGET_PERCENT = 81  # by 2027 (seed 003, 大渡口区实施方案)
# Chronic conditions (CV02.10.006) that make a resident a key population.
CHRONIC_CODE_TAGS = {
    "02": KeyPopulation.HYPERTENSION,
    "03": KeyPopulation.DIABETES,
    "08": KeyPopulation.SEVERE_MENTAL,
    "09": KeyPopulation.TUBERCULOSIS,
}
# Facts no record holds (pregnancy, disability, poverty status): the doctor tags them by hand.
# The other tags are derived, so a typed-in "65+" can never contradict the birth date.
MANUAL_TAGS = frozenset({KeyPopulation.MATERNAL, KeyPopulation.DISABLED, KeyPopulation.POVERTY})
_MALE = "1"  # GB/T 2261.1
_RENEWABLE = frozenset({ContractStatus.ACTIVE, ContractStatus.EXPIRING, ContractStatus.EXPIRED})


class Period(NamedTuple):
    start: date
    end: date  # the last day covered, inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class ContractTerms:
    """What the status of a contract depends on."""

    start: date
    end: date
    approved: bool = True  # False while the township has not yet approved it (待审核)
    renewed: bool = False  # True once a renewal for the next period is signed
    terminated_on: date | None = None

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)


def default_period(start: date) -> Period:
    """One year (签约周期原则上一年): to the day before the anniversary of ``start``."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:  # 29 February: the anniversary in a common year is 1 March
        anniversary = date(start.year + 1, 3, 1)
    return Period(start, anniversary - timedelta(days=1))


def status_on(terms: ContractTerms, today: date, expiring_within_days: int = EXPIRING_WITHIN_DAYS) -> ContractStatus:
    """The status shown on ``today``; a termination or a renewal outranks the calendar."""
    if terms.terminated_on is not None and terms.terminated_on <= today:
        return ContractStatus.TERMINATED
    if terms.renewed:
        return ContractStatus.RENEWED
    if today > terms.end:
        return ContractStatus.EXPIRED
    if not terms.approved:
        return ContractStatus.PENDING
    if (terms.end - today).days <= expiring_within_days:
        return ContractStatus.EXPIRING
    return ContractStatus.ACTIVE  # including a contract signed ahead of its start


def check_fee_split(total: int, insurance: int, public_health: int, self_paid: int) -> list[Problem]:
    """The fee and its parts (insurance fund, public health funds, self-paid), all in fen."""
    amounts = {  # field names as in the data model's Contract
        "fee_total_fen": total,
        "fee_insurance_fen": insurance,
        "fee_public_health_fen": public_health,
        "fee_self_fen": self_paid,
    }
    for field, fen in amounts.items():
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise TypeError(f"{field} must be an int number of fen, got {fen!r}")
    negative = [
        Problem("contract.fee_negative", N_("An amount of money cannot be negative."), field=field)
        for field, fen in amounts.items()
        if fen < 0
    ]
    if negative:
        return negative
    parts = insurance + public_health + self_paid
    if parts == total:
        return []
    template = N_("The parts add up to ¥{parts}, not ¥{total}: they differ by ¥{difference}.")
    difference = _yuan(abs(parts - total))
    params = {"parts": _yuan(parts), "total": _yuan(total), "difference": difference}
    return [Problem("contract.fee_mismatch", template, params, field="fee_total_fen")]


def check_no_overlap(existing_periods: Iterable[tuple[date, date]], new_period: tuple[date, date]) -> list[Problem]:
    """One contract per resident at a time.

    ``existing_periods``: the resident's other contracts; pass a terminated one as ending on
    its termination date.
    """
    new = Period(*new_period)
    if new.end < new.start:
        template = N_("The contract ends before it starts.")
        return [Problem("contract.period_reversed", template, field="end_date")]
    template = N_("The resident already has a contract from {start} to {end}.")
    return [
        Problem("contract.period_overlap", template, _dates(old), field="start_date")
        for old in map(Period._make, existing_periods)
        if old.overlaps(new)
    ]


def renewal_terms(previous: ContractTerms, today: date) -> Period:
    """The period of a renewal (续签) of ``previous``, signed ``today``.

    It starts the day after the previous period ends, or today if that has already passed.
    """
    if status_on(previous, today) not in _RENEWABLE:
        template = N_("Only a signed or expired contract can be renewed, and only once.")
        raise DomainError(Problem("contract.not_renewable", template))
    return default_period(max(previous.end + timedelta(days=1), today))


def check_termination(reason_code: str | None, note: str | None, on: date, contract: ContractTerms) -> list[Problem]:
    """A termination (解约) on ``on`` needs a reason, a note for "other", a date in the period."""
    problems = []
    if contract.terminated_on is not None:
        template = N_("This contract is already terminated.")
        problems.append(Problem("contract.already_terminated", template))
    reason = "termination_reason"
    if not reason_code:
        template = N_("Choose the reason for terminating the contract.")
        problems.append(Problem("contract.termination_reason_missing", template, field=reason))
    elif not any(reason_code == r for r in TerminationReason):
        template = N_("Unknown termination reason “{code}”.")
        code, params = "contract.termination_reason_unknown", {"code": reason_code}
        problems.append(Problem(code, template, params, field=reason))
    elif reason_code == TerminationReason.OTHER and not (note or "").strip():
        template = N_("Describe the reason when it is “Other”.")
        code = "contract.termination_note_missing"
        problems.append(Problem(code, template, field="termination_note"))
    if not contract.period.contains(on):
        template = N_("The termination date must be within the contract period, {start} to {end}.")
        code = "contract.termination_outside_period"
        problems.append(Problem(code, template, _dates(contract.period), field="terminated_on"))
    return problems


def derive_key_populations(
    birth_date: date,
    sex: str,
    chronic_codes: Iterable[str],
    manual_tags: Iterable[str],
    today: date,
) -> frozenset[KeyPopulation]:
    """The resident's key-population tags: derived from age and chronic conditions, plus the
    manual ones (pregnant or postpartum, disabled, lifted out of poverty)."""
    tags: set[KeyPopulation] = set()
    age = completed_years(birth_date, today)
    if age >= ELDERLY_FROM_AGE:
        tags.add(KeyPopulation.ELDERLY_65)
    if 0 <= age < CHILD_UNTIL_AGE:  # a birth date in the future gives a negative age: no tag
        tags.add(KeyPopulation.CHILD_0_6)
    tags.update(CHRONIC_CODE_TAGS[code] for code in chronic_codes if code in CHRONIC_CODE_TAGS)
    manual = set(manual_tags)
    if not manual <= MANUAL_TAGS:
        raise ValueError(f"tags {sorted(manual - MANUAL_TAGS)} are derived, not entered by hand")
    tags.update(KeyPopulation(tag) for tag in manual)
    if sex == _MALE:
        tags.discard(KeyPopulation.MATERNAL)  # check_manual_tags tells the doctor
    return frozenset(tags)


def check_manual_tags(sex: str, manual_tags: Iterable[str]) -> list[Problem]:
    """Hand-entered tags that contradict the record (the form shows these before saving)."""
    if sex == _MALE and KeyPopulation.MATERNAL in set(manual_tags):
        template = N_("A man cannot be tagged pregnant or postpartum: check the sex or the tag.")
        return [Problem("contract.maternal_tag_male", template, field="manual_population_tags")]
    return []


@dataclass(frozen=True)
class Coverage:
    signed: int
    population: int
    target_percent: int = KEY_POPULATION_COVERAGE_TARGET_PERCENT

    @property
    def rate(self) -> float | None:
        """Share signed, from 0 to 1; None when there is nobody to cover."""
        return self.signed / self.population if self.population else None

    @property
    def still_to_sign(self) -> int:
        """How many more residents must sign to reach the target (0 once it is met)."""
        needed = -(-self.target_percent * self.population // 100)  # rounded up, in integers
        return max(0, needed - self.signed)

    @property
    def meets_target(self) -> bool:
        return self.still_to_sign == 0


def coverage(signed: int, population: int, target_percent: int = KEY_POPULATION_COVERAGE_TARGET_PERCENT) -> Coverage:
    if not 0 <= signed <= population:
        raise ValueError(f"signed must be within 0..population, got {signed} of {population}")
    return Coverage(signed, population, target_percent)


_INSTITUTION_CODE = re.compile(r"[A-Z0-9]{1,30}")
MAX_YEARLY_SEQUENCE = 99999


def make_contract_number(institution_code: str, year: int, sequence: int) -> str:
    """E.g. ``C0123-QY2025-00042``: the institution's 42nd contract (签约) of 2025."""
    code = institution_code.strip().upper()
    if not _INSTITUTION_CODE.fullmatch(code):
        raise ValueError(f"institution code must be 1-30 letters or digits: {institution_code!r}")
    if not 1 <= sequence <= MAX_YEARLY_SEQUENCE:
        raise ValueError(f"sequence must be 1..{MAX_YEARLY_SEQUENCE}, got {sequence}")
    return f"{code}-QY{year:04d}-{sequence:05d}"


def _dates(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
