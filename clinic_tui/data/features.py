"""One door per feature from the screens to the data layer: ``store.residents``, ``store.referrals``...

Each method is one read or one user action, made with the store's engine; the screens never see
the engine nor open a session. The methods wrap the feature's service module (``resident_service``,
``referral_service``...), which keeps the SQL and the transactions; what they return and raise is
what the service returns and raises. A service module is imported on the method's first call, so
importing the store (on the path to the first frame) does not import SQLAlchemy.

These calls block on SQLite: screens make them from a thread worker where a read can be slow (lists,
pages), and on the UI thread for a form's own small reads and writes, as before.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy import Engine


class _Store(Protocol):
    """What a feature needs of the Store (data/store.py), which makes the features."""

    @property
    def engine(self) -> Engine: ...

    @property
    def path(self) -> Path: ...

    def clinic(self) -> Any: ...


class _Feature:
    def __init__(self, store: _Store):
        self._store = store

    @property
    def _engine(self) -> Engine:
        return self._store.engine


class Residents(_Feature):
    """Find, register and change residents; what their page and the forms show about them."""

    def count(self, *, stop: Callable[[], bool] | None = None) -> int | None:
        """Residents on file; None if ``stop`` (asked every few thousand steps of SQLite's) said to
        stop first. The count reads the whole table (about 1.4 s of disk on the 100k benchmark's
        1 GB file, cold): whoever no longer needs it can leave the disk and the core to others."""
        # Plain SQLite, like the search: the residents screen opens before the ORM has loaded.
        import sqlite3

        from clinic_tui.data.sqlite_file import reading

        with reading(self._store.path) as connection:
            if stop is not None:
                connection.set_progress_handler(stop, 10_000)  # a true answer interrupts the query
            try:
                return int(connection.execute("SELECT count(*) FROM resident WHERE deleted = 0").fetchone()[0])
            except sqlite3.OperationalError:
                if stop is not None and stop():
                    return None
                raise

    def search(self, query: str, *, limit: int = 50, offset: int = 0):
        # Plain SQLite: the first search after sign-in does not wait for the ORM (resident_search.py).
        from clinic_tui.data.resident_search import search_residents
        from clinic_tui.data.sqlite_file import reading

        with reading(self._store.path) as connection:
            return search_residents(connection, query, limit=limit, offset=offset)

    def of_record(self, kind: str, record_id: str) -> str | None:
        """The resident a visit, follow-up, referral, contract or task belongs to."""
        from clinic_tui.data.db import read_session
        from clinic_tui.data.models import SYNCED_KINDS

        with read_session(self._engine) as session:
            record = session.get(SYNCED_KINDS[kind], record_id)
            return getattr(record, "resident_id", None) if record is not None else None

    def values(self, resident_id: str) -> dict[str, Any]:
        from clinic_tui.data.resident_service import resident_values

        return resident_values(self._engine, resident_id)

    def duplicates(self, values: dict[str, Any], *, exclude_id: str | None = None):
        from clinic_tui.data.resident_service import duplicates

        return duplicates(self._engine, values, exclude_id=exclude_id)

    def register(self, values: dict[str, Any], user_id: str | None) -> str:
        """Register a resident of this database's clinic; returns the new id."""
        from clinic_tui.data.resident_service import register_resident

        return register_resident(self._engine, values, user_id, self._store.clinic().id)

    def update(self, resident_id: str, values: dict[str, Any], user_id: str | None) -> None:
        from clinic_tui.data.resident_service import update_resident

        update_resident(self._engine, resident_id, values, user_id)

    def page_facts(self, resident_id: str, today: date):
        """What the resident's page shows at its top (resident_service.ResidentFacts)."""
        from clinic_tui.data.resident_service import resident_facts

        return resident_facts(self._engine, resident_id, today)

    def timeline(self, resident_id: str, today: date, limit: int):
        from clinic_tui.data.resident_service import timeline

        return timeline(self._engine, resident_id, today, limit)

    def form_facts(self, resident_id: str):
        """What a form shows and checks about the resident it records for (form_facts.ResidentFacts).
        Plain SQLite: the visit form opened right after the first search shows without the ORM."""
        from clinic_tui.data.form_facts import read_form_facts
        from clinic_tui.data.sqlite_file import reading

        with reading(self._store.path) as connection:
            return read_form_facts(connection, resident_id)


class Diagnoses(_Feature):
    def find(self, query: str, *, limit: int = 5, resident_id: str | None = None):
        """The best catalogue matches, one per code (for the diagnosis pickers), ranked for the
        resident when one is given (sex and age: domain.diagnosis_fit) and by the clinic's use."""
        from clinic_tui import clock
        from clinic_tui.data.diagnoses import find_diagnoses
        from clinic_tui.domain.diagnosis_fit import Patient

        patient = None
        if resident_id:
            facts = Residents(self._store).form_facts(resident_id)
            patient = Patient(sex=facts.sex, age=facts.age_on(clock.today()))
        return find_diagnoses(self._engine, query, limit=limit, patient=patient)


class Visits(_Feature):
    def load(self, visit_id: str) -> dict[str, Any]:
        from clinic_tui.data.visit_service import load_visit

        return load_visit(self._engine, visit_id)

    def save(
        self, *, resident_id: str, values: dict[str, Any], user_id: str | None, record_id: str | None = None
    ) -> str:
        from clinic_tui.data.diagnoses import forget_diagnosis_use
        from clinic_tui.data.visit_service import save_visit

        saved = save_visit(self._engine, resident_id=resident_id, values=values, user_id=user_id, record_id=record_id)
        forget_diagnosis_use(self._engine)  # its diagnoses count in the next search's ranking
        return saved


class Followups(_Feature):
    def facts(self, resident_id: str, *, on: date | None = None, exclude_id: str | None = None):
        from clinic_tui.data.followup_service import followup_facts

        return followup_facts(self._engine, resident_id, on=on, exclude_id=exclude_id)

    def load(self, followup_id: str) -> dict[str, Any]:
        from clinic_tui.data.followup_service import load_followup

        return load_followup(self._engine, followup_id)

    def save(self, **arguments) -> str:
        """followup_service.save_followup's arguments (resident_id, disease, values, user_id, record_id)."""
        from clinic_tui.data.followup_service import save_followup

        return save_followup(self._engine, **arguments)

    def save_and_refer(self, *, referral, **arguments) -> tuple[str, str]:
        """Save the follow-up and start a referral draft (``referral``: a followup_service.ReferralStart)."""
        from clinic_tui.data.followup_service import save_followup_and_refer

        return save_followup_and_refer(self._engine, referral=referral, **arguments)


class Referrals(_Feature):
    """Upward referral slips: the form, the list, the page, cancelling."""

    def directory(self, today: date):
        from clinic_tui.data.referral_service import directory

        return directory(self._engine, today)

    def reason_templates(self) -> list[str]:
        from clinic_tui.data.referral_service import reason_templates

        return reason_templates(self._engine)

    def prefill(self, resident_id: str, *, visit_id: str | None = None, followup_id: str | None = None):
        from clinic_tui.data.referral_service import prefill

        return prefill(self._engine, resident_id, visit_id=visit_id, followup_id=followup_id)

    def results(self, resident_id: str):
        """The lead hospital's results the slip may carry (data/slip_results.available), in the
        order the form offers them."""
        from clinic_tui.data.slip_results import available

        return available(self._engine, resident_id)

    def load(self, referral_id: str) -> dict[str, Any]:
        from clinic_tui.data.referral_service import load_referral

        return load_referral(self._engine, referral_id)

    def save_draft(self, **arguments) -> str:
        """referral_service.save_draft's arguments (resident_id, values, user_id, record_id, source_visit_id)."""
        from clinic_tui.data.referral_service import save_draft

        return save_draft(self._engine, **arguments)

    def submit(self, **arguments) -> tuple[str, str]:
        """Send the slip (referral_service.submit); raises ``ReferralRefused``."""
        from clinic_tui.data.referral_service import submit

        return submit(self._engine, **arguments)

    def page(self, flt, *, limit: int, offset: int):
        """One page of the list and the counts of the filter bar: (rows, counts by status group)."""
        from clinic_tui.data.referral_queries import count_by_status, group_counts, list_referrals

        rows = list_referrals(self._engine, flt, limit=limit, offset=offset)
        return rows, group_counts(count_by_status(self._engine, flt))

    def detail(self, referral_id: str):
        """What the referral's page shows; raises ``ReferralNotFound``."""
        from clinic_tui.data.referral_queries import referral_detail

        return referral_detail(self._engine, referral_id)

    def cancel(self, referral_id: str, *, user_id: str | None, reason: str):
        """Cancel the slip; raises ``DomainError`` (its message in the user's language) when refused."""
        from clinic_tui.data.referral_status import move
        from clinic_tui.domain.referral import Status

        return move(self._engine, referral_id, Status.CANCELLED, user_id=user_id, reason=reason)


class Contracts(_Feature):
    """Family-doctor contracts: sign, renew, terminate, list."""

    def teams(self):
        from clinic_tui.data.contract_service import teams

        return teams(self._engine)

    def packages(self):
        from clinic_tui.data.contract_service import packages

        return packages(self._engine)

    def prefill(self, *, today: date, resident_id: str | None = None, renew_of: str | None = None):
        from clinic_tui.data.contract_service import prefill

        return prefill(self._engine, today=today, resident_id=resident_id, renew_of=renew_of)

    def form_context_for(self, resident_id: str, today: date) -> dict[str, str]:
        """The contract form's context for the resident: a new contract, or renewing the one in force."""
        from clinic_tui.data.contract_service import form_context_for

        return form_context_for(self._engine, resident_id, today)

    def check(self, resident_id: str, values: dict[str, Any], *, renew_of: str | None = None):
        from clinic_tui.data.contract_service import check

        return check(self._engine, resident_id, values, renew_of=renew_of)

    def sign(
        self, *, resident_id: str, values: dict[str, Any], user_id: str | None, today: date, renew_of: str | None = None
    ) -> str:
        from clinic_tui.data.contract_service import sign

        return sign(
            self._engine, resident_id=resident_id, values=values, user_id=user_id, today=today, renew_of=renew_of
        )

    def termination_problems(self, contract_id: str, reason_code: str | None, note: str | None, on: date):
        from clinic_tui.data.contract_service import termination_problems

        return termination_problems(self._engine, contract_id, reason_code, note, on)

    def terminate(
        self, contract_id: str, *, reason_code: str | None, note: str | None, on: date, user_id: str | None, today: date
    ) -> None:
        from clinic_tui.data.contract_service import terminate

        terminate(self._engine, contract_id, reason_code=reason_code, note=note, on=on, user_id=user_id, today=today)

    def details(self, contract_id: str, today: date):
        from clinic_tui.data.contract_service import details

        return details(self._engine, contract_id, today)

    def page(self, today: date, which: str, *, limit: int, offset: int):
        """One page of the list and how many the list holds: (rows, total)."""
        from clinic_tui.data.contract_service import count_contracts, list_contracts

        rows = list_contracts(self._engine, today, which, limit=limit, offset=offset)
        return rows, count_contracts(self._engine, today, which)


class Downward(_Feature):
    """Referrals the hospital sent down: the inbox, a slip, acknowledging it."""

    def inbox(self, *, waiting_only: bool = False):
        from clinic_tui.data.downward_service import inbox

        return inbox(self._engine, waiting_only=waiting_only)

    def details(self, referral_id: str):
        from clinic_tui.data.downward_service import details

        return details(self._engine, referral_id)

    def candidates(self, referral_id: str):
        from clinic_tui.data.downward_service import candidates

        return candidates(self._engine, referral_id)

    def acknowledge(
        self, referral_id: str, *, user_id: str | None, resident_id: str | None = None, register_patient: bool = False
    ) -> list[str]:
        from clinic_tui.data.downward_service import acknowledge

        return acknowledge(
            self._engine, referral_id, user_id=user_id, resident_id=resident_id, register_patient=register_patient
        )


class Indicators(_Feature):
    def month_report(self, first: date, today: date):
        from clinic_tui.data.indicators import month_report

        return month_report(self._engine, first, today)

    def export_csv(self, rows: list[list[str]], path: Path) -> Path:
        """Write the table owner-only, like the database; the BOM tells Excel it is UTF-8."""
        import csv

        from clinic_tui.data.private_files import open_private

        with open_private(path, encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(rows)
        return path


class Remote(_Feature):
    """Remote consultations and reads asked of the lead hospital (data/remote_requests.py)."""

    def departments(self) -> list[tuple[str, str]]:
        from clinic_tui.data.remote_requests import departments

        return departments(self._engine)

    def prefill(self, resident_id: str, *, visit_id: str | None = None, followup_id: str | None = None) -> dict:
        from clinic_tui.data.remote_requests import prefill

        return prefill(self._engine, resident_id, visit_id=visit_id, followup_id=followup_id)

    def submit(self, *, resident_id: str, values: dict[str, Any], user_id: str | None) -> tuple[str, str]:
        """Send the request; raises ``RemoteRefused`` (every problem, each naming its field)."""
        from clinic_tui.data.remote_requests import submit

        return submit(self._engine, resident_id=resident_id, values=values, user_id=user_id)

    def detail(self, request_id: str):
        from clinic_tui.data.remote_requests import detail

        return detail(self._engine, request_id)

    def page(self, which: str = "all", *, limit: int = 50, offset: int = 0):
        """(rows, counts by filter) of the list (remote_requests.FILTERS)."""
        from clinic_tui.data.remote_requests import page

        return page(self._engine, which, limit=limit, offset=offset)

    def critical_count(self) -> int:
        from clinic_tui.data.remote_requests import critical_count

        return critical_count(self._engine)

    def withdraw(self, request_id: str, *, user_id: str | None) -> None:
        """Raises ``DomainError`` (its message in the user's language) when refused."""
        from clinic_tui.data.remote_requests import withdraw

        withdraw(self._engine, request_id, user_id=user_id)

    def mark_read(self, request_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.remote_requests import mark_read

        mark_read(self._engine, request_id, user_id=user_id)

    def acknowledge_critical(self, request_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.remote_requests import acknowledge_critical

        acknowledge_critical(self._engine, request_id, user_id=user_id)

    def examine_attachment(self, path: str, taken: list[dict[str, Any]]) -> dict[str, Any]:
        """A file named in the form (a typed or pasted path), checked: exists, PDF/JPEG/PNG by its
        bytes, within the size limits, not attached twice. Returns what ``submit`` takes in
        ``values["attachments"]``; raises ``DomainError`` naming the problem."""
        from dataclasses import asdict

        from clinic_tui.data.attachments import Candidate, examine

        return asdict(examine(path, [Candidate(**c) for c in taken]))


class Lab(_Feature):
    """Lab orders sent to the lead hospital's lab and their results (data/lab_orders.py)."""

    def catalogue(self):
        from clinic_tui.data.lab_orders import catalogue

        return catalogue()

    def order(self, *, resident_id: str, values: dict[str, Any], user_id: str | None, send: bool = False):
        """Write the order (and with ``send`` collected and sent); raises ``LabRefused``."""
        from clinic_tui.data.lab_orders import order

        return order(self._engine, resident_id=resident_id, values=values, user_id=user_id, send=send)

    def detail(self, order_id: str):
        from clinic_tui.data.lab_orders import detail

        return detail(self._engine, order_id)

    def page(self, which: str = "all", *, limit: int = 50, offset: int = 0):
        """(rows, counts by filter) of the list (lab_orders.FILTERS)."""
        from clinic_tui.data.lab_orders import page

        return page(self._engine, which, limit=limit, offset=offset)

    def collect(self, order_id: str, *, values: dict[str, Any], user_id: str | None) -> None:
        from clinic_tui.data.lab_orders import collect

        collect(self._engine, order_id, values=values, user_id=user_id)

    def send(self, order_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.lab_orders import send

        send(self._engine, order_id, user_id=user_id)

    def cancel(self, order_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.lab_orders import cancel

        cancel(self._engine, order_id, user_id=user_id)

    def recollect(self, order_id: str, *, values: dict[str, Any], user_id: str | None) -> None:
        from clinic_tui.data.lab_orders import recollect

        recollect(self._engine, order_id, values=values, user_id=user_id)

    def acknowledge_critical(self, order_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.lab_orders import acknowledge_critical

        acknowledge_critical(self._engine, order_id, user_id=user_id)


class Exam(_Feature):
    """Examinations booked from the lead hospital's reserved pool and their reports (data/exam_bookings.py)."""

    def free_slots(self, today: date):
        """Days with free reserved slots, by day and examination, as of the last pull."""
        from clinic_tui.data.exam_bookings import free_slots

        return free_slots(self._engine, today)

    def book(self, *, resident_id: str, values: dict[str, Any], user_id: str | None):
        """Write the booking; (id, number). Raises ``ExamRefused``."""
        from clinic_tui.data.exam_bookings import book

        return book(self._engine, resident_id=resident_id, values=values, user_id=user_id)

    def detail(self, booking_id: str):
        from clinic_tui.data.exam_bookings import detail

        return detail(self._engine, booking_id)

    def page(self, *, today: date, limit: int = 50, offset: int = 0):
        """(rows, total, unacknowledged criticals) of the clinic's list (exam_bookings.page)."""
        from clinic_tui.data.exam_bookings import page

        return page(self._engine, today=today, limit=limit, offset=offset)

    def cancel(self, booking_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.exam_bookings import cancel

        cancel(self._engine, booking_id, user_id=user_id)

    def acknowledge_critical(self, booking_id: str, *, user_id: str | None) -> None:
        from clinic_tui.data.exam_bookings import acknowledge_critical

        acknowledge_critical(self._engine, booking_id, user_id=user_id)
