"""The clinic-tui shell commands, run as a user would run them."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_tui.cli import main
from clinic_tui.config import EXAMPLE_DATABASE, config_file


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    return path


def test_config_shows_the_file_and_where_each_setting_comes_from(tmp_path, monkeypatch, capsys):
    config_file().parent.mkdir(parents=True)
    config_file().write_text('language = "en"\nidle_lock_minutes = 5\n', encoding="utf-8")
    monkeypatch.setenv("CLINIC_TUI_DB", str(tmp_path / "x.db"))
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert str(config_file()) in out
    assert "idle_lock_minutes = 5" in out and "language = en" in out
    assert f"database = {tmp_path / 'x.db'}  (CLINIC_TUI_DB)" in out


def test_a_bad_setting_is_named_without_a_traceback(capsys):
    config_file().parent.mkdir(parents=True)
    config_file().write_text("idle_lock_minutes = 'soon'\n", encoding="utf-8")
    assert main(["config"]) == 2
    assert "idle_lock_minutes" in capsys.readouterr().err


def test_db_check_passes_on_a_sound_file_and_fails_on_a_broken_one(tmp_path, capsys):
    db = _db(tmp_path)
    assert main(["--db", str(db), "db", "check"]) == 0
    assert "未发现问题" in capsys.readouterr().out
    connection = sqlite3.connect(db)
    connection.execute("UPDATE visit SET resident_id = 'nobody' WHERE rowid = 1")
    connection.commit()
    connection.close()
    assert main(["--db", str(db), "--lang", "en", "db", "check"]) == 1
    assert "1 problems found" in capsys.readouterr().out


def test_db_backup_and_upgrade(tmp_path, capsys):
    db = _db(tmp_path)
    target = tmp_path / "copy.db"
    assert main(["--db", str(db), "db", "backup", "--to", str(target)]) == 0
    assert target.exists()
    assert main(["--db", str(db), "db", "upgrade"]) == 0
    assert "已是当前数据结构版本" in capsys.readouterr().out


def test_diagnoses_import_reports_rows_it_skipped(tmp_path, capsys):
    db = _db(tmp_path)
    listing = tmp_path / "list.csv"
    listing.write_text("编码,名称\nJ06.900,急性上呼吸道感染\n,无编码\n", encoding="gbk")
    assert main(["--db", str(db), "diagnoses", "import", str(listing), "--system", "county", "--version", "1"]) == 0
    captured = capsys.readouterr()
    assert "已导入 county 1 的 1 条诊断" in captured.out and "3" in captured.err


def test_the_console_script_runs_as_a_program(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "clinic_tui", "--lang", "en", "--db", str(tmp_path / "n.db"), "db", "check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "is missing" in result.stderr


def test_starting_the_app_reads_its_options_without_the_commands_parsers():
    """Issue 19: the app's start builds only its own options' parser (the commands' parsers, sync's
    among them, cost the first frame 3-4 ms); what it reads must be what the whole parser reads."""
    from clinic_tui.cli import _parser, parse

    for argv in ([], ["--db", "x.db"], ["--lang", "en", "--db", "sync"], ["--db=config"]):
        assert vars(parse(argv)) == vars(_parser().parse_args(argv)), argv
        assert parse(argv).command is None
    probe = (
        "import sys; from clinic_tui.cli import parse; parse(['--db', 'x']); "
        "print('clinic_tui.sync.command' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_commands_help_and_bad_options_still_go_to_the_whole_parser(capsys):
    from clinic_tui.cli import parse

    args = parse(["--db", "x.db", "sync", "--check"])
    assert (args.command, args.check, str(args.db)) == ("sync", True, "x.db")
    assert parse(["db", "check"]).db_command == "check"
    for argv in (["--help"], ["--he"]):
        with pytest.raises(SystemExit) as help_exit:
            parse(argv)
        assert help_exit.value.code == 0
        assert "{config,db,diagnoses,staff,sync}" in capsys.readouterr().out  # the commands are listed
    with pytest.raises(SystemExit) as bad_exit:
        parse(["--lang", "fr"])
    assert bad_exit.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'fr'" in err and "{config,db,diagnoses,staff,sync}" in err  # the whole usage
