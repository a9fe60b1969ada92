"""The upward referral slip (上转单): a complete referral in well under a minute, keys only.

The slip starts from the records (the resident, the latest visit and follow-ups, the clinic and
the signed-in doctor), so most fields are confirmed with Enter. Choices are typed as numbers, with
their list shown under the form while the field has focus. Ctrl+S keeps the slip as a draft;
Ctrl+T sends it, or shows beside each field what still stops it (``submission_problems``).
急诊 is the green channel: shown in its own colour, with a reminder to phone the hospital first.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input, Static

from clinic_tui import clock
from clinic_tui.domain.codes import CodeSet
from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.domain.slip_results import RECENT_DAYS
from clinic_tui.i18n import N_, _, ngettext
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.screens.referral_fields import (
    CONSENT,
    EMERGENCY_CODE,
    HIDDEN,
    PROBLEM_FIELD,
    PURPOSE,
    TRANSPORT_LEGEND,
    URGENCY,
    LiveChoices,
    form_values,
    record_values,
    transport_problems,
)
from clinic_tui.widgets.diagnosis_picker import DiagnosisPicker
from clinic_tui.widgets.form import FieldSpec, FormView
from clinic_tui.widgets.resident_picker import ResidentPicker
from clinic_tui.widgets.results_picker import ResultsPicker

if TYPE_CHECKING:
    from clinic_tui.data.referral_service import Directory, HospitalChoice


RESULTS_LEGEND = N_(
    "Results from the lead hospital: Space takes one in or leaves it out, Enter goes on. The "
    "recognised (互认) ones of the last {days} days are chosen to begin with."
)
# Where the pickers are in the form's order: above the first field (see on_mount).
PICKERS_FIRST = {"resident": -2, "diagnoses": -1}
# (singular, plural): how many fields stop the slip from being kept or sent.
NOT_SAVED = (N_("Not saved: {count} field needs correcting."), N_("Not saved: {count} fields need correcting."))
NOT_SENT = (N_("Not sent: {count} thing to complete."), N_("Not sent: {count} things to complete."))


class ReferralFormScreen(FormScreen):
    form_name = "referral"
    title_text = N_("Upward referral")
    CSS_PATH = "referral_form.tcss"
    BINDINGS = [Binding("ctrl+t", "submit", N_("Send"), id="referral.submit")]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._directory: Directory | None = None
        self._departments = LiveChoices([])
        self._stored: dict[str, Any] | None = None
        self._templates: list[str] | None = None
        self._patient_name = ""

    # --- what the slip is about ----------------------------------------------------------------

    @property
    def directory(self) -> Directory:
        if self._directory is None:
            self._directory = self.clinic_store.referrals.directory(clock.today())
        return self._directory

    @property
    def stored(self) -> dict[str, Any] | None:
        if self._stored is None and self.record_id is not None:
            self._stored = self.clinic_store.referrals.load(self.record_id)
        return self._stored

    @property
    def templates(self) -> list[str]:
        if self._templates is None:
            self._templates = self.clinic_store.referrals.reason_templates()
        return self._templates

    @property
    def resident_id(self) -> str | None:
        """The resident chosen (the hidden field, once the form has loaded its values)."""
        fields = self.query("#field-resident_id")
        if not fields:
            return self._opened_for() or (self.restored_draft or {}).get("resident_id") or None
        return fields.first(Input).value or None

    def _opened_for(self) -> str | None:
        return self.context.get("resident_id") or (self.stored or {}).get("resident_id")

    def context_key(self) -> str:
        return self.context.get("resident_id", "")

    def draft_title(self) -> str:
        return " ".join(filter(None, (_(self.title_text), self._patient_name)))

    @property
    def hospitals(self) -> CodeSet:
        return CodeSet("hospital", tuple((str(i), h.name) for i, h in enumerate(self.directory.hospitals, 1)))

    def _hospital(self, raw: str) -> HospitalChoice | None:
        code = self.hospitals.parse(raw) if raw.strip() and self.directory.synced else None
        return self.directory.hospitals[int(code) - 1] if code else None

    # --- layout ------------------------------------------------------------------------------

    def specs(self) -> list[FieldSpec]:
        synced = self.directory.synced
        place: dict[str, Any] = (
            dict(kind="choice", hint=N_("number, list below")) if synced else dict(hint=N_("type the name"))
        )
        return [
            FieldSpec("reason", N_("Reason"), required=True, hint=N_("template number, or type")),
            FieldSpec(
                "urgency", N_("Urgency"), "choice", required=True, choices=URGENCY, hint=N_("number, list below")
            ),
            FieldSpec("transport", N_("Transport"), required=True, hint=N_("e.g. 135, or 0"), check=transport_problems),
            FieldSpec(
                "purpose", N_("Purpose"), "choice", required=True, choices=PURPOSE, hint=N_("number, list below")
            ),
            FieldSpec("hospital", N_("Hospital"), required=True, choices=self.hospitals if synced else None, **place),
            FieldSpec(
                "department", N_("Department"), required=True, choices=self._departments if synced else None, **place
            ),
            FieldSpec("to_doctor_wished", N_("Doctor wished")),
            FieldSpec("wished_date", N_("Wished date"), "date", hint=N_("YYYY-MM-DD, may stay empty")),
            FieldSpec("chief_complaint", N_("Complaint")),
            FieldSpec("past_history", N_("History")),
            FieldSpec("examinations", N_("Examinations"), hint=N_("item result; item result")),
            FieldSpec("treatment_so_far", N_("Treated"), required=True),
            FieldSpec("allergies", N_("Allergies")),
            FieldSpec("precautions", N_("Precautions")),
            FieldSpec(
                "consent", N_("Consent"), "choice", required=True, choices=CONSENT, hint=N_("number, list below")
            ),
            FieldSpec("consent_signer", N_("Signed by"), required=True),
            *(FieldSpec(name, name) for name in HIDDEN),
        ]

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FormView):
                yield Static("", id="referral-banner")
            yield widget
            if isinstance(widget, FormView):
                yield Static("", id="referral-legend")

    def on_mount(self) -> None:
        # Runs before FormScreen.on_mount loads the values: the pickers are in place to show them.
        for name in HIDDEN:
            self.form.row(name).display = False
            self.form.input(name).disabled = True
        store = self.clinic_store
        # Ranked for the resident chosen when the search runs (sex and age), if any yet.
        pickers: list[Widget] = [
            DiagnosisPicker(lambda query: store.diagnoses.find(query, resident_id=self.resident_id))
        ]
        if self._opened_for() is None:
            pickers.insert(0, ResidentPicker(store.residents.search, label=N_("Resident")))
        self.form.mount(*pickers, before=self.form.row("reason"))
        # The lead hospital's results go with the examinations (shown once the resident is known).
        picker = ResultsPicker(id="results-picker")
        picker.display = False
        self.form.mount(picker, after=self.form.row("examinations"))
        self.query_one("#referral-legend").display = False
        self.call_after_refresh(self._first_focus)

    def _first_focus(self) -> None:
        pickers = self.query(ResidentPicker) if not self.resident_id else self.query(DiagnosisPicker)
        if pickers:
            pickers.first().query_input.focus()
        self._show_urgency()
        self._show_title()
        self._offer_results()
        for name in ("urgency", "purpose", "hospital", "department", "consent"):
            self.form.show(name, [])  # a loaded choice shows its label beside the number

    def _show_title(self) -> None:
        from clinic_tui.screens.visit_form import resident_line

        parts = [_(self.title_text)]
        if self.stored:
            parts.append(self.stored["referral_no"])
        if self.resident_id:
            facts = self.clinic_store.residents.form_facts(self.resident_id)
            self._patient_name = facts.name
            parts.append(resident_line(facts, clock.today()))
            for picker in self.query(ResidentPicker):
                picker.show_chosen(facts.name)
        self.query_one(".form-title", Static).update(" · ".join(parts))

    # --- the lists under the form and the green channel ------------------------------------------

    @on(events.DescendantFocus)
    def _show_legend(self, event: events.DescendantFocus) -> None:
        legend = self.query_one("#referral-legend", Static)
        text = self._legend((event.widget.id or "").removeprefix("field-"))
        legend.display = bool(text)
        legend.update(text)

    def _legend(self, field: str) -> str:
        def listed(items: list[tuple[str, str]]) -> str:
            return "  ".join(f"{code} {label}" for code, label in items)

        if field == "reason":
            return listed([(str(i), t) for i, t in enumerate(self.templates, 1)])
        if field in ("urgency", "purpose", "consent"):
            return listed({"urgency": URGENCY, "purpose": PURPOSE, "consent": CONSENT}[field].items())
        if field == "transport":
            return _(TRANSPORT_LEGEND)
        if field == "results-list":
            return _(RESULTS_LEGEND).format(days=RECENT_DAYS)
        if field in ("hospital", "department") and not self.directory.synced:
            return _("The hospital directory has not been synced yet: type the hospital and department names.")
        if field == "hospital":
            return listed(self.hospitals.items())
        if field == "department":
            return self._department_legend()
        return ""

    def _department_legend(self) -> str:
        hospital = self._hospital(self.form.input("hospital").value)
        if hospital is None:
            return _("Choose the hospital first.")
        entries = []
        for index, department in enumerate(hospital.departments, 1):
            left = "" if department.remaining is None else _(" ({count} left)").format(count=department.remaining)
            entries.append(f"{index} {department.name}{left}")
        return "  ".join(entries) or _("This hospital has no departments in the directory.")

    @on(Input.Changed, "#field-urgency")
    def _show_urgency(self) -> None:
        emergency = URGENCY.parse(self.form.input("urgency").value) == EMERGENCY_CODE
        self.form.row("urgency").set_class(emergency, "green-channel")
        self.form.row("transport").display = emergency
        banner = self.query_one("#referral-banner", Static)
        banner.display = emergency
        if emergency:
            hospital = self._hospital(self.form.input("hospital").value)
            phone = f" {hospital.name} {hospital.phone}" if hospital and hospital.phone else ""
            banner.update(
                _(
                    "Emergency · green channel: treat first, paperwork after. Phone the hospital "
                    "before the patient leaves.{phone}"
                ).format(phone=phone)
            )

    @on(Input.Changed, "#field-hospital")
    def _hospital_chosen(self, event: Input.Changed) -> None:
        hospital = self._hospital(event.value)
        self._departments.entries = (
            [(str(i), d.name) for i, d in enumerate(hospital.departments, 1)] if hospital else []
        )
        self._show_urgency()

    @on(Input.Changed, "#field-consent")
    def _consent_chosen(self, event: Input.Changed) -> None:
        signer = self.form.input("consent_signer")
        if CONSENT.parse(event.value) == "1" and not signer.value.strip() and self._patient_name:
            signer.value = self._patient_name  # the patient signs: no need to type the name again

    @on(Input.Submitted, "#field-reason")
    @on(Input.Blurred, "#field-reason")
    def _expand_template(self, event: Input.Submitted | Input.Blurred) -> None:
        text = event.input.value.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.templates):
            event.input.value = self.templates[int(text) - 1]

    # --- the pickers -------------------------------------------------------------------------

    @on(ResidentPicker.Picked)
    def _resident_picked(self, event: ResidentPicker.Picked) -> None:
        self.form.input("resident_id").value = event.resident_id
        start = self.clinic_store.referrals.prefill(
            event.resident_id, visit_id=self.context.get("visit_id"), followup_id=self.context.get("followup_id")
        )
        raw = self.form.raw()
        fresh = {
            name: text
            for name, text in form_values(start.values, self.directory).items()
            if not raw.get(name, "").strip() or (name in ("diagnoses", "medications") and raw[name] in ("", "[]"))
        }
        # The results are this resident's own: another resident's chosen before never stay.
        fresh["results"] = json.dumps(start.values.get("results") or [], ensure_ascii=False)
        self.form.load_raw(fresh)
        self.query_one(DiagnosisPicker).set_chosen(json.loads(self.form.input("diagnoses").value or "[]"))
        self._show_title()
        self._offer_results()

    @on(DiagnosisPicker.Changed)
    def _diagnoses_picked(self, event: DiagnosisPicker.Changed) -> None:
        self.form.input("diagnoses").value = json.dumps(event.diagnoses, ensure_ascii=False)

    @on(Input.Changed, "#field-diagnoses")
    def _diagnoses_loaded(self, event: Input.Changed) -> None:
        self.query_one(DiagnosisPicker).set_chosen(json.loads(event.value or "[]"))

    # --- the lead hospital's results -----------------------------------------------------------

    def _offer_results(self) -> None:
        picker = self.query_one(ResultsPicker)
        offered = self.clinic_store.referrals.results(self.resident_id) if self.resident_id else []
        picker.offer(offered, json.loads(self.form.input("results").value or "[]"))

    @on(ResultsPicker.Changed)
    def _results_picked(self, event: ResultsPicker.Changed) -> None:
        text = json.dumps(event.results, ensure_ascii=False)
        field = self.form.input("results")
        if json.loads(field.value or "[]") != event.results:
            field.value = text

    @on(Input.Changed, "#field-results")
    def _results_loaded(self, event: Input.Changed) -> None:
        self.query_one(ResultsPicker).set_chosen(json.loads(event.value or "[]"))

    # --- loading -----------------------------------------------------------------------------

    def load_initial(self) -> dict[str, Any]:
        resident_id = self._opened_for()
        referrals = self.clinic_store.referrals
        start = (
            referrals.prefill(
                resident_id, visit_id=self.context.get("visit_id"), followup_id=self.context.get("followup_id")
            ).values
            if resident_id
            else {}
        )
        lead = "1" if self.directory.synced else (self.directory.lead_name or "")
        values = {"purpose": "1", "hospital": lead, "diagnoses": "[]", "medications": "[]"}
        values |= form_values(start, self.directory)
        if self.stored:  # a draft slip: what it holds, the records filling what it leaves empty
            values |= {k: v for k, v in form_values(self.stored, self.directory).items() if v not in ("", "[]", None)}
            # The results it holds, even none: leaving them all out is a choice, not a gap to fill.
            values["results"] = json.dumps(self.stored.get("results") or [], ensure_ascii=False)
        if resident_id:
            values["resident_id"] = resident_id
        self._hospital_chosen_raw(values.get("hospital", ""))
        return values

    def _hospital_chosen_raw(self, raw: str) -> None:
        hospital = self._hospital(raw)
        self._departments.entries = (
            [(str(i), d.name) for i, d in enumerate(hospital.departments, 1)] if hospital else []
        )

    def _parsed(self) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The form's values, or the typing mistakes that stop even a draft (a required field may wait)."""
        self._expand_reason()
        values, problems = self.form.parse_all()
        problems = [
            p
            for p in problems
            if p.code != "form.required" and (p.field != "transport" or values["urgency"] == EMERGENCY_CODE)
        ]
        if self.resident_id is None:
            problems.append(Problem("referral.resident_missing", N_("Choose the resident first."), field="resident"))
        return (None if any(p.severity is Severity.ERROR for p in problems) else values), problems

    def _expand_reason(self) -> None:
        field = self.form.input("reason")
        text = field.value.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.templates):
            field.value = self.templates[int(text) - 1]

    def _show_problems(self, problems: list[Problem], headline: tuple[str, str]) -> None:
        shown = [replace(p, field=PROBLEM_FIELD.get(p.field, p.field)) for p in problems]
        self.form.show_all(shown)
        self.query_one(DiagnosisPicker).show_problems([p for p in shown if p.field == "diagnoses"])
        resident = [p for p in shown if p.field == "resident"]
        for picker in self.query(ResidentPicker):
            picker.show_message(" ".join(p.message for p in resident), "error")
        errors = [p for p in shown if p.severity is Severity.ERROR]
        if errors:
            self.set_status(ngettext(*headline, len(errors)).format(count=len(errors)), Severity.ERROR)
            # The first in the form, top down (the two pickers sit above the fields): not the last checked.
            self._focus_problem(min(errors, key=lambda p: PICKERS_FIRST.get(p.field or "", self.form_position(p))))

    def _focus_problem(self, problem: Problem) -> None:
        if problem.field == "resident" and self.query(ResidentPicker):
            self.query_one(ResidentPicker).query_input.focus()
        elif problem.field == "diagnoses":
            self.query_one(DiagnosisPicker).query_input.focus()
        else:
            self._focus_field(problem)

    def action_save(self) -> None:
        """Ctrl+S: keep the slip as a draft, complete or not."""
        values, problems = self._parsed()
        if values is None:
            self._show_problems(problems, NOT_SAVED)
            return
        self._finish(lambda: (self.clinic_store.referrals.save_draft(**self._arguments(values)), None))

    def action_submit(self) -> None:
        """Ctrl+T: send the slip, or show what stops it beside each field."""
        from clinic_tui.data.referral_service import ReferralRefused
        from clinic_tui.domain.referral import submission_problems

        values, problems = self._parsed()
        if values is not None:
            problems = submission_problems(
                record_values(values, self.directory, self._hospital(self.form.input("hospital").value))
            )
        if values is None or any(p.severity is Severity.ERROR for p in problems):
            self._show_problems(problems, NOT_SENT)
            return
        try:
            self._finish(lambda: self.clinic_store.referrals.submit(**self._arguments(values)))
        except ReferralRefused as refused:  # only if the rules changed under the form
            self._show_problems(refused.problems, NOT_SENT)

    def _arguments(self, values: dict[str, Any]) -> dict[str, Any]:
        return dict(
            resident_id=self.resident_id,
            values=record_values(values, self.directory, self._hospital(self.form.input("hospital").value)),
            user_id=self.clinic_app.user_id,
            record_id=self.record_id,
            source_visit_id=self.context.get("visit_id"),
        )

    def _finish(self, write) -> None:
        from clinic_tui.data.referral_service import ReferralRefused
        from clinic_tui.domain.referral import check_due_date

        try:
            record_id, number = write()
        except ReferralRefused:
            raise
        except DomainError as exc:
            self.set_status(exc.message, Severity.ERROR)
            return
        self.mark_saved(record_id)
        if number is None:
            self.app.notify(_("Referral kept as a draft."), timeout=4)
        else:
            self.app.notify(
                _("Referral {number} sent: it goes to the hospital with the next sync. Check on it by {date}.").format(
                    number=number, date=check_due_date(clock.today()).isoformat()
                ),
                timeout=8,
            )
        # To the app, not from this screen: the screen is dismissed before its own queue would run.
        self.app.post_message(DataChanged())
        self.dismiss(record_id)
