"""``clinic-hub``: run the hub and administer it from a terminal (no web page needed).

Every command takes ``--db URL`` (default: env CLINIC_HUB_DB, else ./clinic-hub.db). Referral
commands name referrals by their referral number and act as the "cli" principal in the audit trail.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import os
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

from pydantic import AwareDatetime, TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from clinic_hub import accounts, audit, changes, desk, directory, migrate, remote_desk
from clinic_hub.accounts import Principal
from clinic_hub.db import make_engine
from clinic_hub.errors import ApiError
from clinic_hub.messages import message, negotiate
from clinic_hub.schemas.desk import AcceptRequest, SendDownRequest
from clinic_hub.settings import database_url_from
from clinic_hub.web import cli as web_cli
from clinic_tui.sync.wire import BROADCAST

SEND_DOWN_TEXT_FIELDS = (
    "resident_id",
    "patient_name",
    "patient_sex",
    "patient_birth_date",
    "patient_id_type",
    "patient_id_number",
    "patient_phone",
    "patient_address",
    "department_code",
    "doctor",
    "outcome",
    "treatment_plan",
    "rehab_guidance",
    "medication_to_continue",
    "reason",
)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL or SQLite path (env CLINIC_HUB_DB; default ./clinic-hub.db)")
    parser = argparse.ArgumentParser(prog="clinic-hub", description="The lead hospital's sync server.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8600)
    serve.add_argument("--ssl-certfile")
    serve.add_argument("--ssl-keyfile")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--migrate", action="store_true", help="apply migrations before serving")
    serve.add_argument(
        "--attachments",
        help="folder of attachment files (env CLINIC_HUB_ATTACHMENTS; default beside a SQLite file, "
        "else ./clinic-hub-attachments); back it up with the database",
    )

    sub.add_parser("migrate", parents=[common], help="create or upgrade the database schema")
    sub.add_parser("new-epoch", parents=[common], help="run after restoring a backup: clinics will resend")
    notice = sub.add_parser("broadcast", parents=[common], help="send a notice to every clinic (by pull)")
    notice.add_argument("--title", required=True)
    notice.add_argument("--body", required=True)

    add_clinic = sub.add_parser("add-clinic", parents=[common], help="register a clinic; prints its token once")
    add_clinic.add_argument("--code", required=True)
    add_clinic.add_argument("--name", required=True)
    for name, text in (
        ("rotate-token", "issue a new token (the old one stops working)"),
        ("revoke-token", "revoke the live token"),
    ):
        cmd = sub.add_parser(name, parents=[common], help=text)
        who = cmd.add_mutually_exclusive_group(required=True)
        who.add_argument("--clinic", help="clinic code")
        who.add_argument("--staff", help="staff id")
    add_staff = sub.add_parser("add-staff", parents=[common], help="add hospital staff; prints the token once")
    add_staff.add_argument("--name", required=True)
    add_staff.add_argument("--role", required=True, choices=accounts.STAFF_ROLES)
    web_cli.add_commands(sub, common)  # clinic-hub staff set-password | unlock (the web desk)

    dir_parser = sub.add_parser("directory", help="the hospital's departments and reserved slots")
    dir_sub = dir_parser.add_subparsers(dest="directory_command", required=True)
    imp = dir_sub.add_parser("import", parents=[common], help="import a TOML or CSV directory file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--days", type=int, default=14, help="open slot pools for this many days (default 14)")
    slots = dir_sub.add_parser("set-slots", parents=[common], help="set one department's slots for one day")
    slots.add_argument("--department", required=True)
    slots.add_argument("--date", required=True, type=date.fromisoformat)
    slots.add_argument("--total", required=True, type=int)
    slots.add_argument("--reserved", type=int, help="default: one third of the total, rounded up")
    beds = dir_sub.add_parser("set-beds", parents=[common], help="set one department's beds for one admission day")
    beds.add_argument("--department", required=True)
    beds.add_argument("--date", required=True, type=date.fromisoformat)
    beds.add_argument("--total", required=True, type=int)
    beds.add_argument("--reserved", type=int, help="default: one quarter of the total, rounded up")

    cat = sub.add_parser("lab-catalogue", help="the county lab's catalogue of tests")
    cat_sub = cat.add_subparsers(dest="catalogue_command", required=True)
    cat_imp = cat_sub.add_parser("import", parents=[common], help="import a catalogue CSV as a new version")
    cat_imp.add_argument("file", type=Path)
    cat_sub.add_parser("versions", parents=[common], help="list the imported versions")
    rem = sub.add_parser("remote", help="remote consultations and reads")
    rem_sub = rem.add_subparsers(dest="remote_command", required=True)
    rem_sub.add_parser(
        "sweep", parents=[common], help="mark requests not accepted in time as overdue (cron, every few minutes)"
    )
    att = sub.add_parser("attachments", help="the attachment folder")
    att_sub = att.add_subparsers(dest="attachments_command", required=True)
    prune = att_sub.add_parser(
        "prune",
        parents=[common],
        help="remove uploads not complete and untouched for --days (the server also does it at start-up)",
    )
    prune.add_argument(
        "--days", type=float, help="default: env CLINIC_HUB_ABANDONED_UPLOAD_DAYS, else 7; complete files never go"
    )
    prune.add_argument("--attachments", help="folder of attachment files (as for serve)")
    ref = sub.add_parser("referrals", help="the referral desk")
    ref_sub = ref.add_subparsers(dest="referral_command", required=True)
    lst = ref_sub.add_parser("list", parents=[common])
    lst.add_argument("--status")
    lst.add_argument("--urgency", choices=("emergency", "urgent", "normal"))
    lst.add_argument("--clinic")
    lst.add_argument("--direction", choices=("up", "down"), default="up")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    acc = ref_sub.add_parser("accept", parents=[common])
    acc.add_argument("referral_no")
    acc.add_argument("--department", required=True)
    acc.add_argument("--at", required=True, help="appointment time, ISO 8601 with offset, e.g. 2025-07-01T09:30+08:00")
    acc.add_argument("--doctor")
    acc.add_argument("--over-quota", action="store_true", help="book past the reserved pool (green channel)")
    acc.add_argument(
        "--booking",
        choices=("outpatient", "inpatient"),
        help="a reserved slot or a reserved bed (admission on --at's day); default: what the clinic asked",
    )
    acc.add_argument("--note", help="the reason, required with --over-quota for a bed")
    rej = ref_sub.add_parser("reject", parents=[common])
    rej.add_argument("referral_no")
    rej.add_argument("--reason", required=True)
    for name in ("arrive", "no-show", "complete"):
        cmd = ref_sub.add_parser(name, parents=[common])
        cmd.add_argument("referral_no")
        cmd.add_argument("--note")
    expire = ref_sub.add_parser("expire", parents=[common], help="expire referrals unanswered for --days (cron)")
    expire.add_argument("--days", type=float, default=3.0, help="default 3 (no national rule: set your own)")
    down = ref_sub.add_parser("send-down", parents=[common], help="send a patient down to a clinic")
    down.add_argument("--clinic", required=True, help="clinic code")
    down.add_argument("--from-referral", dest="up_referral_no", help="copy the patient from this upward referral")
    down.add_argument("--json-file", type=Path, help="the other fields as JSON (see SendDownRequest)")
    for field in SEND_DOWN_TEXT_FIELDS:
        down.add_argument("--" + field.replace("_", "-"))
    down.add_argument(
        "--diagnosis",
        action="append",
        default=[],
        metavar="CODE:NAME",
        help="discharge diagnosis, repeatable, e.g. I10:原发性高血压",
    )
    down.add_argument(
        "--followup",
        action="append",
        default=[],
        metavar="DAYS:WHAT",
        help="follow-up schedule item, repeatable, e.g. 14:复查血压",
    )
    return parser


def _cli_principal() -> Principal:
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in some containers (pwd has no entry)
        user = "unknown"
    return Principal("cli", user[:60])


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _send_down_request(args) -> SendDownRequest:
    fields = json.loads(args.json_file.read_text(encoding="utf-8")) if args.json_file else {}
    if not isinstance(fields, dict):
        raise ValueError("--json-file must hold a JSON object (see SendDownRequest)")
    for name in ("up_referral_no", *SEND_DOWN_TEXT_FIELDS):
        if getattr(args, name, None) is not None:
            fields[name] = getattr(args, name)
    for item in args.diagnosis:
        code, _, name = item.partition(":")
        fields.setdefault("discharge_diagnoses", []).append({"code": code or None, "name": name or code})
    for item in args.followup:
        days, _, what = item.partition(":")
        fields.setdefault("followup_schedule", []).append({"after_days": days, "what": what})
    fields["clinic_code"] = args.clinic
    return SendDownRequest(**fields)


def _referral_command(engine, args) -> int:
    actor = _cli_principal()
    command = args.referral_command
    with engine.begin() as conn:
        if command == "list":
            items = desk.list_referrals(conn, args.status, args.urgency, args.clinic, args.direction, limit=10_000)
            audit.record(conn, actor, "cli.referrals.list", [r.id for r in items])
            if args.json:
                _print_json([r.model_dump(mode="json") for r in items])
            else:
                for r in items:
                    print(f"{r.referral_no}\t{r.clinic_code}\t{r.urgency}\t{r.status}\t{r.to_department_code or ''}")
            return 0
        if command == "expire":
            expired = desk.expire_unanswered(conn, actor, timedelta(days=args.days))
            audit.record(conn, actor, "cli.referrals.expire", expired)
            print(f"expired {len(expired)} referral(s)" + "".join(f"\n{no}" for no in expired))
            return 0
        if command == "accept":
            at = TypeAdapter(AwareDatetime).validate_python(args.at)
            result = desk.accept(
                conn,
                actor,
                args.referral_no,
                AcceptRequest(
                    department_code=args.department,
                    appointment_at=at,
                    doctor=args.doctor,
                    over_quota=args.over_quota,
                    booking=args.booking,
                    note=args.note,
                ),
            )
        elif command == "reject":
            result = desk.reject(conn, actor, args.referral_no, args.reason)
        elif command in ("arrive", "no-show", "complete"):
            target = {"arrive": "arrived", "no-show": "no_show", "complete": "completed"}[command]
            result = desk.simple_move(conn, actor, args.referral_no, target, args.note)
        else:  # send-down
            result = desk.send_down(conn, actor, _send_down_request(args))
        audit.record(conn, actor, f"cli.referrals.{command}", [result.referral.id, result.event_id])
    _print_json(result.model_dump(mode="json"))
    return 0


def _prune(engine, args) -> int:
    from clinic_hub.attachment_prune import prune_abandoned
    from clinic_hub.settings import Settings

    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, attachment_dir=args.attachments)
    days = settings.abandoned_upload_days if args.days is None else args.days
    if days < 0:
        print("--days must be 0 or more", file=sys.stderr)
        return 2
    pruned = prune_abandoned(engine, settings.attachment_folder(), timedelta(days=days))
    with engine.begin() as conn:
        audit.record(conn, _cli_principal(), "cli.attachments.prune", [])
    print(
        f"removed {pruned.uploads} abandoned upload(s) untouched for {days:g} days: {pruned.chunks} chunk(s), "
        f"{pruned.bytes} bytes; {pruned.stray_folders} stray folder(s)"
    )
    return 0


def _catalogue_command(engine, args) -> int:
    from clinic_hub import lab_catalogue

    if args.catalogue_command == "versions":
        with engine.connect() as conn:
            for v in lab_catalogue.versions(conn):
                print(f"{v.version}\t{v.items} tests\t{v.imported_at:%Y-%m-%d %H:%M}\t{v.imported_by}\t{v.sha256[:12]}")
        return 0
    try:
        raw = args.file.read_bytes()
        with engine.begin() as conn:
            version, items, new = lab_catalogue.import_catalogue(conn, raw, _cli_principal().label)
            if new:
                audit.record(conn, _cli_principal(), "cli.lab_catalogue.import", [str(version)])
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except lab_catalogue.CatalogueRefused as refused:
        for p in refused.problems:
            where = f"line {p.line}" + (f", column {p.column}" if p.column else "")
            print(f"{args.file}: {where}: {p.code}", file=sys.stderr)
        return 1
    print(
        f"lab catalogue version {version}: {items} tests"
        + ("" if new else " (the same file as before: no new version)")
    )
    return 0


def run(args) -> int:
    engine = make_engine(database_url_from(args.db))
    command = args.command
    if command == "serve":
        return _serve(engine, args)
    if command == "migrate":
        migrate.upgrade(engine)
        with engine.connect() as conn:
            print(f"database at revision {migrate.current_revision(engine)}; epoch {changes.current_epoch(conn)}")
        return 0
    if command == "referrals":
        return _referral_command(engine, args)
    if command == "remote":  # sweep, the one command: the desk answers on the web and the JSON API
        actor = _cli_principal()
        with engine.begin() as conn:
            swept = remote_desk.sweep_overdue(conn, actor)
            audit.record(conn, actor, "cli.remote.sweep", swept)
        print(f"marked {len(swept)} remote request(s) overdue" + "".join(f"\n{no}" for no in swept))
        return 0
    if command == "staff":
        return web_cli.run(engine, args, _cli_principal())
    if command == "attachments":
        return _prune(engine, args)
    if command == "lab-catalogue":
        return _catalogue_command(engine, args)
    with engine.begin() as conn:
        if command == "new-epoch":
            print(f"new epoch {changes.new_epoch(conn)}: clinics will reconcile and resend")
        elif command == "broadcast":
            notice_id = str(uuid.uuid4())
            changes.publish(
                conn,
                kind=BROADCAST,
                record_id=notice_id,
                addressee_clinic_id=None,
                clinic_code=None,
                fields={"title": args.title, "body": args.body},
            )
            print(f"broadcast {notice_id} queued for every clinic")
        elif command == "add-clinic":
            _, token = accounts.add_clinic(conn, args.code, args.name)
            print(f"clinic {args.code} added. Its token (shown once, store it in the clinic's settings):\n{token}")
        elif command == "add-staff":
            staff_id, staff_token = accounts.add_staff(conn, args.name, args.role)
            print(f"staff {staff_id} ({args.role}) added. Token (shown once):\n{staff_token}")
        elif command == "rotate-token":
            print(
                f"new token (shown once; the old one no longer works):\n"
                f"{accounts.rotate_token(conn, args.clinic, args.staff)}"
            )
        elif command == "revoke-token":
            print(f"revoked {accounts.revoke_tokens(conn, args.clinic, args.staff)} token(s)")
        elif command == "directory" and args.directory_command == "import":
            summary = directory.import_file(conn, args.file, days=args.days)
            print(
                f"imported {summary['departments']} departments, {summary['slot_days']} slot days, "
                f"{summary['bed_days']} bed days; "
                f"{summary['opened_days']} department-days open"
            )
        elif command == "directory":
            kind = "beds" if args.directory_command == "set-beds" else "slots"
            directory.set_pool(conn, directory.POOL_KINDS[kind], args.department, args.date, args.total, args.reserved)
            print(f"{args.department} {args.date}: {args.total} {kind}")
    return 0


def freeze_startup_objects() -> None:
    """Leave the 100,000-odd objects of the loaded libraries and the app out of the garbage
    collector's full passes: each one walked them all, about 90 ms, twice during a 10,000-record
    push (BENCHMARKS.md, "Sync"). They live as long as the process anyway."""
    gc.collect()
    gc.freeze()


def worker_app():
    """The app of one ``serve --workers N`` process (uvicorn imports it by name)."""
    from clinic_hub.app import create_app

    app = create_app()
    freeze_startup_objects()
    return app


def _serve(engine, args) -> int:
    import uvicorn

    from clinic_hub.app import create_app
    from clinic_hub.settings import Settings

    if args.migrate:
        migrate.upgrade(engine)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        print("give both --ssl-certfile and --ssl-keyfile", file=sys.stderr)
        return 2
    url = engine.url.render_as_string(hide_password=False)
    if args.attachments:
        os.environ["CLINIC_HUB_ATTACHMENTS"] = args.attachments  # every worker process reads it
    if args.workers > 1:  # uvicorn imports the app by name in each worker process
        os.environ["CLINIC_HUB_DB"] = url
        target = "clinic_hub.cli:worker_app"
        uvicorn.run(
            target,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            access_log=False,
        )
        return 0
    app = create_app(Settings(database_url=url, attachment_dir=args.attachments), engine=engine)
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        access_log=False,
        log_level="warning",
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # LANG=en_US.UTF-8 -> English messages; anything else (zh_CN, C, unset) -> Chinese.
    language = negotiate(os.environ.get("LANG", "").replace("_", "-").split(".")[0])
    try:
        return run(args)
    except ApiError as exc:
        print(message(exc.code, language, **exc.params), file=sys.stderr)
        return 1
    except (accounts.AccountError, directory.DirectoryError, ValidationError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # the driver's text may quote patient data: its type only
        print(
            f"error: the database refused the command ({type(getattr(exc, 'orig', None) or exc).__name__}); "
            "nothing was changed. Check --db and run `clinic-hub migrate`.",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a refusal never ends in a traceback; CLINIC_HUB_DEBUG=1 shows it
        if os.environ.get("CLINIC_HUB_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}"[:500], file=sys.stderr)
        return 1
