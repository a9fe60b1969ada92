"""The resident page: facts on top, the timeline newest first, and the keys that start work.

The Pilot tests run the whole app on a copy of the demo database at 80x24 (the visit and
follow-up forms are replaced by a stand-in: they belong to another part of the app); the
service tests below call ``resident_service`` on a freshly migrated database.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import event, func, select
from textual.screen import Screen
from textual.widgets import DataTable, Static

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data import records, resident_service
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import Contract, Followup, Referral, Resident, Task, Visit
from clinic_tui.screens import routes
from clinic_tui.screens.dashboard import DashboardScreen
from clinic_tui.screens.login import LoginScreen
from clinic_tui.screens.resident_page import ResidentScreen, facts_text
from clinic_tui.screens.residents import ResidentsScreen

BUSY_RESIDENT = "刘凤兰"  # in the demo data: hypertension and diabetes, visits, follow-ups, referrals


# --- helpers -------------------------------------------------------------------------------


async def wait_for(pilot, condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


class StandInForm(Screen):
    """Takes the place of the visit and follow-up forms; remembers how it was opened."""

    BINDINGS = [("escape", "app.pop_screen")]

    def __init__(
        self, form: str, *, record_id: str | None = None, context: dict | None = None, read_only: bool = False
    ):
        super().__init__()
        self.form, self.record_id, self.context, self.read_only = form, record_id, context, read_only


@pytest.fixture
def stand_in_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes, "form_class", lambda form: partial(StandInForm, form))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    return path


def demo_resident_id(database: Path, name: str) -> str:
    from clinic_tui.data.migrate import open_database

    opened = open_database(database)
    try:
        with read_session(opened.engine) as session:
            return session.execute(select(Resident.id).where(Resident.name == name)).scalar_one()
    finally:
        opened.engine.dispose()


async def open_page(app: ClinicApp, pilot, name: str) -> ResidentScreen:
    """Sign in as 李建国 (PIN 1234), find the resident with F3 and open their page with Enter."""
    await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
    await pilot.press("enter", *"1234", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))
    await pilot.press(*name)
    results = app.screen.query_one(DataTable)
    await wait_for(pilot, lambda: results.row_count == 1)
    await pilot.press("enter")  # Enter in the search box opens the resident highlighted
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
    page = app.screen
    await wait_for(pilot, lambda: page.query_one(DataTable).row_count > 0)
    return page


def timeline_rows(page: ResidentScreen) -> list[tuple[str, str]]:
    """(date, row key) of every row, top to bottom."""
    table = page.query_one(DataTable)
    return [
        (table.get_row_at(i)[0], table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)
    ]


def records_of(engine, resident_id: str) -> int:
    with read_session(engine) as session:
        return sum(
            session.execute(
                select(func.count()).select_from(model).where(model.resident_id == resident_id)
            ).scalar_one()
            for model in (Visit, Followup, Referral, Contract, Task)
        )


# --- the page ------------------------------------------------------------------------------


async def test_the_page_shows_the_facts_and_every_record_newest_first(database: Path, stand_in_forms):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_page(app, pilot, BUSY_RESIDENT)
        facts = str(page.query_one("#resident-facts", Static).render())
        assert BUSY_RESIDENT in facts and "高血压" in facts and "糖尿病" in facts
        rows = timeline_rows(page)
        assert len(rows) == records_of(app.store.engine, page.resident_id) >= 20
        assert [day for day, _key in rows] == sorted((day for day, _key in rows), reverse=True)
        assert {key.split(":")[0] for _day, key in rows} >= {"visit", "followup", "referral"}


async def test_enter_opens_the_record_under_the_cursor(database: Path, stand_in_forms):
    resident_id = demo_resident_id(database, BUSY_RESIDENT)
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_page(app, pilot, BUSY_RESIDENT)
        kind, record_id = timeline_rows(page)[1][1].split(":")
        assert kind in ("visit", "followup")  # the demo data: the newest records are clinical
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StandInForm))
        assert (app.screen.form, app.screen.record_id) == (kind, record_id)
        assert app.screen.context == {"resident_id": resident_id}
        assert app.screen.read_only  # a past record is opened to be read (F6 edits it)


@pytest.mark.parametrize("key, form", [("f7", "visit"), ("f8", "followup")])
async def test_f7_and_f8_start_a_visit_or_follow_up_for_this_resident(database: Path, stand_in_forms, key, form):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_page(app, pilot, BUSY_RESIDENT)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, StandInForm))
        assert (app.screen.form, app.screen.record_id) == (form, None)
        assert app.screen.context == {"resident_id": page.resident_id}


async def test_coming_back_to_the_page_shows_what_was_saved_meanwhile(database: Path, stand_in_forms):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_page(app, pilot, BUSY_RESIDENT)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, StandInForm))
        with unit_of_work(app.store.engine) as session:  # what the visit form would save
            visit = records.create(
                session,
                Visit(
                    clinic_id=app.store.clinic().id,
                    resident_id=page.resident_id,
                    visit_at=datetime.now(UTC),
                    chief_complaint="咳嗽三天",
                ),
                app.user_id,
            )

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is page)
        await wait_for(pilot, lambda: timeline_rows(page)[0][1] == f"visit:{visit.id}")
        assert "咳嗽三天" in page.query_one(DataTable).get_row_at(0)[2]


async def test_a_new_visit_line_shows_its_complaint_and_diagnosis_cut_to_the_width(database: Path, stand_in_forms):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_page(app, pilot, BUSY_RESIDENT)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, StandInForm))
        with unit_of_work(app.store.engine) as session:
            visit = records.create(
                session,
                Visit(
                    clinic_id=app.store.clinic().id,
                    resident_id=page.resident_id,
                    mode="1",
                    visit_at=datetime.now(UTC),
                    chief_complaint="头晕两天",
                    sbp=128,
                    dbp=82,
                    diagnoses=[
                        {"code": "I10", "name": "特发性(原发性)高血压"},
                        {"code": "E11.9", "name": "2型糖尿病不伴有并发症"},
                    ],
                ),
                app.user_id,
            )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is page and timeline_rows(page)[0][1] == f"visit:{visit.id}")
        await pilot.pause()
        table = page.query_one(DataTable)
        # What the terminal shows, not what the table holds: a row drawn before the table measured
        # it used to stay cut at the width of the column title.
        drawn = table.render_line(1).text
        assert "门诊 · 头晕两天 · I10 特发性(原发性)高血压" in drawn
        assert cell_len(drawn.rstrip()) <= table.size.width
        await pilot.resize_terminal(60, 24)
        await wait_for(pilot, lambda: "…" in table.render_line(1).text)
        assert "头晕两天" in table.render_line(1).text and cell_len(table.render_line(1).text.rstrip()) <= 60


async def test_a_long_history_opens_with_the_newest_and_f9_shows_older_records(database: Path):
    resident_id = demo_resident_id(database, BUSY_RESIDENT)
    from clinic_tui.data.migrate import open_database

    opened = open_database(database)
    with unit_of_work(opened.engine) as session:
        clinic_id = session.get(Resident, resident_id).clinic_id
        start = datetime(2020, 1, 1, tzinfo=UTC)
        for day in range(150):
            records.create(
                session, Visit(clinic_id=clinic_id, resident_id=resident_id, visit_at=start + timedelta(days=day)), None
            )
    total = records_of(opened.engine, resident_id)
    opened.engine.dispose()

    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_page(app, pilot, BUSY_RESIDENT)
        table = page.query_one(DataTable)
        assert table.row_count == resident_service.TIMELINE_LIMIT
        assert str(total - resident_service.TIMELINE_LIMIT) in str(page.query_one("#timeline-more", Static).render())
        await pilot.press("f9")
        await wait_for(pilot, lambda: table.row_count == total)
        assert str(page.query_one("#timeline-more", Static).render()) == ""


def test_the_facts_read_as_three_lines_in_english():
    i18n.set_language("en")
    facts = resident_service.ResidentFacts(
        id="r",
        name="王芳",
        sex="2",
        birth_date=date(1950, 3, 1),
        age=76,
        id_type="01",
        masked_id_number="1101**********002X",
        phone="13800138000",
        address=None,
        chronic_conditions=["02"],
        key_populations=["elderly_65", "hypertension"],
        contract=resident_service.ContractFacts("C1-QY2026-00001", date(2026, 1, 1), date(2026, 12, 31), "Active"),
    )
    assert facts_text(facts).splitlines() == [
        "王芳  Female  76 years  1950-03-01  1101**********002X  13800138000",
        "Chronic: Hypertension  Key populations: Elderly (65 and over), Hypertension patients",
        "Contract C1-QY2026-00001, 2026-01-01 to 2026-12-31, Active",
    ]


# --- resident_service: facts and timeline ---------------------------------------------------


TODAY = date(2026, 11, 23)


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        return records.create(
            session,
            Resident(
                clinic_id=clinic.id,
                name="王芳",
                sex="2",
                birth_date=date(1950, 3, 1),
                id_number="11010519491231002X",
                chronic_conditions=["02"],
                manual_population_tags=["poverty"],
            ),
            doctor.id,
        )


def _add(engine, *rows) -> None:
    with unit_of_work(engine) as session:
        for row in rows:
            records.create(session, row, None)


def test_the_timeline_merges_every_kind_newest_first(engine, clinic, resident):
    ids = dict(clinic_id=clinic.id, resident_id=resident.id)
    _add(
        engine,
        Visit(**ids, visit_at=datetime(2026, 11, 20, 2, tzinfo=UTC), chief_complaint="头晕", sbp=150, dbp=95),
        Followup(
            **ids,
            disease="hypertension",
            followup_date=date(2026, 11, 21),
            sbp=138,
            dbp=85,
            classification="1",
            next_date=date(2027, 2, 21),
        ),
        Referral(
            **ids,
            referral_no="C1-20261122-0001",
            direction="up",
            status="sent",
            referral_date=date(2026, 11, 22),
            patient_name="王芳",
            to_org_name="县人民医院",
        ),
        Referral(
            **ids,
            referral_no="H1-20261101-0001",
            origin="hub",
            direction="down",
            status="received",
            referral_date=date(2026, 11, 1),
            patient_name="王芳",
            from_org_name="县人民医院",
        ),
        Contract(
            **ids,
            contract_no="C1-QY2026-00001",
            year=2026,
            signed_date=date(2025, 12, 20),
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            status="active",
        ),
        Task(**ids, kind="referral_check", title="跟进转诊", due_date=date(2026, 12, 6)),
    )
    i18n.set_language("en")

    page = resident_service.timeline(engine, resident.id, TODAY)

    assert [(item.kind, item.day.isoformat()) for item in page.items] == [
        ("task", "2026-12-06"),
        ("referral", "2026-11-22"),
        ("followup", "2026-11-21"),
        ("visit", "2026-11-20"),
        ("referral", "2026-11-01"),
        ("contract", "2026-01-01"),
    ]
    summaries = [item.summary for item in page.items]
    assert summaries[1] == "Upward referral · C1-20261122-0001 · 县人民医院 · Awaiting hospital answer"
    assert summaries[4] == "Downward referral · H1-20261101-0001 · 县人民医院 · Awaiting confirmation"
    assert summaries[5] == "C1-QY2026-00001 · 2026-01-01 to 2026-12-31 · Active"
    assert "BP 138/85" in summaries[2] and "Controlled" in summaries[2]
    assert page.more == 0


def test_a_resident_with_300_visits_gets_the_newest_page_and_a_count_of_the_rest(engine, clinic, resident):
    start = datetime(2020, 1, 1, 8, tzinfo=UTC)
    _add(
        engine,
        *(Visit(clinic_id=clinic.id, resident_id=resident.id, visit_at=start + timedelta(days=n)) for n in range(300)),
    )

    page = resident_service.timeline(engine, resident.id, TODAY, limit=50)

    assert len(page.items) == 50 and page.more == 250
    assert page.items[0].day == (start + timedelta(days=299)).astimezone().date()
    assert [i.day for i in page.items] == sorted((i.day for i in page.items), reverse=True)


def test_every_query_of_the_page_searches_an_index_and_never_scans_a_table(engine, clinic, resident):
    _add(engine, Visit(clinic_id=clinic.id, resident_id=resident.id, visit_at=datetime.now(UTC)))
    statements = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        resident_service.timeline(engine, resident.id, TODAY)
        resident_service.resident_facts(engine, resident.id, TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert len(statements) >= 11  # a count and a page for each of the five kinds, then the facts
    with engine.connect() as connection:
        plans = [
            " / ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in statements
        ]
    assert [plan for plan in plans if "SCAN " in plan.replace("SCAN CONSTANT ROW", "")] == []


def test_the_facts_derive_age_key_populations_and_the_contract_in_force(engine, clinic, resident):
    ids = dict(clinic_id=clinic.id, resident_id=resident.id)
    _add(
        engine,
        Contract(
            **ids,
            contract_no="C1-QY2025-00001",
            year=2025,
            signed_date=date(2025, 1, 1),
            start_date=date(2025, 1, 1),
            end_date=date(2025, 12, 31),
            status="renewed",
        ),
        Contract(
            **ids,
            contract_no="C1-QY2026-00001",
            year=2026,
            signed_date=date(2025, 12, 20),
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            status="expiring",
        ),
    )

    facts = resident_service.resident_facts(engine, resident.id, TODAY)

    assert (facts.age, facts.masked_id_number) == (76, "1101**********002X")
    assert facts.key_populations == ["elderly_65", "hypertension", "poverty"]
    assert facts.contract.contract_no == "C1-QY2026-00001"
    assert resident_service.resident_facts(engine, resident.id, date(2027, 1, 1)).contract is None
