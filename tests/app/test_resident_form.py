"""Registering and editing residents with the keyboard, and what that writes to the database.

The Pilot tests run the whole app on a copy of the demo database at 80x24; the service tests
below them call ``resident_service`` on a freshly migrated database.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data import resident_service
from clinic_tui.data.db import read_session
from clinic_tui.data.models import AuditEntry, OutboxEntry, Resident
from clinic_tui.domain.problems import DomainError
from clinic_tui.screens.confirm import ConfirmScreen
from clinic_tui.screens.dashboard import DashboardScreen
from clinic_tui.screens.drafts import DraftsScreen
from clinic_tui.screens.login import LoginScreen
from clinic_tui.screens.resident_form import ResidentFormScreen
from clinic_tui.screens.resident_page import ResidentScreen

ROOT = Path(__file__).resolve().parents[2]
FEMALE_ID = "11010519491231002X"  # the example of GB 11643: a woman born on 1949-12-31
DEMO_RESIDENT = ("王静娜", "20041005", "519901200410057940")  # name, birth date, ID in the demo data


# --- helpers -------------------------------------------------------------------------------


async def wait_for(pilot, condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    return path


async def sign_in(app: ClinicApp, pilot) -> None:
    """As 李建国, the first of the staff list (PIN 1234)."""
    await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
    await pilot.press("enter", *"1234", "enter")
    await wait_for(pilot, lambda: app.user_id is not None)


async def open_registration(app: ClinicApp, pilot) -> None:
    await sign_in(app, pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen))


async def fill(pilot, **typed: str) -> None:
    """Type into the fields in form order, Enter after each, up to the last one given."""
    for name in resident_service.FORM_FIELDS:
        if not typed:
            return
        text = typed.pop(name, "")
        if text:
            await pilot.press("ctrl+u", *text)  # the cursor arrives at the end: clear what is there first
        await pilot.press("enter")


def message_beside(app: ClinicApp, field: str) -> str:
    row = app.screen.form.input(field).parent
    return str(row.query_one(".field-message", Static).render())


def form_status(app: ClinicApp) -> str:
    return str(app.screen.query_one("#form-status", Static).render())


def residents_named(app: ClinicApp, name: str) -> list[Resident]:
    with read_session(app.store.engine) as session:
        return list(session.execute(select(Resident).where(Resident.name == name)).scalars())


def resident_count(app: ClinicApp) -> int:
    with read_session(app.store.engine) as session:
        return session.execute(select(func.count()).select_from(Resident)).scalar_one()


@pytest.fixture
def resident_part_merged():
    """Chinese from the shipped catalogue (the root conftest resets the language afterwards)."""
    i18n.set_language("zh")
    yield


# --- registering ---------------------------------------------------------------------------


async def test_f4_registers_a_resident_with_its_audit_entry_and_outbox_row(database: Path):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        await fill(
            pilot,
            name="王小红",
            id_number="110105 19491231 002x",
            phone="138 0013 8000",
            address="青石村3组",
            insurance_type="2",
            chronic_conditions="2 03",
        )
        form = app.screen.form
        assert (form.input("sex").value, form.input("birth_date").value) == ("2", "1949-12-31")  # from the ID

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))

        [resident] = residents_named(app, "王小红")
        assert app.screen.resident_id == resident.id
        assert (resident.id_number, resident.sex, resident.birth_date.isoformat()) == (FEMALE_ID, "2", "1949-12-31")
        assert (resident.phone, resident.address, resident.insurance_type) == ("13800138000", "青石村3组", "2")
        assert resident.chronic_conditions == ["02", "03"]
        assert (resident.revision, resident.author_id) == (1, app.user_id)
        assert resident.clinic_id == app.store.clinic().id
        with read_session(app.store.engine) as session:
            audit = session.execute(select(AuditEntry).where(AuditEntry.record_id == resident.id)).scalars().all()
            outbox = session.get(OutboxEntry, ("resident", resident.id))
        assert [(a.action, a.user_id, a.revision) for a in audit] == [("create", app.user_id, 1)]
        assert (outbox.revision, outbox.state) == (1, "pending")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("110105194912310021", "身份证号校验位不符"),  # a typo: the check character does not match
        ("1101051949123", "现在是 13 位"),
    ],
)
async def test_a_bad_id_number_shows_its_own_message_beside_the_field_and_nothing_is_saved(
    database: Path, typed: str, message: str
):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        before = resident_count(app)
        await fill(pilot, name="赵小兵", sex="1", id_number=typed)
        assert message in message_beside(app, "id_number")

        await pilot.press("ctrl+s")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ResidentFormScreen)
        assert resident_count(app) == before


async def test_a_sex_that_contradicts_the_id_is_saved_only_after_a_second_ctrl_s(database: Path):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        await fill(pilot, name="钱小梅", sex="1", id_number=FEMALE_ID)
        assert "身份证号显示是女性" in message_beside(app, "id_number")

        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ResidentFormScreen)
        assert "身份证号显示是女性" in form_status(app)
        assert residents_named(app, "钱小梅") == []

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        [resident] = residents_named(app, "钱小梅")
        assert (resident.sex, resident.id_number) == ("1", FEMALE_ID)  # as entered: the doctor confirmed


async def test_the_same_name_and_birth_date_is_pointed_out_before_saving(database: Path, resident_part_merged):
    name, born, _id_number = DEMO_RESIDENT
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        await fill(pilot, name=name, birth_date=born, id_type="02")  # household register, no number

        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ResidentFormScreen)
        assert f"可能已建档：{name} 2004-10-05" in message_beside(app, "name")
        assert name in form_status(app)
        assert len(residents_named(app, name)) == 1

        await pilot.press("ctrl+s")  # another person after all
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        registered = [r for r in residents_named(app, name) if r.id == app.screen.resident_id]
        assert [(r.id_type, r.id_number) for r in registered] == [("02", None)]


async def test_the_same_id_number_is_refused_naming_the_resident_who_has_it(database: Path):
    name, _born, id_number = DEMO_RESIDENT
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        await fill(pilot, name="王晶娜", id_number=id_number.lower())

        await pilot.press("ctrl+s")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ResidentFormScreen)
        assert name in message_beside(app, "id_number")
        assert residents_named(app, "王晶娜") == []


# --- editing, leaving, drafts --------------------------------------------------------------


async def test_editing_a_resident_bumps_its_revision_and_is_audited(database: Path):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        await fill(pilot, name="孙立新", id_number=FEMALE_ID)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        page = app.screen

        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen))
        assert app.screen.form.input("name").value == "孙立新"
        await fill(pilot, phone="13912345678")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is page)

        [resident] = residents_named(app, "孙立新")
        assert (resident.revision, resident.phone) == (2, "13912345678")
        with read_session(app.store.engine) as session:
            audit = (
                session.execute(select(AuditEntry).where(AuditEntry.record_id == resident.id).order_by(AuditEntry.id))
                .scalars()
                .all()
            )
            outbox = session.get(OutboxEntry, ("resident", resident.id))
        assert [a.action for a in audit] == ["create", "update"]
        assert audit[1].changes["phone"] == [None, "13912345678"]
        assert outbox.revision == 2
        facts = page.query_one("#resident-facts", Static)
        await wait_for(pilot, lambda: "13912345678" in str(facts.render()))  # the page reloaded


async def test_esc_on_a_dirty_form_asks_and_n_keeps_what_was_typed(database: Path):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        form_screen = app.screen
        await pilot.press(*"孙小")
        await wait_for(pilot, lambda: app.drafts.for_user(app.user_id), timeout=3)

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is form_screen)
        assert form_screen.form.input("name").value == "孙小"

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert app.drafts.for_user(app.user_id) == []


async def test_a_half_typed_form_survives_a_crash_and_is_offered_back_after_login(database: Path):
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_registration(app, pilot)
        await fill(pilot, name="周小雨", sex="2", birth_date="19900305")
        await wait_for(pilot, lambda: app.drafts.for_user(app.user_id), timeout=3)  # written 0.8 s after typing
    # Leaving run_test ends the app without saving or quitting: what a power cut leaves behind.

    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, DraftsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen))
        raw = app.screen.form.raw()
        assert (raw["name"], raw["sex"], raw["birth_date"]) == ("周小雨", "2", "19900305")
        assert app.screen.registering


# --- the checks beside the fields -----------------------------------------------------------


def test_code_lists_take_keys_codes_and_labels_in_any_order_and_point_out_the_rest():
    from clinic_tui.screens.resident_form import CHRONIC_CODES, MANUAL_TAG_CODES

    assert CHRONIC_CODES.parse("03，2 高血压、diabetes x9") == (["02", "03"], ["x9"])
    assert MANUAL_TAG_CODES.parse("3 1") == (["maternal", "poverty"], [])
    assert MANUAL_TAG_CODES.show(["maternal", "poverty"]) == "1 3"


@pytest.mark.parametrize(
    "check, text, values, codes",
    [
        ("check_id_number", "000000", {"id_type": "02"}, ["resident.placeholder_number"]),
        ("check_id_number", "E1234567", {"id_type": "03"}, []),
        ("check_id_number", FEMALE_ID, {"id_type": "01", "sex": "2"}, []),
        ("check_population_tags", "1", {"sex": "1"}, ["contract.maternal_tag_male"]),
        ("check_population_tags", "1 4", {"sex": "2"}, ["resident.unknown_code"]),
        ("check_health_record_no", "51011200100100001", {}, []),
        ("check_health_record_no", "5101120010010000", {}, ["resident.health_record_no"]),
    ],
)
def test_the_field_checks(check, text, values, codes):
    from clinic_tui.screens import resident_form

    assert [p.code for p in getattr(resident_form, check)(text, values)] == codes


# --- resident_service ----------------------------------------------------------------------


def _register(engine, clinic, doctor, **values) -> Resident:
    resident_id = resident_service.register_resident(engine, {"name": "测试", **values}, doctor.id, clinic.id)
    with read_session(engine) as session:
        return session.get(Resident, resident_id)


@pytest.mark.parametrize("typed", ["11010519491231002x", " 110105 19491231 002X ", "110105491231002"])
def test_citizen_ids_are_stored_as_18_upper_case_characters(engine, clinic, doctor, typed):
    resident = _register(engine, clinic, doctor, id_number=typed)
    assert resident.id_number == FEMALE_ID
    assert (resident.sex, resident.birth_date.isoformat()) == ("2", "1949-12-31")  # left empty: from the ID


@pytest.mark.parametrize("typed, code", [("110105194912310021", "id.checksum"), ("", "id.empty")])
def test_an_unusable_citizen_id_is_never_stored(engine, clinic, doctor, typed, code):
    with pytest.raises(DomainError) as refused:
        _register(engine, clinic, doctor, id_number=typed)
    assert refused.value.problem.code == code
    with read_session(engine) as session:
        assert session.execute(select(func.count()).select_from(Resident)).scalar_one() == 0


def test_other_documents_keep_their_number_and_may_have_none(engine, clinic, doctor):
    passport = _register(engine, clinic, doctor, id_type="03", id_number="e 1234567", sex="1")
    without = _register(engine, clinic, doctor, id_type="02", id_number="")
    assert (passport.id_type, passport.id_number, passport.sex) == ("03", "E1234567", "1")
    assert (without.id_number, without.sex) == (None, resident_service.SEX_NOT_STATED)


def test_registering_writes_the_resident_its_audit_entry_and_outbox_row_together(engine, clinic, doctor):
    resident = _register(engine, clinic, doctor, id_number=FEMALE_ID, phone="+86 138-0013-8000")
    with read_session(engine) as session:
        audit = session.execute(select(AuditEntry).where(AuditEntry.record_id == resident.id)).scalars().all()
        outbox = session.get(OutboxEntry, ("resident", resident.id))
    assert resident.phone == "13800138000"
    assert [(a.action, a.user_id) for a in audit] == [("create", doctor.id)]
    assert outbox.revision == 1


def test_a_second_resident_with_the_same_document_is_refused_with_a_message(engine, clinic, doctor):
    _register(engine, clinic, doctor, id_number=FEMALE_ID)
    with pytest.raises(DomainError) as refused:
        _register(engine, clinic, doctor, id_number="110105491231002")  # the same, in its old form
    assert refused.value.problem.code == "resident.document_taken"


def test_duplicates_tell_the_same_document_from_the_same_name_and_birth_date(engine, clinic, doctor):
    from datetime import date

    first = _register(engine, clinic, doctor, name="王芳", id_number=FEMALE_ID)
    namesake = _register(engine, clinic, doctor, name="李梅", birth_date=date(1980, 1, 2), id_type="02")

    by_document = resident_service.duplicates(engine, {"name": "别人", "id_number": "110105491231002"})
    by_name = resident_service.duplicates(engine, {"name": "李梅", "birth_date": date(1980, 1, 2), "id_type": "02"})
    assert [(d.resident.id, d.same_document) for d in by_document] == [(first.id, True)]
    assert [(d.resident.id, d.same_document) for d in by_name] == [(namesake.id, False)]
    assert resident_service.duplicates(engine, {"name": "王芳", "id_number": FEMALE_ID}, exclude_id=first.id) == []


def test_an_edit_bumps_the_revision_once_and_an_unchanged_save_writes_nothing(engine, clinic, doctor):
    resident = _register(engine, clinic, doctor, id_number=FEMALE_ID)
    values = resident_service.resident_values(engine, resident.id)
    resident_service.update_resident(engine, resident.id, {**values, "chronic_conditions": ["02"]}, doctor.id)
    resident_service.update_resident(engine, resident.id, {**values, "chronic_conditions": ["02"]}, doctor.id)
    with read_session(engine) as session:
        stored = session.get(Resident, resident.id)
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.record_id == resident.id)).scalars().all()
    assert (stored.revision, stored.chronic_conditions) == (2, ["02"])
    assert actions == ["create", "update"]


# --- translations --------------------------------------------------------------------------
