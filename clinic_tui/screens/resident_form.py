"""Registering and editing a resident (一人一档), one line per field.

Each field is checked as it is left; before saving, the form looks for the same person already on
file. A citizen ID that disagrees with the sex or birth date typed is a warning to confirm (the
card may be wrong), and fills them in when they were left empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from textual import on
from textual.widgets import Input

from clinic_tui import clock
from clinic_tui.domain.codes import (
    CHRONIC_CONDITION,
    CITIZEN_ID_CARD,
    ID_DOCUMENT_TYPE,
    INSURANCE_TYPE,
    KEY_POPULATION,
    SEX,
    CodeList,
)
from clinic_tui.domain.contract import KeyPopulation, check_manual_tags
from clinic_tui.domain.idnumber import (
    compare_with_entered,
    mask_citizen_id,
    validate_citizen_id,
)
from clinic_tui.domain.phone import validate_phone
from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.widgets.form import FieldSpec

if TYPE_CHECKING:
    from clinic_tui.data.resident_views import Duplicate

HEALTH_RECORD_NO_LENGTH = 17  # 12-digit village code + 5-digit serial
PLACEHOLDER_MIN_LENGTH = 3  # "000", "xxxx": one character repeated is a filler, not a number


CHRONIC_CODES = CodeList(CHRONIC_CONDITION, tuple((code, code) for code in CHRONIC_CONDITION.codes()))
# Only the tags no record can tell; numbered so they are typed without switching input method.
MANUAL_TAG_CODES = CodeList(
    KEY_POPULATION,
    (
        ("1", KeyPopulation.MATERNAL.value),
        ("2", KeyPopulation.DISABLED.value),
        ("3", KeyPopulation.POVERTY.value),
    ),
)


def _document_type(values: Mapping[str, Any]) -> str:
    return values.get("id_type") or CITIZEN_ID_CARD


def check_id_number(text: str, values: Mapping[str, Any]) -> list[Problem]:
    if _document_type(values) == CITIZEN_ID_CARD:
        check = validate_citizen_id(text)
        return check.problems + compare_with_entered(check, values.get("sex"), values.get("birth_date"))
    # Another document's number is not checked, but a made-up filler is refused: no number is
    # better than a fake one that would match every other resident who got the same filler.
    compact = "".join(text.split())
    if len(set(compact)) == 1 and len(compact) >= PLACEHOLDER_MIN_LENGTH:
        return [
            Problem(
                "resident.placeholder_number",
                N_("Leave the number empty rather than typing a filler such as {text}."),
                {"text": compact},
                field="id_number",
            )
        ]
    return []


def check_birth_date(born: date, values: Mapping[str, Any]) -> list[Problem]:
    if born > clock.today():
        return [
            Problem("resident.birth_date_future", N_("The birth date cannot be in the future."), field="birth_date")
        ]
    return []


def check_phone(name: str):
    def check(text: str, values: Mapping[str, Any]) -> list[Problem]:
        return validate_phone(text, field=name).problems

    return check


def check_health_record_no(text: str, values: Mapping[str, Any]) -> list[Problem]:
    if len(text) == HEALTH_RECORD_NO_LENGTH and text.isascii() and text.isdigit():
        return []
    return [
        Problem(
            "resident.health_record_no",
            N_("A health record number has {expected} digits; this one is “{text}”."),
            {"expected": HEALTH_RECORD_NO_LENGTH, "text": text},
            field="health_record_no",
        )
    ]


def check_code_list(codes: CodeList, name: str):
    def check(text: str, values: Mapping[str, Any]) -> list[Problem]:
        _found, unknown = codes.parse(text)
        if unknown:
            return [
                Problem(
                    "resident.unknown_code",
                    N_("“{text}” is not on the list: {options}."),
                    {"text": " ".join(unknown), "options": codes.hint()},
                    field=name,
                )
            ]
        return []

    return check


def check_population_tags(text: str, values: Mapping[str, Any]) -> list[Problem]:
    problems = check_code_list(MANUAL_TAG_CODES, "manual_population_tags")(text, values)
    return problems or check_manual_tags(values.get("sex") or "", MANUAL_TAG_CODES.parse(text)[0])


def duplicate_problem(duplicate: Duplicate) -> Problem:
    """Same document: refused (the database holds one record per document). Same name and birth
    date: a warning, since two people can share both."""
    hit = duplicate.resident
    who = " ".join(
        part
        for part in (
            hit.name,
            hit.birth_date.isoformat() if hit.birth_date else "",
            mask_citizen_id(hit.id_number) if hit.id_number else "",
            hit.phone or "",
        )
        if part
    )
    if duplicate.same_document:
        return Problem(
            "resident.duplicate_document",
            N_("Already registered with this document: {resident}. Find that record instead."),
            {"resident": who},
            field="id_number",
        )
    return Problem(
        f"resident.duplicate:{hit.id}",
        N_("Possibly already registered: {resident}."),
        {"resident": who},
        Severity.WARNING,
        field="name",
    )


class ResidentFormScreen(FormScreen):
    form_name = "resident"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.registering = self.record_id is None
        self.title_text = N_("Register a resident") if self.registering else N_("Edit resident")

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("name", N_("Name"), required=True),
            FieldSpec("sex", N_("Sex"), "choice", choices=SEX),
            FieldSpec("birth_date", N_("Born"), "date", hint=N_("YYYY-MM-DD"), check=check_birth_date),
            FieldSpec("id_type", N_("Document type"), "choice", choices=ID_DOCUMENT_TYPE),
            FieldSpec("id_number", N_("ID number"), hint=N_("18 characters on an ID card"), check=check_id_number),
            FieldSpec("phone", N_("Phone"), check=check_phone("phone")),
            FieldSpec("address", N_("Address")),
            FieldSpec("division_name", N_("Village")),
            FieldSpec("health_record_no", N_("Health record"), hint=N_("17 digits"), check=check_health_record_no),
            FieldSpec("insurance_type", N_("Insurance"), "choice", choices=INSURANCE_TYPE),
            FieldSpec("insurance_no", N_("Insurance no.")),
            FieldSpec("emergency_contact", N_("Contact")),
            FieldSpec("emergency_phone", N_("Contact phone"), check=check_phone("emergency_phone")),
            FieldSpec(
                "chronic_conditions",
                N_("Chronic"),
                hint=CHRONIC_CODES.hint(),
                check=check_code_list(CHRONIC_CODES, "chronic_conditions"),
            ),
            FieldSpec(
                "manual_population_tags", N_("Populations"), hint=MANUAL_TAG_CODES.hint(), check=check_population_tags
            ),
        ]

    def load_initial(self) -> dict[str, Any]:
        if self.registering:
            return {"id_type": CITIZEN_ID_CARD, **self.initial}
        assert self.record_id is not None  # editing
        values = self.clinic_store.residents.values(self.record_id)
        values["chronic_conditions"] = CHRONIC_CODES.show(values["chronic_conditions"])
        values["manual_population_tags"] = MANUAL_TAG_CODES.show(values["manual_population_tags"])
        return values

    def draft_title(self) -> str:
        name = self.form.input("name").value.strip()
        return f"{_(self.title_text)} {name}".strip()

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        problems = []
        if _document_type(values) == CITIZEN_ID_CARD and not values["id_number"]:
            problems += validate_citizen_id("").problems  # "choose another document type"
        found = self.clinic_store.residents.duplicates(self._stored(values), exclude_id=self.record_id)
        return problems + [duplicate_problem(d) for d in found]

    def save(self, values: dict[str, Any]) -> str:
        residents = self.clinic_store.residents
        if self.registering:
            return residents.register(self._stored(values), self.clinic_app.user_id)
        assert self.record_id is not None  # editing
        residents.update(self.record_id, self._stored(values), self.clinic_app.user_id)
        return self.record_id

    def after_save(self, record_id: str) -> None:
        from clinic_tui.screens.routes import record_page

        self.app.post_message(DataChanged())
        if not self.registering:
            super().after_save(record_id)
            return
        self.app.notify(_("Registered."), timeout=3)
        self.app.switch_screen(record_page("resident", record_id))

    @staticmethod
    def _stored(values: dict[str, Any]) -> dict[str, Any]:
        return {
            **values,
            "chronic_conditions": CHRONIC_CODES.parse(values["chronic_conditions"] or "")[0],
            "manual_population_tags": MANUAL_TAG_CODES.parse(values["manual_population_tags"] or "")[0],
        }

    @on(Input.Blurred, "#field-id_number")
    def _fill_from_id(self) -> None:
        """A valid citizen ID gives the sex and birth date: fill the ones left empty."""
        raw = self.form.raw()
        id_type = ID_DOCUMENT_TYPE.parse(raw["id_type"]) if raw["id_type"].strip() else CITIZEN_ID_CARD
        if id_type != CITIZEN_ID_CARD or not raw["id_number"].strip():
            return
        check = validate_citizen_id(raw["id_number"])
        if not check.ok or check.sex is None or check.birth_date is None:  # a valid number gives both
            return
        for name, value in (("sex", check.sex), ("birth_date", check.birth_date.isoformat())):
            field = self.form.input(name)
            if not field.value.strip():
                field.value = value
                self.form.check_field(name)
