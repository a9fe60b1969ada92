"""The shell commands behind ``clinic-tui config``, ``db`` and ``diagnoses``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from clinic_tui import clock
from clinic_tui.config import Settings, config_file
from clinic_tui.errors import describe_database_error
from clinic_tui.exit_codes import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from clinic_tui.i18n import _


def show_config(settings: Settings, _args: argparse.Namespace) -> int:
    path = config_file()
    print(
        _("Config file: {path} ({state})").format(
            path=path, state=_("present") if path.exists() else _("absent, defaults in force")
        )
    )
    for field in fields(Settings):
        if field.name == "sources":
            continue
        value = getattr(settings, field.name)
        source = settings.sources.get(field.name, _("default"))
        print(f"  {field.name} = {value if value is not None else '-'}  ({source})")
    print(
        _("Database in use: {path}{demo}").format(
            path=settings.database_path(), demo=_(" (demo copy)") if settings.is_demo else ""
        )
    )
    return EXIT_OK


def _refusal(path) -> str | None:
    """Why ``path`` is not a clinic-tui database that can be checked (empty, truncated, foreign…)."""
    import sqlite3

    from clinic_tui.data.sqlite_file import DatabaseError, check_header, is_ours

    try:
        check_header(path)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not is_ours(connection):
                raise DatabaseError("foreign", path)
        finally:
            connection.close()
    except DatabaseError as exc:
        return describe_database_error(exc)
    except sqlite3.DatabaseError as exc:
        return describe_database_error(DatabaseError("corrupt", path, str(exc)))
    return None


def database(settings: Settings, args: argparse.Namespace) -> int:
    from clinic_tui.data.backup_files import backup_problems, live_problems
    from clinic_tui.data.db import DatabaseError
    from clinic_tui.data.maintenance import BackupRejected, backup_to, integrity_problems

    path = settings.database_path()
    if args.db_command == "restore":
        return restore(settings, args)
    if not path.exists():
        print(_("The file {path} is missing.").format(path=path), file=sys.stderr)
        return EXIT_PROBLEM
    if refusal := _refusal(path):
        print(refusal, file=sys.stderr)
        return EXIT_PROBLEM
    if args.db_command == "check":
        problems = integrity_problems(path)
        for problem in problems:
            print(problem)
        if not problems:  # the files the records name, each hashed (a damaged database is not read for them)
            for missing in live_problems(path):
                print(_file_problem(missing))
                if missing.lost:  # one the hub holds whole is taken back: said, not a failure
                    problems.append(missing.text())
        print(
            _("{path}: no problems found").format(path=path)
            if not problems
            else _("{path}: {count} problems found").format(path=path, count=len(problems))
        )
        return EXIT_PROBLEM if problems else EXIT_OK
    if args.db_command == "backup":
        target = args.to or settings.backup_dir() / f"{path.stem}-{clock.today():%Y%m%d}.db"
        try:
            backup_to(path, target)
        except BackupRejected as exc:
            from clinic_tui.errors import describe_rejected_backup

            print(describe_rejected_backup(exc.path), file=sys.stderr)
            return EXIT_PROBLEM
        print(_("Backup written to {path}").format(path=target))
        lacking = backup_problems(target)
        for missing in lacking:
            print(_file_problem(missing), file=sys.stderr)
        return EXIT_PROBLEM if any(m.lost for m in lacking) else EXIT_OK
    from clinic_tui.data.migrate import open_database

    try:
        opened = open_database(path, settings.backup_dir())
    except DatabaseError as exc:
        print(describe_database_error(exc), file=sys.stderr)
        return EXIT_PROBLEM
    if opened.upgraded_from:
        print(
            _("Upgraded {path} from schema {old}; the copy from before is {backup}").format(
                path=path, old=opened.upgraded_from, backup=opened.backup
            )
        )
    else:
        print(_("{path} is already at the current schema").format(path=path))
    return EXIT_OK


def _file_problem(problem) -> str:
    """One attachment file a database names that is not sound, with the requests naming it."""
    records = _(", ").join(f"{number} {name}".strip() for number, name in problem.records)
    if problem.kind == "missing":
        text = _("Attachment file {sha} is missing")
    else:
        text = _("Attachment file {sha} is damaged (its bytes no longer match its hash)")
    text = text.format(sha=problem.sha256[:12])
    text += _(": request {records}").format(records=records) if records else ""
    if problem.on_hub:
        text += _(" (the hub holds it: clinic-tui sync fetch-files takes it back)")
    return text


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def restore(settings: Settings, args: argparse.Namespace) -> int:
    """``clinic-tui db restore``: list the backups; with a number or name, restore that one."""
    from clinic_tui.data.maintenance import list_backups, restore_backup
    from clinic_tui.data.sqlite_file import DatabaseError

    path, folder = settings.database_path(), settings.backup_dir()
    backups = list_backups(path, folder, check=args.check)
    if args.backup is None:
        if not backups:
            print(_("There are no backups of {path} in {folder}.").format(path=path, folder=folder))
            return EXIT_PROBLEM
        print(_("Backups of {path} in {folder}, newest first:").format(path=path, folder=folder))
        for number, info in enumerate(backups, 1):
            what = (
                ", ".join(f"{kind} {count}" for kind, count in info.counts.items())
                if info.sound
                else _("cannot be used: {reason}").format(reason=info.problem)
            )
            if info.sound and info.file_problems:
                what += _("; without {count} attachment files").format(count=len(info.file_problems))
            print(f"  {number:>2}  {info.path.name}  {info.day:%Y-%m-%d}  {_size(info.size):>8}  {what}")
        print(_("Restore one with: clinic-tui db restore NUMBER --yes (the file it replaces is kept)"))
        return EXIT_OK
    chosen = None
    if args.backup.isdigit() and 1 <= int(args.backup) <= len(backups):
        chosen = backups[int(args.backup) - 1]
    else:
        chosen = next((b for b in backups if args.backup in (b.path.name, str(b.path))), None)
    if chosen is None:
        print(
            _("No backup {name}: run 'clinic-tui db restore' to list them.").format(name=args.backup), file=sys.stderr
        )
        return EXIT_USAGE
    if not chosen.sound:
        print(
            _("The backup {name} cannot be used: {reason}").format(name=chosen.path.name, reason=chosen.problem),
            file=sys.stderr,
        )
        return EXIT_PROBLEM
    question = _(
        "Replace {path} with the backup of {day} ({name})? The current file is kept in {folder}. "
        "Records entered after that backup was made are not in it."
    ).format(path=path, day=f"{chosen.day:%Y-%m-%d}", name=chosen.path.name, folder=folder / "replaced")
    if not args.yes:
        if not sys.stdin.isatty():
            print(question, file=sys.stderr)
            print(_("Add --yes to restore without asking."), file=sys.stderr)
            return EXIT_USAGE
        answer = input(question + " [y/N] ").strip().lower()
        if answer not in ("y", "yes", "是", "shi"):
            print(_("Nothing was changed."))
            return EXIT_PROBLEM
    try:
        kept = restore_backup(path, chosen.path, folder)
    except DatabaseError as exc:
        print(describe_database_error(exc), file=sys.stderr)
        return EXIT_PROBLEM
    print(_("Restored {path} from {name}.").format(path=path, name=chosen.path.name))
    if kept is not None:
        print(_("The file it replaced is kept as {kept}.").format(kept=kept))
    from clinic_tui.data.backup_files import live_problems

    lacking = live_problems(path, full=False)  # put back verified by hash; what the store lacked
    for missing in lacking:
        print(_file_problem(missing), file=sys.stderr)
    if lacking:
        print(_("Files the hub holds come back with: clinic-tui sync fetch-files"), file=sys.stderr)
    print(_("Records entered after the backup was made are not in it: see docs/bad-day.md."))
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
    print(
        _("Imported {count} diagnoses of {system} {version}; {skipped} rows skipped").format(
            count=len(result.diagnoses), system=args.system, version=args.version, skipped=len(result.problems)
        )
    )
    return EXIT_OK if result.diagnoses else EXIT_PROBLEM


def staff(settings: Settings, args: argparse.Namespace) -> int:
    """``clinic-tui staff set-pin NAME``: the PIN is read twice without echo (or one line from a pipe)."""
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.staff import pin_problem, set_pin

    path = settings.database_path()
    if not path.exists():
        print(_("The file {path} is missing.").format(path=path), file=sys.stderr)
        return EXIT_PROBLEM
    if sys.stdin.isatty():
        import getpass

        pin = getpass.getpass(_("New PIN for {name}: ").format(name=args.name))
        if getpass.getpass(_("The same PIN again: ")) != pin:
            print(_("The two PINs differ; nothing was changed."), file=sys.stderr)
            return EXIT_PROBLEM
    else:
        pin = sys.stdin.readline().strip()
    problem = pin_problem(pin)
    if problem:
        print(_(problem), file=sys.stderr)
        return EXIT_USAGE
    opened = open_database(path, settings.backup_dir(), full_check=False)
    try:
        others = set_pin(opened.engine, args.name, pin)
    finally:
        opened.engine.dispose()
    if others:
        print(
            _("No one on the staff is called {name} (or several are): the staff are {names}.").format(
                name=args.name, names=_(", ").join(others)
            ),
            file=sys.stderr,
        )
        return EXIT_PROBLEM
    print(_("{name}'s PIN is set.").format(name=args.name))
    return EXIT_OK
