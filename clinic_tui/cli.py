"""The ``clinic-tui`` command: run the app, or a maintenance task from the shell.

    clinic-tui [--db PATH] [--lang zh|en]        the app (a demo database when none is configured)
    clinic-tui config                            where the config file is and what is in force
    clinic-tui db check|backup|upgrade [--db P]  integrity check, backup now, upgrade the schema
    clinic-tui db restore [N|NAME] [--yes]       list the backups, or restore one (docs/bad-day.md)
    clinic-tui diagnoses import FILE --system S --version V   a county's official diagnosis list
    clinic-tui sync [--check] [--db P] [--hub URL] [--token T] [--quiet]   sync with the hub (docs/sync.md)

Imports stay inside the functions: ``clinic-tui`` must reach its first frame quickly on an old PC.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clinic_tui.exit_codes import EXIT_USAGE


def _app_parser(*, exit_on_error: bool = True) -> argparse.ArgumentParser:
    """The options of the app itself (no command)."""
    parser = argparse.ArgumentParser(
        prog="clinic-tui", description="村卫生室 / 乡镇卫生院 终端应用", exit_on_error=exit_on_error
    )
    parser.add_argument("--db", type=Path, help="database file (created and migrated if new)")
    parser.add_argument("--lang", choices=["zh", "en"], help="language of the interface")
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = _app_parser()
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("config", help="show the config file and the settings in force")
    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("check", help="integrity and foreign-key check")
    backup = db.add_parser("backup", help="back the database up now (online, consistent)")
    backup.add_argument("--to", type=Path, help="target file (default: the backups folder, today's name)")
    db.add_parser("upgrade", help="upgrade the schema to this version (after a backup)")
    restore = db.add_parser("restore", help="list the backups, or restore one (the file it replaces is kept)")
    restore.add_argument("backup", nargs="?", help="the number shown in the list, or the backup's file name")
    restore.add_argument("--yes", action="store_true", help="restore without asking (for scripts)")
    restore.add_argument("--check", action="store_true", help="check every backup in full while listing (slow)")
    diagnoses = commands.add_parser("diagnoses", help="the diagnosis catalogue").add_subparsers(
        dest="diagnoses_command", required=True
    )
    importer = diagnoses.add_parser("import", help="import a county's official list (CSV or XLSX)")
    importer.add_argument("file", type=Path)
    importer.add_argument("--system", required=True, help='code system, e.g. "ICD-10-GB-clinical"')
    importer.add_argument("--version", required=True, help='its version, e.g. "2.0"')
    staff = commands.add_parser("staff", help="the clinic's staff").add_subparsers(dest="staff_command", required=True)
    set_pin = staff.add_parser("set-pin", help="set a staff member's sign-in PIN (asked twice, hidden)")
    set_pin.add_argument("name", help="the staff member's name, as on the sign-in screen")
    from clinic_tui.sync.command import add_parser as add_sync_parser

    add_sync_parser(commands)
    return parser


def _settings(args: argparse.Namespace):
    from dataclasses import replace

    from clinic_tui.config import load_settings

    settings = load_settings()
    overrides = {}
    if args.db:
        overrides["database"] = args.db.expanduser()
    if args.lang:
        overrides["language"] = args.lang
    return replace(settings, **overrides, sources={**settings.sources, **{k: "command line" for k in overrides}})


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line. Starting the app (no command: every start of the day) reads it with the
    app's own options only: building the commands' parsers, sync's among them, was about 3-4 ms
    of the first frame's 15 over a bare Textual app (issue 19). Anything else, help included, and
    anything those options do not take, goes to the whole parser, which also words the errors."""
    argv = sys.argv[1:] if argv is None else argv
    if not any(arg == "-h" or (len(arg) > 2 and "--help".startswith(arg)) for arg in argv):
        try:
            args, rest = _app_parser(exit_on_error=False).parse_known_args(argv)
        except argparse.ArgumentError:
            rest = argv
        if not rest:
            args.command = None
            return args
    return _parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from clinic_tui import i18n
    from clinic_tui.config import SettingsError

    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    i18n.set_language(settings.language)
    from clinic_tui import clock

    clock.set_zone(settings.time_zone)  # times printed (receipts) as the app shows them
    if args.command is None:
        from clinic_tui.app import run_app

        return run_app(settings)
    from clinic_tui import commands

    handler = {
        "config": commands.show_config,
        "db": commands.database,
        "diagnoses": commands.diagnoses,
        "staff": commands.staff,
        "sync": _sync_command,
    }[args.command]
    return handler(settings, args)


def _sync_command(settings, args: argparse.Namespace) -> int:
    from clinic_tui.sync.command import run

    return run(settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
