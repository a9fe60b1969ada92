"""Family-doctor contracts (家庭医生签约) for the contract screens: one read or one user action each.

The rules are the domain's (``domain.contract``): the fee split must add up, a resident has one
contract at a time, a renewal starts the day after the previous period, a termination needs a
reason. Every write goes through ``records`` so the contract, its audit entry and its outbox row
commit together; a renewal also marks the previous contract renewed in the same transaction.

The stored ``status`` is what the last write knew; what a screen shows and filters by is the
status on the day asked about (``status_case``), the same rule as ``domain.contract.status_on``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, or_, select
from sqlmodel import Session, col

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lookups import current_clinic, get_resident
from clinic_tui.data.models import Contract, Resident, ServicePackage, Staff, Team
from clinic_tui.domain.contract import (
    EXPIRING_WITHIN_DAYS,
    MANUAL_TAGS,
    ContractKind,
    ContractStatus,
    ContractTerms,
    KeyPopulation,
    check_fee_split,
    check_no_overlap,
    check_termination,
    default_period,
    derive_key_populations,
    make_contract_number,
    renewal_terms,
    status_on,
)
from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.i18n import N_

BASIC_KIND = "basic"
PAGE_SIZE = 200
FILTERS = ("active", "expiring", "expired", "terminated", "all")
# What the form edits, named as in the model.
FORM_FIELDS = (
    "team_id",
    "package_codes",
    "service_modes",
    "signed_date",
    "start_date",
    "end_date",
    "fee_total_fen",
    "fee_insurance_fen",
    "fee_public_health_fen",
    "fee_self_fen",
    "resident_signed",
    "doctor_signed",
)


@dataclass(frozen=True)
class TeamChoice:
    id: str
    name: str


@dataclass(frozen=True)
class PackageChoice:
    code: str
    name: str
    kind: str
    price_fen: int


@dataclass(frozen=True)
class Prefill:
    """What the contract form starts with for a resident (a new contract or a renewal)."""

    resident_id: str
    resident_name: str
    kind: str  # ContractKind
    renew_of: str | None
    populations: tuple[str, ...]  # derived key populations, in KeyPopulation order
    values: dict[str, Any]  # FORM_FIELDS


@dataclass(frozen=True)
class ContractRow:
    id: str
    contract_no: str
    resident_id: str
    resident_name: str
    start: date
    end: date
    status: str  # ContractStatus on the day asked about
    fee_total_fen: int


@dataclass(frozen=True)
class ContractDetails:
    id: str
    contract_no: str
    kind: str
    resident_id: str
    resident_name: str
    team_name: str | None
    doctor_name: str | None
    signed_date: date
    start: date
    end: date
    status: str
    populations: tuple[str, ...]
    packages: tuple[PackageChoice, ...]
    service_modes: tuple[str, ...]
    fee_total_fen: int
    fee_insurance_fen: int
    fee_public_health_fen: int
    fee_self_fen: int
    resident_signed: bool
    doctor_signed: bool
    terminated_on: date | None
    termination_reason: str | None
    termination_note: str | None
    previous_contract_no: str | None
    renewable: bool
    terminable: bool


# --- status on a day, in SQL -----------------------------------------------------------------


def status_case(today: date):
    """``domain.contract.status_on`` as a SQL expression over the contract table."""
    terminated = and_(col(Contract.terminated_on).is_not(None), col(Contract.terminated_on) <= today)
    return case(
        (terminated, literal(ContractStatus.TERMINATED.value)),
        (Contract.status == ContractStatus.RENEWED.value, literal(ContractStatus.RENEWED.value)),
        (Contract.end_date < today, literal(ContractStatus.EXPIRED.value)),
        (Contract.status == ContractStatus.PENDING.value, literal(ContractStatus.PENDING.value)),
        (Contract.end_date <= today + timedelta(days=EXPIRING_WITHIN_DAYS), literal(ContractStatus.EXPIRING.value)),
        else_=literal(ContractStatus.ACTIVE.value),
    )


def _terms(contract: Contract) -> ContractTerms:
    return ContractTerms(
        start=contract.start_date,
        end=contract.end_date,
        approved=contract.status != ContractStatus.PENDING,
        renewed=contract.status == ContractStatus.RENEWED,
        terminated_on=contract.terminated_on,
    )


# --- choices -----------------------------------------------------------------------------


def teams(engine: Engine) -> list[TeamChoice]:
    with read_session(engine) as session:
        rows = session.execute(
            select(Team.id, Team.name).where(Team.active == True, Team.deleted == False).order_by(Team.name)
        )
        return [TeamChoice(r.id, r.name) for r in rows]


def packages(engine: Engine) -> list[PackageChoice]:
    """Active packages, the basic one(s) first, then in key-population order."""
    with read_session(engine) as session:
        return _packages(session)


def _packages(session: Session) -> list[PackageChoice]:
    rows = session.execute(
        select(ServicePackage).where(ServicePackage.active == True, ServicePackage.deleted == False)
    ).scalars()
    order = [BASIC_KIND, *(p.value for p in KeyPopulation)]
    found = [PackageChoice(p.code, p.name, p.kind, p.price_fen) for p in rows]
    return sorted(found, key=lambda p: (order.index(p.kind) if p.kind in order else len(order), p.code))


def suggested_packages(choices: list[PackageChoice], populations: tuple[str, ...]) -> list[str]:
    """The basic package and one package for each of the resident's key populations."""
    return [p.code for p in choices if p.kind == BASIC_KIND or p.kind in populations]


# --- prefill -----------------------------------------------------------------------------


def populations_of(resident: Resident, today: date) -> tuple[str, ...]:
    manual = [tag for tag in resident.manual_population_tags or () if tag in MANUAL_TAGS]
    if resident.birth_date is None:  # no age: only the conditions and hand-entered tags count
        tags = derive_key_populations(today, resident.sex, resident.chronic_conditions or (), manual, today)
        tags = tags - {KeyPopulation.CHILD_0_6}
    else:
        tags = derive_key_populations(
            resident.birth_date, resident.sex, resident.chronic_conditions or (), manual, today
        )
    return tuple(p.value for p in KeyPopulation if p in tags)


def form_context_for(engine: Engine, resident_id: str, today: date) -> dict[str, str]:
    """The contract form's context from a resident's page: renew the contract in force, else sign."""
    with read_session(engine) as session:
        current = session.execute(
            select(Contract.id)
            .where(
                Contract.resident_id == resident_id,
                Contract.deleted == False,
                status_case(today).in_((ContractStatus.ACTIVE.value, ContractStatus.EXPIRING.value)),
            )
            .order_by(Contract.end_date.desc())
            .limit(1)
        ).scalar_one_or_none()
    return {"renew_of": current} if current else {"resident_id": resident_id}


def prefill(engine: Engine, *, today: date, resident_id: str | None = None, renew_of: str | None = None) -> Prefill:
    with read_session(engine) as session:
        previous = _contract(session, renew_of) if renew_of else None
        resident = get_resident(session, previous.resident_id if previous else resident_id)
        populations = populations_of(resident, today)
        choices = _packages(session)
        team_list = (
            session.execute(select(Team.id).where(Team.active == True, Team.deleted == False).order_by(Team.name))
            .scalars()
            .all()
        )
        if previous is not None:
            period = renewal_terms(_terms(previous), today)
            values = {name: getattr(previous, name) for name in FORM_FIELDS}
            values |= {
                "start_date": period.start,
                "end_date": period.end,
                "signed_date": today,
                "resident_signed": False,
                "doctor_signed": False,
            }
            return Prefill(resident.id, resident.name, ContractKind.RENEWAL, previous.id, populations, values)
        codes = suggested_packages(choices, populations)
        total = sum(p.price_fen for p in choices if p.code in codes)
        insurance, public_health = _usual_subsidy(session, total)
        period = default_period(today)
        values = {
            "team_id": team_list[0] if len(team_list) == 1 else None,
            "package_codes": codes,
            "service_modes": ["clinic"],
            "signed_date": today,
            "start_date": period.start,
            "end_date": period.end,
            "fee_total_fen": total,
            "fee_insurance_fen": insurance,
            "fee_public_health_fen": public_health,
            "fee_self_fen": total - insurance - public_health,
            "resident_signed": False,
            "doctor_signed": False,
        }
        return Prefill(resident.id, resident.name, ContractKind.NEW, None, populations, values)


def _usual_subsidy(session: Session, total: int) -> tuple[int, int]:
    """The insurance and public-health parts of the clinic's latest contract: its usual subsidy,
    never more than ``total`` (the rest is self-paid)."""
    latest = session.execute(
        select(Contract.fee_insurance_fen, Contract.fee_public_health_fen)
        .where(Contract.deleted == False)
        .order_by(Contract.created_at.desc())
        .limit(1)
    ).first()
    insurance, public_health = latest if latest else (0, 0)
    insurance = min(insurance, total)
    return insurance, min(public_health, total - insurance)


# --- signing and renewing ----------------------------------------------------------------


def check(engine: Engine, resident_id: str, values: dict[str, Any], *, renew_of: str | None = None) -> list[Problem]:
    """Everything that stops this contract from being signed, each problem naming its field."""
    with read_session(engine) as session:
        return _problems(session, resident_id, values, renew_of)


def _problems(session: Session, resident_id: str, values: dict[str, Any], renew_of: str | None) -> list[Problem]:
    problems = check_fee_split(
        values["fee_total_fen"], values["fee_insurance_fen"], values["fee_public_health_fen"], values["fee_self_fen"]
    )
    if not values["package_codes"]:
        problems.append(
            Problem("contract.packages_missing", N_("Choose at least one service package."), field="package_codes")
        )
    known = {p.code for p in _packages(session)}
    unknown = [code for code in values["package_codes"] if code not in known]
    if unknown:
        problems.append(
            Problem(
                "contract.package_unknown",
                N_("Unknown service package: {codes}."),
                {"codes": " ".join(unknown)},
                field="package_codes",
            )
        )
    for name, template in (
        ("resident_signed", N_("The resident must sign the contract.")),
        ("doctor_signed", N_("The family doctor must sign the contract.")),
    ):
        if values[name] is not True:
            problems.append(Problem(f"contract.{name}_missing", template, field=name))
    others = session.execute(
        select(Contract.id, Contract.start_date, Contract.end_date, Contract.terminated_on).where(
            Contract.resident_id == resident_id, Contract.deleted == False
        )
    ).all()
    periods = [
        (r.start_date, min(r.end_date, r.terminated_on) if r.terminated_on else r.end_date)
        for r in others
        if r.id != renew_of and not (r.terminated_on and r.terminated_on < r.start_date)
    ]
    problems += check_no_overlap(periods, (values["start_date"], values["end_date"]))
    return problems


def sign(
    engine: Engine,
    *,
    resident_id: str,
    values: dict[str, Any],
    user_id: str | None,
    today: date,
    renew_of: str | None = None,
) -> str:
    """Sign a new contract, or renew ``renew_of``; returns the new contract's id.

    Raises ``DomainError`` with the first problem (nothing written) when a rule refuses it.
    """
    unknown = set(values) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"not contract form fields: {sorted(unknown)}")
    with unit_of_work(engine) as session:
        previous = _contract(session, renew_of) if renew_of else None
        if previous is not None:
            renewal_terms(_terms(previous), today)  # refuses a contract that cannot be renewed
            resident_id = previous.resident_id
        resident = get_resident(session, resident_id)
        problems = [p for p in _problems(session, resident_id, values, renew_of) if p.severity is Severity.ERROR]
        if problems:
            raise DomainError(problems[0])
        clinic = current_clinic(session)
        year = values["signed_date"].year
        contract = Contract(
            clinic_id=clinic.id,
            contract_no=_next_number(session, clinic.code, year),
            kind=ContractKind.RENEWAL if previous else ContractKind.NEW,
            resident_id=resident.id,
            year=year,
            org_code=clinic.code,
            doctor_id=user_id,
            operator_id=user_id,
            population_tags=list(populations_of(resident, today)),
            previous_contract_id=previous.id if previous else None,
            **values,
        )
        signed = ContractTerms(contract.start_date, contract.end_date)  # signed and approved here
        contract.status = status_on(signed, today).value
        records.create(session, contract, user_id)
        if previous is not None:
            records.update(session, previous, {"status": ContractStatus.RENEWED.value}, user_id)
        return contract.id


def _next_number(session: Session, code: str, year: int) -> str:
    prefix = make_contract_number(code, year, 1)[:-5]
    latest = session.execute(
        select(func.max(Contract.contract_no)).where(Contract.contract_no.startswith(prefix))
    ).scalar_one_or_none()
    sequence = int(latest[-5:]) + 1 if latest and latest[-5:].isdigit() else 1
    return make_contract_number(code, year, sequence)


# --- terminating ---------------------------------------------------------------------------


def terminate(
    engine: Engine,
    contract_id: str,
    *,
    reason_code: str | None,
    note: str | None,
    on: date,
    user_id: str | None,
    today: date,
) -> None:
    """End the contract on ``on`` for a reason (解约). Raises ``DomainError``; nothing written then."""
    note = (note or "").strip() or None
    with unit_of_work(engine) as session:
        contract = _contract(session, contract_id)
        problems = check_termination(reason_code, note, on, _terms(contract))
        if problems:
            raise DomainError(problems[0])
        terms = _terms(contract)
        ended = ContractTerms(terms.start, terms.end, terms.approved, terms.renewed, terminated_on=on)
        records.update(
            session,
            contract,
            {
                "terminated_on": on,
                "termination_reason": reason_code,
                "termination_note": note,
                "status": status_on(ended, today).value,
            },
            user_id,
        )


def termination_problems(
    engine: Engine, contract_id: str, reason_code: str | None, note: str | None, on: date
) -> list[Problem]:
    with read_session(engine) as session:
        return check_termination(reason_code, (note or "").strip() or None, on, _terms(_contract(session, contract_id)))


# --- reading -------------------------------------------------------------------------------


def _contract(session: Session, contract_id: str) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None or contract.deleted:
        raise DomainError(Problem("contract.missing", N_("This contract is no longer on file.")))
    return contract


def details(engine: Engine, contract_id: str, today: date) -> ContractDetails:
    with read_session(engine) as session:
        c = _contract(session, contract_id)
        resident = session.get(Resident, c.resident_id)
        team = session.get(Team, c.team_id) if c.team_id else None
        doctor = session.get(Staff, c.doctor_id) if c.doctor_id else None
        previous = session.get(Contract, c.previous_contract_id) if c.previous_contract_id else None
        by_code = {p.code: p for p in _packages(session)}
        status = status_on(_terms(c), today)
        return ContractDetails(
            c.id,
            c.contract_no,
            c.kind,
            c.resident_id,
            resident.name if resident else "",
            team.name if team else None,
            doctor.name if doctor else None,
            c.signed_date,
            c.start_date,
            c.end_date,
            status.value,
            tuple(c.population_tags or ()),
            tuple(by_code.get(code, PackageChoice(code, code, "", 0)) for code in c.package_codes or ()),
            tuple(c.service_modes or ()),
            c.fee_total_fen,
            c.fee_insurance_fen,
            c.fee_public_health_fen,
            c.fee_self_fen,
            c.resident_signed,
            c.doctor_signed,
            c.terminated_on,
            c.termination_reason,
            c.termination_note,
            previous.contract_no if previous else None,
            renewable=status in (ContractStatus.ACTIVE, ContractStatus.EXPIRING, ContractStatus.EXPIRED),
            terminable=c.terminated_on is None and status is not ContractStatus.RENEWED,
        )


def _filtered(today: date, which: str):
    if which not in FILTERS:
        raise ValueError(f"unknown contract filter {which!r}")
    status = status_case(today)
    query = (
        select(
            Contract.id,
            Contract.contract_no,
            Contract.resident_id,
            Resident.name,
            Contract.start_date,
            Contract.end_date,
            status.label("shown_status"),
            Contract.fee_total_fen,
        )
        .join(Resident, Resident.id == Contract.resident_id)
        .where(Contract.deleted == False)
    )
    if which != "all":
        query = query.where(status == which)
    return query


def list_contracts(
    engine: Engine, today: date, which: str = "active", *, limit: int = PAGE_SIZE, offset: int = 0
) -> list[ContractRow]:
    """One page of contracts in ``which`` status on ``today``; the soonest to end first."""
    query = _filtered(today, which).order_by(Contract.end_date, Contract.contract_no).limit(limit).offset(offset)
    with read_session(engine) as session:
        return [ContractRow(*row) for row in session.execute(query)]


def count_contracts(engine: Engine, today: date, which: str = "active") -> int:
    with read_session(engine) as session:
        return session.execute(select(func.count()).select_from(_filtered(today, which).subquery())).scalar_one()


def expiring(engine: Engine, today: date, *, limit: int = PAGE_SIZE) -> list[ContractRow]:
    """Contracts ending within the next 30 days and not yet renewed (即将到期)."""
    return list_contracts(engine, today, "expiring", limit=limit)


def in_force_on(day: date):
    """A SQL condition: the contract covers ``day`` (signed, approved, not ended)."""
    return and_(
        Contract.deleted == False,
        Contract.status != ContractStatus.PENDING.value,
        Contract.start_date <= day,
        Contract.end_date >= day,
        or_(col(Contract.terminated_on).is_(None), col(Contract.terminated_on) > day),
    )
