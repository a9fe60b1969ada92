"""``clinic-hub staff ...``: web desk sign-in for staff (hooked into clinic_hub.cli).

    clinic-hub staff set-password --staff <id> [--login 分诊台] [--department NEI]   # asks twice; or stdin
    clinic-hub staff unlock --staff <id>                          # clear a lockout

The password is read from the terminal without echo (twice), or from the first line of stdin when
stdin is not a terminal (for scripts: ``printf '%s\\n' "$PW" | clinic-hub staff set-password ...``).
Never from an argument: arguments end up in shell histories and process lists.
"""

from __future__ import annotations

import argparse
import getpass
import sys

import sqlalchemy as sa

from clinic_hub import audit, directory
from clinic_hub.accounts import AccountError, Principal
from clinic_hub.models import Staff, table_of
from clinic_hub.web import auth


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    staff = sub.add_parser("staff", help="web desk sign-in of hospital staff (passwords, lockouts)")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    set_pw = staff_sub.add_parser(
        "set-password", parents=[common], help="set a staff member's web desk password (prompt, or stdin)"
    )
    set_pw.add_argument("--staff", required=True, help="staff id (printed by add-staff)")
    set_pw.add_argument("--login", help="login name for the desk (default: the staff member's name)")
    set_pw.add_argument(
        "--department",
        help="a doctor's department code: the desk then shows them the referrals booked into it ('' to clear)",
    )
    unlock = staff_sub.add_parser("unlock", parents=[common], help="clear a lockout after failed sign-ins")
    unlock.add_argument("--staff", required=True, help="staff id")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def run(engine, args, actor: Principal) -> int:
    if args.staff_command == "set-password":
        password = _read_password()
        with engine.begin() as conn:
            if args.department and directory.department(conn, args.department) is None:
                raise AccountError(f"no department {args.department}")
            login = auth.set_password(conn, args.staff, password, args.login, args.department)
            audit.record(conn, actor, "cli.staff.set_password", [args.staff])
            role = conn.execute(
                sa.select(table_of(Staff).c.role).where(table_of(Staff).c.id == args.staff)
            ).scalar_one()
        print(f"password set; {args.staff} ({role}) signs in to /desk/ as {login!r}")
        return 0
    with engine.begin() as conn:  # unlock
        if not auth.unlock(conn, args.staff):
            raise AccountError(f"staff member {args.staff} has no web desk password")
        audit.record(conn, actor, "cli.staff.unlock", [args.staff])
    print(f"{args.staff} unlocked")
    return 0
