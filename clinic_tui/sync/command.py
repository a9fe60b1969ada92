"""``clinic-tui sync``: the end-of-day batch, ``--check`` of the settings, and ``set-token``.

    clinic-tui sync [--db PATH] [--hub URL] [--token TOKEN] [--quiet]   push + pull + reconcile
    clinic-tui sync --check                                            test address, TLS, token
    clinic-tui sync set-token [--file PATH]                            store the clinic token (0600)
    clinic-tui sync rebuild [--db PATH]                                a new database from the hub
    clinic-tui sync fetch-files [--db PATH]                            attachment files back from the hub

Exit codes are those of ``clinic_tui.sync.engine`` (documented in docs/sync.md), so a scheduled
task can tell "offline, try later" from "the token was revoked" from "records were rejected".
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_tui.config import Settings
from clinic_tui.i18n import _
from clinic_tui.sync.status import REACHED_HUB, SyncOutcome, SyncTrigger

if TYPE_CHECKING:
    from clinic_tui.sync.engine import SyncProgress, SyncReport
    from clinic_tui.sync.local import Database


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = commands.add_parser("sync", help="sync with the lead hospital's hub (push, pull, receipt)")
    sync.add_argument(
        "action",
        nargs="?",
        choices=["set-token", "rebuild", "fetch-files"],
        help="set-token: store the clinic token; rebuild: set this clinic up again from the hub (new PC, lost "
        "file); fetch-files: take back from the hub the attachment files this database lacks",
    )
    sync.add_argument("--db", dest="sync_db", type=Path, help="database file")
    sync.add_argument("--hub", help="hub address, e.g. https://hub.example.cn:8600")
    sync.add_argument("--token", help="clinic token (else CLINIC_TUI_TOKEN, else the token file)")
    sync.add_argument("--check", action="store_true", help="test the connection and the token, change nothing")
    sync.add_argument("--quiet", action="store_true", help="no progress bar nor summary; problems only")
    sync.add_argument("--file", type=Path, help="set-token: where to write the token file")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from clinic_tui.sync.engine import EXIT_CONFIG

    overrides: dict[str, Any] = {}
    if args.sync_db:
        overrides["database"] = args.sync_db.expanduser()
    if args.hub:
        overrides["hub_url"] = args.hub
    settings = replace(settings, **overrides, sources={**settings.sources, **{k: "command line" for k in overrides}})
    if args.action == "set-token":
        return set_token(settings, args.file)
    if args.action == "rebuild":
        from clinic_tui.sync.rebuild import rebuild

        return rebuild(settings, args.token)
    if args.action == "fetch-files":
        from clinic_tui.sync.rebuild import fetch_files

        return fetch_files(settings, args.token)
    if args.check:
        return _check(settings, args)
    if settings.is_demo:
        # The copy the app runs on when no database is configured (config.Settings.database_path),
        # made as the app makes it: so one can try sync against a local hub on the demo data.
        from clinic_tui.data.sqlite_file import DatabaseError
        from clinic_tui.data.startup import ensure_demo_copy
        from clinic_tui.errors import describe_database_error

        try:
            ensure_demo_copy(settings.database_path())
        except DatabaseError as exc:
            print(describe_database_error(exc), file=sys.stderr)
            return EXIT_CONFIG
        if not args.quiet:
            print(
                _("No database is configured: syncing the demo copy {path}.").format(path=settings.database_path()),
                file=sys.stderr,
            )
    return _sync(settings, args)


def _print_warnings(warnings: Iterable[str]) -> None:
    for warning in warnings:
        print(warning, file=sys.stderr)


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from clinic_tui.sync.engine import check_connection

    check = check_connection(settings, token=args.token)
    _print_warnings(check.warnings)
    print(check.message, file=sys.stdout if check.ok else sys.stderr)
    if check.ok and check.epoch and not args.quiet:
        print(_("Hub epoch: {epoch}").format(epoch=check.epoch))
    return check.exit_code


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from clinic_tui.data.sqlite_file import DatabaseError
    from clinic_tui.data.startup import checked_when_due
    from clinic_tui.errors import describe_database_error
    from clinic_tui.sync.engine import EXIT_ERROR, run_sync
    from clinic_tui.sync.local import ClinicFile

    path = settings.database_path()
    if not path.exists():
        print(_("The file {path} is missing.").format(path=path), file=sys.stderr)
        return EXIT_ERROR
    try:
        # Checked as the app's start checks it; with the schema current (nearly always) the sync
        # runs on plain sqlite3 and SQLAlchemy is never loaded (docs/sync.md, "Cost of a sync").
        opened = checked_when_due(path, settings.backup_dir())
    except DatabaseError as exc:
        print(describe_database_error(exc), file=sys.stderr)
        return EXIT_ERROR
    database: Database = ClinicFile(path) if opened is None else opened.engine
    # The loaded libraries' objects live as long as this process: keep them out of the garbage
    # collector's full passes, which otherwise walk them all during a big push. (No collection
    # first: it would cost an ordinary sync more than the little garbage of start-up it frees.)
    gc.freeze()
    try:
        if args.quiet:
            report = run_sync(database, settings, trigger=SyncTrigger.CLI, token=args.token)
        else:
            report = _with_progress_bar(database, settings, args.token)
    finally:
        database.dispose()
    _print_warnings(report.warnings)
    if report.outcome in REACHED_HUB and not args.quiet:
        print(
            _(
                "Sent {pushed} (new {accepted}, already there {duplicate}, rejected {rejected}, kept by the "
                "hospital {conflict}); received {pulled}; sent again {resent}."
            ).format(
                pushed=report.pushed,
                accepted=report.accepted,
                duplicate=report.duplicate,
                rejected=report.rejected,
                conflict=report.conflict,
                pulled=report.pulled,
                resent=report.resent,
            )
        )
        for message in report.conflicts.values():
            print("  " + message)
        print(report.message)
    elif report.outcome not in REACHED_HUB:
        print(report.message, file=sys.stderr)
    elif report.outcome == SyncOutcome.REJECTED:
        print(report.message, file=sys.stderr)
    return report.exit_code


def _with_progress_bar(engine: Database, settings: Settings, token: str | None) -> SyncReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from clinic_tui.sync.engine import run_sync

    labels = {
        "push": _("Sending"),
        "pull": _("Receiving"),
        "reconcile": _("Checking with the hospital"),
        "attachments": _("Attachments (chunks)"),
    }
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(step: SyncProgress) -> None:
            if step.phase not in tasks:
                tasks[step.phase] = bar.add_task(labels.get(step.phase, step.phase), total=step.total)
            bar.update(tasks[step.phase], completed=step.done, total=step.total)

        return run_sync(engine, settings, trigger=SyncTrigger.CLI, progress=progress, token=token)


def set_token(settings: Settings, target: Path | None) -> int:
    """Read the token from stdin (or a hidden prompt) and write it to a 0600 file."""
    from clinic_tui.sync.credentials import default_token_file, write_token_file
    from clinic_tui.sync.engine import EXIT_CONFIG, EXIT_OK

    if sys.stdin.isatty():
        import getpass

        token = getpass.getpass(_("Clinic token (from the hospital): "))
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token or any(ch.isspace() for ch in token):
        print(_("That is not a token: it must be one word without spaces."), file=sys.stderr)
        return EXIT_CONFIG
    path = (target or settings.token_file or default_token_file()).expanduser()
    write_token_file(path, token)
    _record_token_file(path)
    print(_("The token is stored in {path}, readable by you only.").format(path=path))
    return EXIT_OK


def _record_token_file(path: Path) -> None:
    """Name the token file in the config file (under [sync]) unless it already names one."""
    import tomllib

    from clinic_tui.config import config_file

    config = config_file()
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    document = tomllib.loads(text) if text else {}
    named = document.get("token_file") or document.get("sync", {}).get("token_file")
    if named and Path(named).expanduser() == path:
        return
    line = f"token_file = '{path}'"  # a literal string: Windows backslashes stay as they are
    if named:
        lines = [line if raw.strip().startswith("token_file") else raw for raw in text.splitlines()]
        new_text = "\n".join(lines) + "\n"
    elif "sync" in document:
        lines = text.splitlines()
        header = next(i for i, raw in enumerate(lines) if raw.strip() == "[sync]")
        lines.insert(header + 1, line)
        new_text = "\n".join(lines) + "\n"
    else:
        new_text = text + ("\n" if text and not text.endswith("\n") else "") + f"\n[sync]\n{line}\n"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(new_text, encoding="utf-8")
