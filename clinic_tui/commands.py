"""The shell commands behind ``clinic-tui config``, ``db`` and ``diagnoses``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from clinic_tui import clock
from clinic_tui.config import Settings, config_file
from clinic_tui.errors import describe_database_error
from clinic_tui.exit_codes import EXIT_OK, EXIT_PROBLEM
from clinic_tui.i18n import _


def show_config(settings: Settings, _args: argparse.Namespace) -> int:
    path = config_file()
    print(_("Config file: {path} ({state})").format(
        path=path, state=_("present") if path.exists() else _("absent, defaults in force")))
    for field in fields(Settings):
        if field.name == "sources":
            continue
        value = getattr(settings, field.name)
        source = settings.sources.get(field.name, _("default"))
        print(f"  {field.name} = {value if value is not None else '-'}  ({source})")
    print(_("Database in use: {path}{demo}").format(
        path=settings.database_path(), demo=_(" (demo copy)") if settings.is_demo else ""))
    return EXIT_OK


def database(settings: Settings, args: argparse.Namespace) -> int:
    from clinic_tui.data.db import DatabaseError
    from clinic_tui.data.maintenance import backup_to, integrity_problems

    path = settings.database_path()
    if not path.exists():
        print(_("The file {path} is missing.").format(path=path), file=sys.stderr)
        return EXIT_PROBLEM
    if args.db_command == "check":
        problems = integrity_problems(path)
        for problem in problems:
            print(problem)
        print(_("{path}: no problems found").format(path=path) if not problems
              else _("{path}: {count} problems found").format(path=path, count=len(problems)))
        return EXIT_PROBLEM if problems else EXIT_OK
    if args.db_command == "backup":
        target = args.to or settings.backup_dir() / f"{path.stem}-{clock.today():%Y%m%d}.db"
        backup_to(path, target)
        print(_("Backup written to {path}").format(path=target))
        return EXIT_OK
    from clinic_tui.data.migrate import open_database

    try:
        opened = open_database(path, settings.backup_dir())
    except DatabaseError as exc:
        print(describe_database_error(exc), file=sys.stderr)
        return EXIT_PROBLEM
    if opened.upgraded_from:
        print(_("Upgraded {path} from schema {old}; the copy from before is {backup}").format(
            path=path, old=opened.upgraded_from, backup=opened.backup))
    else:
        print(_("{path} is already at the current schema").format(path=path))
    return EXIT_OK


def diagnoses(settings: Settings, args: argparse.Namespace) -> int:
    from clinic_tui.data.db import DatabaseError, unit_of_work
    from clinic_tui.data.diagnoses import import_county_list
    from clinic_tui.data.startup import prepare_database

    if not args.file.exists():
        print(_("The file {path} is missing.").format(path=args.file), file=sys.stderr)
        return EXIT_PROBLEM
    try:
        opened = prepare_database(settings)
    except DatabaseError as exc:
        print(describe_database_error(exc), file=sys.stderr)
        return EXIT_PROBLEM
    with unit_of_work(opened.engine) as session:
        result = import_county_list(session, args.file, args.system, args.version)
    for problem in result.problems:
        print(f"  {problem}", file=sys.stderr)
    print(_("Imported {count} diagnoses of {system} {version}; {skipped} rows skipped").format(
        count=len(result.diagnoses), system=args.system, version=args.version, skipped=len(result.problems)))
    return EXIT_OK if result.diagnoses else EXIT_PROBLEM
