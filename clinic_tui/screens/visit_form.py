"""The visit form (门诊/巡诊记录): complaint, vitals, diagnoses, treatment, prescription, fee.

Each vital is checked as it is left (``domain.vitals``): an impossible value (1400 for 140) is
refused, an alarming one (200/120) is accepted and flagged. Diagnoses are picked from the
catalogue by code or pinyin, or kept as flagged free text; at least one is required.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, time
from typing import TYPE_CHECKING, Any

from textual import on
from textual.binding import Binding
from textual.widgets import Input

from clinic_tui import clock
from clinic_tui.domain.codes import SEX, VISIT_MODE, CodeSet
from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.domain.vitals import check_vitals
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.widgets.diagnosis_picker import DiagnosisPicker
from clinic_tui.widgets.form import Check, FieldSpec

if TYPE_CHECKING:
    from clinic_tui.data.form_facts import ResidentFacts

ADULT_FROM_AGE = 18
GLUCOSE_KIND = CodeSet(
    "glucose sample",
    (("1", N_("Fasting")), ("2", N_("Random")), ("3", N_("2 hours after a meal"))),
)
_GLUCOSE_STORED = {"1": "fasting", "2": "random", "3": "postprandial_2h"}  # Visit.glucose_kind
_GLUCOSE_VITAL: dict[str | None, str] = {"1": "fasting_glucose", "2": "random_glucose", "3": "postprandial_glucose"}
YES_NO = CodeSet("yes or no", (("0", N_("No")), ("1", N_("Yes"))))
# The picker edits this field, hidden in the form, holding the chosen diagnoses as JSON: that
# way drafts, "unsaved changes" and saving treat the diagnoses like every other field.
DIAGNOSES = "diagnoses"
_TIME = re.compile(r"(\d{1,2})[:：.]?(\d{2})")


def vital_problems(readings: Mapping[str, tuple[str, float | None]], *, adult: bool) -> list[Problem]:
    """``check_vitals`` on ``{vital: (form field, value)}``, each problem named after its form field.

    A BMI problem goes to the height field (weight and height give it; height is typed last).
    """
    fields: dict[str | None, str | None] = {vital: field for vital, (field, _value) in readings.items()}
    fields["bmi"] = fields.get("height", "bmi")
    problems = check_vitals(adult=adult, **{vital: value for vital, (_field, value) in readings.items()})
    return [replace(p, field=fields.get(p.field, p.field)) for p in problems]


def is_adult(age: int | None) -> bool:
    return age is None or age >= ADULT_FROM_AGE  # unknown age: the adult alarms are the safer side


def resident_line(facts: ResidentFacts, on: date) -> str:
    """The resident as a form title shows them: name, sex, age."""
    age = facts.age_on(on)
    parts = [facts.name, SEX.label(facts.sex) if SEX.is_valid(facts.sex) else ""]
    parts.append(_("{age} years").format(age=age) if age is not None else "")
    return " ".join(p for p in parts if p)


def parse_time(text: str) -> time:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    return time(int(match[1]), int(match[2]))


def _time_problems(value: str, _values: Mapping[str, Any]) -> list[Problem]:
    try:
        parse_time(value)
    except ValueError:
        template = N_("“{text}” is not a time; type it as 14:30.")
        return [Problem("visit.time", template, {"text": value}, field="visit_time")]
    return []


class VisitFormScreen(FormScreen):
    form_name = "visit"
    title_text = N_("Visit record")
    # Ctrl+R (the app's "new referral") here saves the visit, marked referred, and opens the slip on it.
    BINDINGS = [
        Binding("ctrl+r", "save_and_refer", N_("Save and refer"), id="visit.refer"),
        # F10: ask the hospital remotely about this visit (saved first when it is new or changed).
        Binding("f10", "remote", N_("Remote"), id="visit.remote"),
    ]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._facts: ResidentFacts | None = None
        self._stored: dict[str, Any] | None = None

    @property
    def resident_id(self) -> str:
        return self.context["resident_id"]

    @property
    def facts(self) -> ResidentFacts:
        if self._facts is None:
            self._facts = self.clinic_store.residents.form_facts(self.resident_id)
        return self._facts

    @property
    def stored(self) -> dict[str, Any] | None:
        """The visit as saved, when the form shows one."""
        if self._stored is None and self.record_id is not None:
            self._stored = self.clinic_store.visits.load(self.record_id)
        return self._stored

    def record_day(self) -> str | None:
        return clock.local(self.stored["visit_at"]).date().isoformat() if self.stored else None

    def form_title(self) -> str:
        return f"{self.heading(_(self.title_text))} · {resident_line(self.facts, clock.today())}"

    @property
    def picker(self) -> DiagnosisPicker:
        return self.query_one(DiagnosisPicker)

    def context_key(self) -> str:
        return self.resident_id

    def draft_title(self) -> str:
        return f"{_(self.title_text)} {self.facts.name}"

    def specs(self) -> list[FieldSpec]:
        vital = self._vital_check
        return [
            FieldSpec("visit_date", N_("Date"), "date", required=True),
            FieldSpec("visit_time", N_("Time"), required=True, hint=N_("HH:MM"), check=_time_problems),
            FieldSpec("mode", N_("Visit mode"), "choice", required=True, choices=VISIT_MODE),
            FieldSpec("chief_complaint", N_("Complaint")),
            FieldSpec("sbp", N_("Systolic BP"), "int", hint=N_("mmHg"), check=vital("sbp")),
            FieldSpec("dbp", N_("Diastolic BP"), "int", hint=N_("mmHg"), check=vital("dbp")),
            FieldSpec("heart_rate", N_("Heart rate"), "int", hint=N_("bpm"), check=vital("heart_rate")),
            FieldSpec("temperature_c", N_("Temperature"), "decimal", hint=N_("°C"), check=vital("temperature_c")),
            FieldSpec("weight_kg", N_("Weight"), "decimal", hint=N_("kg"), check=vital("weight_kg")),
            FieldSpec("height_cm", N_("Height"), "decimal", hint=N_("cm"), check=vital("height_cm")),
            FieldSpec("glucose_mmol", N_("Glucose"), "decimal", hint=N_("mmol/L"), check=vital("glucose_mmol")),
            FieldSpec("glucose_kind", N_("Glucose kind"), "choice", choices=GLUCOSE_KIND),
            FieldSpec(DIAGNOSES, N_("Diagnoses")),
            FieldSpec("treatment", N_("Treatment")),
            FieldSpec("prescription", N_("Prescription")),
            FieldSpec("fee", N_("Fee (yuan)"), "money"),
            FieldSpec("referral_flag", N_("Referred"), "choice", required=True, choices=YES_NO),
        ]

    def _vital_check(self, field: str) -> Check:
        def check(_value: Any, values: Mapping[str, Any]) -> list[Problem]:
            adult = is_adult(self.facts.age_on(values.get("visit_date") or clock.today()))
            return [p for p in vital_problems(self._readings(values), adult=adult) if p.field == field]

        return check

    @staticmethod
    def _readings(values: Mapping[str, Any]) -> dict[str, tuple[str, float | None]]:
        glucose = _GLUCOSE_VITAL.get(values.get("glucose_kind"), "random_glucose")
        return {
            "systolic": ("sbp", values.get("sbp")),
            "diastolic": ("dbp", values.get("dbp")),
            "heart_rate": ("heart_rate", values.get("heart_rate")),
            "temperature": ("temperature_c", values.get("temperature_c")),
            "weight": ("weight_kg", values.get("weight_kg")),
            "height": ("height_cm", values.get("height_cm")),
            glucose: ("glucose_mmol", values.get("glucose_mmol")),
        }

    def on_mount(self) -> None:
        # Runs before FormScreen.on_mount loads the values: the picker is in place to show them.
        self.show_title()
        field, row = self.form.input(DIAGNOSES), self.form.row(DIAGNOSES)
        row.display = False
        field.disabled = True
        diagnoses = self.clinic_store.diagnoses
        resident_id = self.resident_id  # ranked for this resident's sex and age
        self.form.mount(DiagnosisPicker(lambda query: diagnoses.find(query, resident_id=resident_id)), after=row)

    @on(DiagnosisPicker.Changed)
    def _diagnoses_picked(self, event: DiagnosisPicker.Changed) -> None:
        self.form.input(DIAGNOSES).value = json.dumps(event.diagnoses, ensure_ascii=False)

    @on(Input.Changed, f"#field-{DIAGNOSES}")
    def _diagnoses_loaded(self, event: Input.Changed) -> None:
        self.picker.set_chosen(json.loads(event.value or "[]"))

    def load_initial(self) -> dict[str, Any]:
        if self.stored is not None:
            return self._form_values(self.stored)
        now, latest = clock.now(), self.facts.latest_visit
        return {
            "visit_date": now.date(),
            "visit_time": now.strftime("%H:%M"),
            "mode": "1",
            "referral_flag": "0",
            DIAGNOSES: "[]",
            "height_cm": latest.height_cm if latest else None,  # adults keep their height
        }

    @staticmethod
    def _form_values(stored: dict[str, Any]) -> dict[str, Any]:
        local = clock.local(stored["visit_at"])
        kind = next((code for code, word in _GLUCOSE_STORED.items() if word == stored["glucose_kind"]), None)
        return stored | {
            "visit_date": local.date(),
            "visit_time": local.strftime("%H:%M"),
            "glucose_kind": kind,
            DIAGNOSES: json.dumps(stored["diagnoses"], ensure_ascii=False),
            "fee": stored["fee_fen"],
            "referral_flag": "1" if stored["referral_flag"] else "0",
        }

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        problems = self.picker.check()
        if any(p.severity is Severity.ERROR for p in problems):
            self.picker.query_input.focus()  # FormScreen focuses the fields it lays out, not the picker
        return problems

    def save(self, values: dict[str, Any]) -> str:
        return self.clinic_store.visits.save(
            resident_id=self.resident_id,
            values=self._record_values(values),
            user_id=self.clinic_app.user_id,
            record_id=self.record_id,
        )

    @staticmethod
    def _record_values(values: dict[str, Any]) -> dict[str, Any]:
        local = clock.at(values["visit_date"], parse_time(values["visit_time"]))
        same = (
            "mode",
            "chief_complaint",
            "sbp",
            "dbp",
            "heart_rate",
            "temperature_c",
            "weight_kg",
            "height_cm",
            "glucose_mmol",
            "treatment",
            "prescription",
        )
        glucose_taken = values["glucose_mmol"] is not None
        return {name: values[name] for name in same} | {
            "visit_at": local.astimezone(UTC),
            "glucose_kind": _GLUCOSE_STORED.get(values["glucose_kind"]) if glucose_taken else None,
            "diagnoses": json.loads(values[DIAGNOSES] or "[]"),
            "fee_fen": values["fee"] or 0,
            "referral_flag": values["referral_flag"] == "1",
        }

    def action_save_and_refer(self) -> None:
        self.form.input("referral_flag").value = "1"
        self._refer_after_save = True
        try:
            self.action_save()
        finally:
            self._refer_after_save = False

    def action_remote(self) -> None:
        if self.read_only and self.record_id is not None:
            self._open_remote(self.record_id)
            return
        self._remote_after_save = True
        try:
            self.action_save()
        finally:
            self._remote_after_save = False

    def _open_remote(self, visit_id: str) -> None:
        from clinic_tui.screens.routes import form_class

        self.app.push_screen(form_class("remote")(context={"resident_id": self.resident_id, "visit_id": visit_id}))

    def after_save(self, record_id: str) -> None:
        # To the app, not from this screen: the screen is dismissed before its own queue would run.
        self.app.post_message(DataChanged())
        super().after_save(record_id)
        if getattr(self, "_remote_after_save", False):
            self._open_remote(record_id)
        if getattr(self, "_refer_after_save", False):
            from clinic_tui.screens.routes import form_class

            context = {"resident_id": self.resident_id, "visit_id": record_id}
            self.app.push_screen(form_class("referral")(context=context))
