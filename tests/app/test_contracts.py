"""Family-doctor contracts by keys on the demo database: sign, refuse a wrong fee split, renew,
terminate, and the expiring list."""

from __future__ import annotations

from datetime import timedelta

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import func, select
from textual.widgets import DataTable, Static

from clinic_tui import clock
from clinic_tui.data.db import read_session
from clinic_tui.data.models import AuditEntry, Contract, OutboxEntry, Resident
from clinic_tui.screens.contract_form import ContractFormScreen
from clinic_tui.screens.contract_page import ContractScreen, TerminateDialog
from clinic_tui.screens.contracts import ContractsScreen
from clinic_tui.screens.resident_page import ResidentScreen
from clinic_tui.widgets.package_picker import PackagePicker


def _resident_without_contract(engine) -> Resident:
    with read_session(engine) as session:
        signed = select(Contract.resident_id)
        return session.execute(
            select(Resident)
            .where(Resident.id.not_in(signed), Resident.deleted == False)
            .order_by(Resident.name)
            .limit(1)
        ).scalar_one()


def _contracts_of(engine, resident_id: str) -> list[Contract]:
    with read_session(engine) as session:
        return list(
            session.execute(
                select(Contract).where(Contract.resident_id == resident_id).order_by(Contract.start_date)
            ).scalars()
        )


def _message_beside(app, field: str) -> str:
    return str(app.screen.form.input(field).parent.query_one(".field-message", Static).render())


async def _set_field(app, pilot, field: str, text: str) -> None:
    app.screen.form.input(field).focus()
    await pilot.pause()
    app.screen.form.input(field).value = ""
    await pilot.press(*text)


async def _open_form_from_resident_page(app, pilot, resident_id: str) -> ContractFormScreen:
    app.push_screen(ResidentScreen(resident_id))
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
    await pilot.press("f5")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ContractFormScreen) and getattr(app.screen.focused, "id", None) == "field-team",
    )
    return app.screen


async def test_signing_from_the_resident_page_saves_the_fee_split_audited_and_queued(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        resident = _resident_without_contract(engine)
        form = await _open_form_from_resident_page(app, pilot, resident.id)
        assert form.renew_of is None
        await pilot.press("enter", "enter")
        assert isinstance(app.focused, PackagePicker)
        before = form.picker.chosen()
        await pilot.press("down", "down", "space", "enter")  # tick (or untick) the third package
        picked = form.picker.chosen()
        assert picked != before and picked and form.form.input("package_codes").value == " ".join(picked)
        await _set_field(app, pilot, "fee_total_fen", "200")
        for field, yuan in (("fee_insurance_fen", "70"), ("fee_public_health_fen", "40"), ("fee_self_fen", "90")):
            await _set_field(app, pilot, field, yuan)
        for field in ("resident_signed", "doctor_signed"):
            await _set_field(app, pilot, field, "1")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ContractScreen))
        (contract,) = _contracts_of(engine, resident.id)
        assert contract.kind == "new" and contract.package_codes == picked
        assert (
            contract.fee_total_fen,
            contract.fee_insurance_fen,
            contract.fee_public_health_fen,
            contract.fee_self_fen,
        ) == (20000, 7000, 4000, 9000)
        assert contract.resident_signed and contract.doctor_signed and contract.status == "active"
        assert contract.end_date == contract.start_date.replace(year=contract.start_date.year + 1) - timedelta(days=1)
        assert contract.contract_no == f"QS0101-QY{clock.today().year}-{_max_sequence(engine):05d}"
        with read_session(engine) as session:
            queued = session.execute(select(OutboxEntry).where(OutboxEntry.record_id == contract.id)).scalar_one()
            audited = session.execute(select(AuditEntry).where(AuditEntry.record_id == contract.id)).scalars().all()
        assert (queued.kind, queued.revision, queued.state) == ("contract", 1, "pending")
        assert [a.action for a in audited] == ["create"]
        assert "QS0101-QY" in str(app.screen.query_one("#contract-details", Static).render())


def _max_sequence(engine) -> int:
    with read_session(engine) as session:
        latest = session.execute(
            select(func.max(Contract.contract_no)).where(
                Contract.contract_no.startswith(f"QS0101-QY{clock.today().year}")
            )
        ).scalar_one()
    return int(latest[-5:])


async def test_a_fee_split_that_does_not_add_up_is_refused_beside_the_total_in_chinese(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        resident = _resident_without_contract(engine)
        await _open_form_from_resident_page(app, pilot, resident.id)
        await _set_field(app, pilot, "fee_total_fen", "200")
        for field, yuan in (("fee_insurance_fen", "70"), ("fee_public_health_fen", "40"), ("fee_self_fen", "50")):
            await _set_field(app, pilot, field, yuan)
        for field in ("resident_signed", "doctor_signed"):
            await _set_field(app, pilot, field, "1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContractFormScreen)
        message = _message_beside(app, "fee_total_fen")
        assert message == "各分项合计160.00元，与总额200.00元不符，相差40.00元。"
        assert app.screen.form.input("fee_self_fen").value == "50"  # nothing typed is lost
        assert _contracts_of(engine, resident.id) == []


async def test_renewing_from_the_contract_page_starts_the_day_after_and_marks_the_old_renewed(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        from clinic_tui.data.contract_service import list_contracts

        old = list_contracts(engine, clock.today(), "active", limit=1)[0]
        app.push_screen(ContractScreen(old.id))
        await wait_for(pilot, lambda: isinstance(app.screen, ContractScreen) and app.screen.details is not None)
        await pilot.press("f5")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ContractFormScreen) and getattr(app.screen.focused, "id", None) == "field-team"
            ),
        )
        assert app.screen.form.input("start_date").value == (old.end + timedelta(days=1)).isoformat()
        for field in ("resident_signed", "doctor_signed"):
            await _set_field(app, pilot, field, "1")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ContractScreen) and app.screen.record_id != old.id)
        before, renewal = _contracts_of(engine, old.resident_id)[-2:]
        assert before.id == old.id and before.status == "renewed" and before.revision == 2
        assert renewal.kind == "renewal" and renewal.previous_contract_id == old.id
        assert renewal.start_date == old.end + timedelta(days=1)
        with read_session(engine) as session:
            queued = {e.record_id: e.revision for e in session.execute(select(OutboxEntry)).scalars()}
        assert queued[old.id] == 2 and queued[renewal.id] == 1


async def test_terminating_needs_a_reason_then_saves_it(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        from clinic_tui.data.contract_service import list_contracts

        target = list_contracts(engine, clock.today(), "active", limit=1)[0]
        app.push_screen(ContractScreen(target.id))
        await wait_for(pilot, lambda: isinstance(app.screen, ContractScreen) and app.screen.details is not None)
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, TerminateDialog))
        await pilot.press("ctrl+s")  # no reason yet
        await pilot.pause()
        assert isinstance(app.screen, TerminateDialog)
        assert _contracts_of(engine, target.resident_id)[-1].terminated_on is None
        await pilot.press("9", "enter", "ctrl+s")  # "other" needs a note
        await pilot.pause()
        assert isinstance(app.screen, TerminateDialog)
        await pilot.press(*"moved in with son", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ContractScreen))
        contract = next(c for c in _contracts_of(engine, target.resident_id) if c.id == target.id)
        assert (contract.termination_reason, contract.termination_note) == ("9", "moved in with son")
        assert contract.terminated_on == clock.today() and contract.status == "terminated"
        await wait_for(pilot, lambda: "moved in with son" in str(app.screen.query_one("#contract-details").render()))


async def test_the_expiring_list_shows_exactly_the_contracts_ending_within_30_days(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, ContractsScreen))
        await pilot.press("f6")
        table = app.screen.query_one(DataTable)
        today = clock.today()
        with read_session(app.store.engine) as session:
            expected = (
                session.execute(
                    select(Contract.contract_no).where(
                        Contract.deleted == False,
                        Contract.terminated_on.is_(None),
                        Contract.status.not_in(("renewed", "pending")),
                        Contract.end_date >= today,
                        Contract.end_date <= today + timedelta(days=30),
                    )
                )
                .scalars()
                .all()
            )
        assert expected
        await wait_for(pilot, lambda: app.screen.which == "expiring" and table.row_count == min(len(expected), 50))
        shown = {table.get_row_at(i)[0] for i in range(table.row_count)}
        assert shown == set(expected)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContractScreen))


async def test_a_list_answered_late_for_the_filter_left_does_not_replace_the_one_asked_for(tmp_path):
    """The list's loads run in threads; the one for the list left (in force) can end after the one
    for the list chosen (expiring): its rows are not painted over the expiring ones."""
    import threading

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        contracts = app.store.contracts  # one object per store (a cached property)
        real_page = contracts.page
        release, in_force_answered = threading.Event(), threading.Event()

        def page(today, which, **kwargs):
            if which != "active":
                return real_page(today, which, **kwargs)
            release.wait(5)  # the list in force answers late
            try:
                return real_page(today, which, **kwargs)
            finally:
                in_force_answered.set()

        contracts.page = page
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, ContractsScreen) and app.screen.is_mounted)
        await pilot.press("f6")
        screen, table = app.screen, app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        expiring = [table.get_row_at(i)[0] for i in range(table.row_count)]
        status = str(screen.query_one("#contracts-status", Static).render())
        release.set()  # now the load for the list in force answers
        await wait_for(pilot, in_force_answered.is_set)
        await pilot.pause(0.3)  # time for its answer to reach the screen, were it let through
        assert [table.get_row_at(i)[0] for i in range(table.row_count)] == expiring
        assert str(screen.query_one("#contracts-status", Static).render()) == status
        assert str(screen.query_one("#contracts-title", Static).render()) == "30天内到期的签约"
        with read_session(app.store.engine) as session:
            ends = dict(session.execute(select(Contract.contract_no, Contract.end_date)).all())
        assert all(ends[number] <= clock.today() + timedelta(days=30) for number in expiring)
