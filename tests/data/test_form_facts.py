"""The facts a form shows about its resident, read in plain SQLite (data/form_facts.py), are those
the ORM reads (lookups.resident_facts): on every resident of the demo database."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import update

from clinic_tui.config import EXAMPLE_DATABASE
from clinic_tui.data.db import open_engine, unit_of_work
from clinic_tui.data.form_facts import read_form_facts
from clinic_tui.data.lookups import resident_facts
from clinic_tui.data.models import Resident
from clinic_tui.data.sqlite_file import reading
from clinic_tui.domain.problems import DomainError


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    engine = open_engine(path)
    yield path, engine
    engine.dispose()


def test_plain_facts_are_the_orms_for_every_resident_of_the_demo(demo):
    path, engine = demo
    with reading(path) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM resident WHERE NOT deleted")]
        plain = {resident_id: read_form_facts(connection, resident_id) for resident_id in ids}
    assert len(ids) > 20
    assert {resident_id: resident_facts(engine, resident_id) for resident_id in ids} == plain
    assert any(facts.latest_visit is not None for facts in plain.values())
    assert any(facts.latest_visit is None for facts in plain.values())
    assert any(facts.chronic_conditions for facts in plain.values())
    assert all(f.latest_visit.visit_at.tzinfo is not None for f in plain.values() if f.latest_visit)


def test_a_deleted_or_unknown_resident_is_refused_alike(demo):
    path, engine = demo
    with reading(path) as connection:
        some = connection.execute("SELECT id FROM resident WHERE NOT deleted LIMIT 1").fetchone()[0]
    with unit_of_work(engine) as session:
        session.execute(update(Resident).where(Resident.id == some).values(deleted=True))
    for resident_id in (some, "no-such-id"):
        with pytest.raises(DomainError) as orm:
            resident_facts(engine, resident_id)
        with reading(path) as connection, pytest.raises(DomainError) as plain:
            read_form_facts(connection, resident_id)
        assert plain.value.problem == orm.value.problem
