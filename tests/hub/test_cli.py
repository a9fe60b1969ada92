"""The clinic-hub command line, run through its main function with argv."""

from __future__ import annotations

import json
import uuid
from datetime import UTC

import pytest

from clinic_hub import accounts, migrate
from clinic_hub import push as push_service
from clinic_hub.cli import main
from clinic_hub.db import make_engine
from tests.hub.conftest import make_referral


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["migrate", "--db", url]) == 0
    return url


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _token_from(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_migrate_is_idempotent_and_reports_the_epoch(db, capsys):
    code, out, _ = run(capsys, "migrate", "--db", db)
    assert code == 0 and f"revision {migrate.current_revision(make_engine(db))}" in out and "epoch" in out


def test_add_clinic_rotate_and_revoke(db, capsys):
    engine = make_engine(db)
    code, out, _ = run(capsys, "add-clinic", "--db", db, "--code", "C01", "--name", "东村卫生室")
    first = _token_from(out)
    assert code == 0 and first.startswith("chub_") and len(first) > 40
    with engine.connect() as conn:
        assert accounts.authenticate(conn, first).clinic_code == "C01"
    assert run(capsys, "add-clinic", "--db", db, "--code", "C01", "--name", "again")[0] == 1
    code, out, _ = run(capsys, "rotate-token", "--db", db, "--clinic", "C01")
    second = _token_from(out)
    with engine.connect() as conn:
        assert accounts.authenticate(conn, first) is None
        assert accounts.authenticate(conn, second).clinic_code == "C01"
    assert run(capsys, "revoke-token", "--db", db, "--clinic", "C01")[0] == 0
    with engine.connect() as conn:
        assert accounts.authenticate(conn, second) is None
    code, out, _ = run(capsys, "add-staff", "--db", db, "--name", "分诊台", "--role", "desk")
    with engine.connect() as conn:
        assert accounts.authenticate(conn, _token_from(out)).role == "desk"
    assert run(capsys, "rotate-token", "--db", db, "--clinic", "NOPE")[0] == 1


def test_directory_import_toml_and_csv_and_set_slots(db, capsys, tmp_path):
    toml_file = tmp_path / "directory.toml"
    toml_file.write_text(
        """
[hospital]
code = "H01"
name = "县人民医院"

[[departments]]
code = "NEI"
name = "心血管内科"
daily_outpatient_slots = 10

[[slots]]
department = "NEI"
date = 2025-07-01
total = 30
""",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "directory", "import", "--db", db, str(toml_file), "--days", "3")
    assert code == 0, err
    assert "1 departments" in out and "3 department-days" in out
    csv_file = tmp_path / "directory.csv"
    csv_file.write_text(
        "department_code,department_name,daily_outpatient_slots,date,total,reserved\n"
        "WAI,普外科,6,,,\nWAI,普外科,,2025-07-02,12,5\n",
        encoding="utf-8",
    )
    assert run(capsys, "directory", "import", "--db", db, str(csv_file), "--days", "0")[0] == 0
    assert (
        run(
            capsys, "directory", "set-slots", "--db", db, "--department", "NEI", "--date", "2025-07-05", "--total", "7"
        )[0]
        == 0
    )
    import sqlalchemy as sa

    from clinic_hub.models import SlotPool

    pools = SlotPool.__table__
    with make_engine(db).connect() as conn:
        got = {(r.department_code, r.day.isoformat()): (r.total, r.reserved) for r in conn.execute(sa.select(pools))}
    assert got[("NEI", "2025-07-01")] == (30, 10)  # one third, rounded up
    assert got[("WAI", "2025-07-02")] == (12, 5)
    assert got[("NEI", "2025-07-05")] == (7, 3)
    assert (
        run(
            capsys, "directory", "set-slots", "--db", db, "--department", "NOPE", "--date", "2025-07-05", "--total", "7"
        )[0]
        == 1
    )


def test_referrals_list_accept_reject_arrive_complete_and_send_down(db, capsys):
    engine = make_engine(db)
    with engine.begin() as conn:
        _, token = accounts.add_clinic(conn, "C02", "西村卫生室")
        clinic = accounts.authenticate(conn, token)
    run(capsys, "directory", "set-slots", "--db", db, "--department", "X", "--date", "2025-07-01", "--total", "3")
    from clinic_hub import directory

    with engine.begin() as conn:
        directory.upsert_department(conn, "NEI", "心血管内科", 3)
    referrals = [make_referral("C02", urgency=u) for u in ("normal", "emergency", "urgent")]
    push_service.handle_push(engine, clinic, {"batch_id": "cli-1", "records": referrals}, "zh", 500)
    code, out, _ = run(capsys, "referrals", "list", "--db", db, "--json")
    listed = json.loads(out)
    assert code == 0 and [r["urgency"] for r in listed] == ["emergency", "urgent", "normal"]
    emergency, urgent, normal = (r["referral_no"] for r in listed)
    code, out, err = run(
        capsys,
        "referrals",
        "accept",
        "--db",
        db,
        emergency,
        "--department",
        "NEI",
        "--at",
        "2025-07-01T09:00+08:00",
        "--doctor",
        "李医生",
    )
    assert code == 0, err
    assert json.loads(out)["referral"]["status"] == "accepted"
    assert run(capsys, "referrals", "reject", "--db", db, urgent, "--reason", "请先完善检查")[0] == 0
    assert run(capsys, "referrals", "arrive", "--db", db, emergency)[0] == 0
    assert run(capsys, "referrals", "complete", "--db", db, emergency)[0] == 0
    code, _, err = run(capsys, "referrals", "arrive", "--db", db, normal)
    assert code == 1 and "sent" in err  # illegal move, explained
    code, out, err = run(
        capsys,
        "referrals",
        "send-down",
        "--db",
        db,
        "--clinic",
        "C02",
        "--from-referral",
        emergency,
        "--diagnosis",
        "I10:原发性高血压",
        "--outcome",
        "2",
        "--treatment-plan",
        "继续服药",
        "--followup",
        "14:复查血压",
    )
    assert code == 0, err
    down = json.loads(out)["referral"]
    assert down["direction"] == "down" and down["status"] == "received" and down["patient_name"] == "王小明"
    code, out, _ = run(capsys, "referrals", "list", "--db", db, "--direction", "down", "--json")
    assert [r["referral_no"] for r in json.loads(out)] == [down["referral_no"]]
    code, out, _ = run(capsys, "referrals", "list", "--db", db, "--status", "completed")
    assert emergency in out and urgent not in out
    assert (
        run(
            capsys,
            "referrals",
            "accept",
            "--db",
            db,
            "NOPE-" + uuid.uuid4().hex,
            "--department",
            "NEI",
            "--at",
            "2025-07-01T09:00+08:00",
        )[0]
        == 1
    )


def test_new_epoch(db, capsys):
    _, before, _ = run(capsys, "migrate", "--db", db)
    code, out, _ = run(capsys, "new-epoch", "--db", db)
    assert code == 0 and out.split()[2] not in before


def test_database_defaults_to_env_or_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLINIC_HUB_DB", raising=False)
    assert main(["migrate"]) == 0 and (tmp_path / "clinic-hub.db").exists()
    monkeypatch.setenv("CLINIC_HUB_DB", str(tmp_path / "other.db"))
    assert main(["migrate"]) == 0 and (tmp_path / "other.db").exists()


def test_referrals_expire_marks_old_unanswered_referrals(db, capsys):
    from datetime import datetime, timedelta

    import sqlalchemy as sa

    from clinic_hub.models import Referral

    engine = make_engine(db)
    with engine.begin() as conn:
        _, token = accounts.add_clinic(conn, "C03", "南村卫生室")
        clinic = accounts.authenticate(conn, token)
    old, fresh = make_referral("C03"), make_referral("C03")
    push_service.handle_push(engine, clinic, {"batch_id": "cli-expire", "records": [old, fresh]}, "zh", 500)
    table = Referral.__table__
    with engine.begin() as conn:
        conn.execute(
            sa.update(table).where(table.c.id == old["id"]).values(sent_at=datetime.now(UTC) - timedelta(days=4))
        )
    code, out, _ = run(capsys, "referrals", "expire", "--db", db, "--days", "3")
    assert code == 0 and old["data"]["referral_no"] in out and fresh["data"]["referral_no"] not in out
    code, out, _ = run(capsys, "referrals", "list", "--db", db, "--status", "expired", "--json")
    assert [r["id"] for r in json.loads(out)] == [old["id"]]


@pytest.mark.parametrize(
    "argv",
    [
        ["referrals", "send-down", "--clinic", "NOWHERE", "--patient-name", "赵六"],
        ["referrals", "send-down", "--clinic", "C09", "--patient-name", "赵六", "--followup", "soon:复查"],
        ["referrals", "send-down", "--clinic", "C09", "--patient-name", "赵\x00六"],
        ["referrals", "send-down", "--clinic", "C09", "--json-file", "/nonexistent/fields.json"],
        ["referrals", "send-down", "--clinic", "C09", "--json-file", "{bad_json}"],
        ["referrals", "send-down", "--clinic", "C09", "--json-file", "{list_json}"],
        ["referrals", "send-down", "--clinic", "C09"],  # no patient
        ["referrals", "accept", "C09-20250701-0001", "--department", "NEI", "--at", "tomorrow"],
        ["referrals", "reject", "C09-20250701-0001", "--reason", "  "],
        ["referrals", "expire", "--days", "1e308"],
        ["directory", "set-slots", "--department", "NOPE", "--date", "2025-07-01", "--total", "-3"],
        ["directory", "import", "/nonexistent/directory.toml"],
    ],
)
def test_every_refusal_is_a_message_and_an_exit_code_never_a_traceback(db, capsys, tmp_path, argv):
    make_engine(db)
    assert run(capsys, "add-clinic", "--db", db, "--code", "C09", "--name", "北村卫生室")[0] == 0
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    argv = [a.format(bad_json=tmp_path / "bad.json", list_json=tmp_path / "list.json") for a in argv]
    code, out, err = run(capsys, *argv[:2], "--db", db, *argv[2:])
    assert code == 1, (out, err)
    assert err.strip() and "Traceback" not in err and 'File "' not in err


def test_a_database_never_migrated_is_a_message_not_a_traceback(tmp_path, capsys):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for argv in (
        ["referrals", "list", "--db", empty],
        ["add-clinic", "--db", empty, "--code", "C1", "--name", "x"],
        ["referrals", "send-down", "--db", empty, "--clinic", "C1", "--patient-name", "赵六"],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 1 and err.strip() and "Traceback" not in err, (argv, err)


def test_remote_sweep_marks_requests_not_accepted_in_time(db, capsys):
    from datetime import datetime, timedelta

    from clinic_hub import remote_desk
    from tests.hub.remote_support import make_remote

    engine = make_engine(db)
    with engine.begin() as conn:
        _, token = accounts.add_clinic(conn, "C04", "北村卫生室")
        clinic = accounts.authenticate(conn, token)
    now = datetime.now(UTC)
    late = make_remote("C04", service="ecg", urgency="urgent", requested_at=now - timedelta(minutes=40))
    on_time = make_remote("C04", service="imaging_dr", urgency="urgent", requested_at=now - timedelta(minutes=40))
    push_service.handle_push(engine, clinic, {"batch_id": "cli-sweep", "records": [late, on_time]}, "zh", 500)
    code, out, _ = run(capsys, "remote", "sweep", "--db", db)
    assert code == 0 and "marked 1 " in out and late["data"]["request_no"] in out
    assert on_time["data"]["request_no"] not in out
    with engine.connect() as conn:
        assert remote_desk.get_request(conn, late["data"]["request_no"]).status == "timed_out"
        assert remote_desk.get_request(conn, on_time["data"]["request_no"]).status == "requested"
    assert run(capsys, "remote", "sweep", "--db", db)[1].startswith("marked 0 ")
    engine.dispose()
