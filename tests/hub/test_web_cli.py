"""``clinic-hub staff set-password | unlock``: web desk passwords from the command line."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from clinic_hub.cli import main
from clinic_hub.db import make_engine
from clinic_hub.web import auth

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["migrate", "--db", url]) == 0
    return url


def _add_staff(db, capsys, name="分诊台", role="desk") -> str:
    assert main(["add-staff", "--db", db, "--name", name, "--role", role]) == 0
    return capsys.readouterr().out.split()[1]


def _set_password(db, capsys, monkeypatch, staff_id, password, *extra) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))  # not a terminal: one line
    code = main(["staff", "set-password", "--db", db, "--staff", staff_id, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_set_password_from_stdin_then_sign_in_and_the_token_still_works(db, capsys, monkeypatch):
    staff_id = _add_staff(db, capsys, role="doctor")
    code, out, _ = _set_password(db, capsys, monkeypatch, staff_id, "心内科 password 1")
    assert code == 0 and "'分诊台'" in out and "doctor" in out
    engine = make_engine(db)
    assert auth.sign_in(engine, "分诊台", "心内科 password 1").outcome == "ok"
    assert auth.sign_in(engine, "分诊台", "wrong").outcome == "wrong"
    with engine.begin() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM staff_login")).scalar_one()
        assert stored.startswith("$argon2id$") and "password" not in stored
        tokens = conn.execute(sa.text("SELECT count(*) FROM api_token WHERE revoked_at IS NULL")).scalar_one()
        assert tokens == 1
        actions = conn.execute(sa.text("SELECT action FROM audit_log")).scalars().all()
        assert "cli.staff.set_password" in actions


def test_passwords_too_short_and_taken_logins_are_refused(db, capsys, monkeypatch):
    first, second = _add_staff(db, capsys), _add_staff(db, capsys, name="另一位")
    code, _out, err = _set_password(db, capsys, monkeypatch, first, "short")
    assert code == 1 and "at least 8" in err
    assert _set_password(db, capsys, monkeypatch, first, "long enough one", "--login", "nurse")[0] == 0
    code, _out, err = _set_password(db, capsys, monkeypatch, second, "long enough two", "--login", "nurse")
    assert code == 1 and "already used" in err
    assert _set_password(db, capsys, monkeypatch, "no-such-id", "long enough three")[0] == 1


def test_unlock_clears_a_lockout_and_a_new_password_ends_open_sessions(db, capsys, monkeypatch):
    staff_id = _add_staff(db, capsys)
    _set_password(db, capsys, monkeypatch, staff_id, "first password")
    engine = make_engine(db)
    for _ in range(auth.MAX_FAILURES):
        auth.sign_in(engine, "分诊台", "wrong")
    assert auth.sign_in(engine, "分诊台", "first password").outcome == "locked"
    assert main(["staff", "unlock", "--db", db, "--staff", staff_id]) == 0
    assert auth.sign_in(engine, "分诊台", "first password").outcome == "ok"
    with engine.begin() as conn:
        session = auth.start_session(conn, staff_id)
    _set_password(db, capsys, monkeypatch, staff_id, "second password")
    with engine.begin() as conn:
        assert auth.load_session(conn, session) is None


def test_a_doctors_department_is_set_with_the_password(db, capsys, monkeypatch):
    from clinic_hub import directory

    engine = make_engine(db)
    with engine.begin() as conn:
        directory.upsert_department(conn, "NEI", "心血管内科", 30)
    staff_id = _add_staff(db, capsys, role="doctor")
    code, _out, err = _set_password(db, capsys, monkeypatch, staff_id, "long enough one", "--department", "XX")
    assert code == 1 and "no department XX" in err
    assert _set_password(db, capsys, monkeypatch, staff_id, "long enough one", "--department", "NEI")[0] == 0
    assert _set_password(db, capsys, monkeypatch, staff_id, "long enough two")[0] == 0  # kept
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT department_code FROM staff_login")).scalar_one() == "NEI"
