"""contract_service on a fresh database: prefill, sign, overlap, renew, terminate, statuses in SQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clinic_tui.data import contract_service as contracts
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import Contract, OutboxEntry, Resident, ServicePackage, Team
from clinic_tui.domain.contract import ContractStatus, status_on
from clinic_tui.domain.problems import DomainError


@pytest.fixture
def setup(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        records.create(session, Team(clinic_id=clinic.id, name="一组", leader_id=doctor.id), doctor.id)
        for code, name, kind, price in (
            ("JC", "基础包", "basic", 12000),
            ("GXY", "高血压包", "hypertension", 6000),
            ("LN", "老年人包", "elderly_65", 6000),
            ("ET", "儿童包", "child_0_6", 5000),
        ):
            records.create(
                session,
                ServicePackage(clinic_id=clinic.id, code=code, name=name, kind=kind, price_fen=price),
                doctor.id,
            )
        elder = records.create(
            session,
            Resident(
                clinic_id=clinic.id, name="王大爷", sex="1", birth_date=date(1950, 3, 1), chronic_conditions=["02"]
            ),
            doctor.id,
        )
    return elder.id


def _values(prefill, **changes):
    return prefill.values | {"resident_signed": True, "doctor_signed": True} | changes


def test_prefill_derives_populations_and_suggests_their_packages_with_the_total(engine, setup, today):
    prefill = contracts.prefill(engine, today=today, resident_id=setup)
    assert prefill.populations == ("elderly_65", "hypertension")
    assert prefill.values["package_codes"] == ["JC", "LN", "GXY"]
    assert prefill.values["fee_total_fen"] == 24000 == prefill.values["fee_self_fen"]  # no earlier subsidy
    assert (prefill.values["start_date"], prefill.values["end_date"]) == (today, date(2027, 11, 22))


def test_sign_writes_the_contract_with_its_outbox_row_and_refuses_an_overlap(engine, setup, doctor, today):
    prefill = contracts.prefill(engine, today=today, resident_id=setup)
    contract_id = contracts.sign(engine, resident_id=setup, values=_values(prefill), user_id=doctor.id, today=today)
    with read_session(engine) as session:
        contract = session.get(Contract, contract_id)
        queued = session.execute(select(OutboxEntry).where(OutboxEntry.record_id == contract_id)).scalar_one()
    assert contract.contract_no == "510112001-QY2026-00001" and contract.status == "active"
    assert contract.population_tags == ["elderly_65", "hypertension"] and queued.kind == "contract"
    again = contracts.prefill(engine, today=today, resident_id=setup)
    with pytest.raises(DomainError) as refused:
        contracts.sign(engine, resident_id=setup, values=_values(again), user_id=doctor.id, today=today)
    assert refused.value.problem.code == "contract.period_overlap"
    assert contracts.count_contracts(engine, today, "all") == 1


def test_sign_refuses_an_unbalanced_split_and_a_missing_signature(engine, setup, doctor, today):
    prefill = contracts.prefill(engine, today=today, resident_id=setup)
    problems = contracts.check(engine, setup, _values(prefill, fee_self_fen=100, doctor_signed=False))
    assert {p.code for p in problems} == {"contract.fee_mismatch", "contract.doctor_signed_missing"}
    with pytest.raises(DomainError):
        contracts.sign(
            engine, resident_id=setup, values=_values(prefill, fee_self_fen=100), user_id=doctor.id, today=today
        )
    assert contracts.count_contracts(engine, today, "all") == 0


def test_renew_then_terminate_and_the_sql_status_agrees_with_the_domain(engine, setup, doctor, today):
    prefill = contracts.prefill(engine, today=today - timedelta(days=350), resident_id=setup)
    first = contracts.sign(engine, resident_id=setup, values=_values(prefill), user_id=doctor.id, today=today)
    assert contracts.form_context_for(engine, setup, today) == {"renew_of": first}
    assert [r.id for r in contracts.expiring(engine, today)] == [first]
    renewal = contracts.prefill(engine, today=today, renew_of=first)
    assert renewal.values["start_date"] == prefill.values["end_date"] + timedelta(days=1)
    second = contracts.sign(
        engine, resident_id=setup, values=_values(renewal), user_id=doctor.id, today=today, renew_of=first
    )
    with pytest.raises(DomainError):  # only once
        contracts.prefill(engine, today=today, renew_of=first)
    assert (
        contracts.termination_problems(engine, second, None, None, today)[0].code
        == "contract.termination_reason_missing"
    )
    on = renewal.values["start_date"] + timedelta(days=3)
    contracts.terminate(engine, second, reason_code="5", note=None, on=on, user_id=doctor.id, today=on)
    for day in (today, on, on + timedelta(days=400)):
        with read_session(engine) as session:
            rows = session.execute(select(Contract, contracts.status_case(day))).all()
        for contract, shown in rows:
            assert shown == status_on(contracts._terms(contract), day).value
    assert contracts.details(engine, first, today).status == ContractStatus.RENEWED
    assert contracts.details(engine, second, on).status == ContractStatus.TERMINATED
    assert [r.id for r in contracts.list_contracts(engine, on, "terminated")] == [second]
