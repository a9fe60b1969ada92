"""The chronic follow-up form (高血压/2型糖尿病随访, 基本公卫规范 第三版).

As values are typed the form shows what the domain rules suggest: the classification, the next
due date and, when it fires, an emergency or a recommended referral, with F9 to save and start
the referral as a draft. The doctor may classify otherwise, but then records why
(``check_doctor_decision``); the suggestion and the reason are saved with the follow-up.
The fields that decide come first, on one 80x24 screen; lifestyle and the rest follow below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from clinic_tui import clock
from clinic_tui.domain.followup import (
    CLASSIFICATION_LABELS,
    DISEASE_LABELS,
    Assessment,
    BloodPressure,
    DiabetesReading,
    check_adverse_reaction,
    check_doctor_decision,
    classify_diabetes,
    classify_hypertension,
)
from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.domain.record_text import medications_text
from clinic_tui.domain.vitals import BMI_CATEGORY, bmi, bmi_category
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.followup_fields import (
    DISEASE_CHOICE,
    DISEASES,
    REACTION,
    SIGN_CODES,
    SYMPTOMS,
    VITALS,
    emergency_signs,
    followup_specs,
    form_values,
    record_values,
)
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.screens.visit_form import is_adult, resident_line, vital_problems
from clinic_tui.widgets.form import Check, FieldSpec, FormView

if TYPE_CHECKING:
    from clinic_tui.data.followup_service import FollowupFacts


class FollowupFormScreen(FormScreen):
    form_name = "followup"
    title_text = N_("Chronic follow-up")
    BINDINGS = [
        Binding("f9", "start_referral", N_("Save and refer"), id="followup.start_referral"),
        # F10: ask the hospital remotely about this follow-up (saved first when it is new or changed).
        Binding("f10", "remote", N_("Remote"), id="followup.remote"),
    ]
    CSS_PATH = "followup_form.tcss"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._facts: FollowupFacts | None = None
        self._stored: dict[str, Any] | None = None
        self._disease: str | None = self.context.get("disease")
        self.assessment: Assessment | None = None
        self._referring = False  # F9: this save also starts the referral
        self.referral_id: str | None = None

    # --- what the form is about ----------------------------------------------------------------

    @property
    def resident_id(self) -> str:
        return self.context["resident_id"]

    @property
    def stored(self) -> dict[str, Any] | None:
        if self._stored is None and self.record_id is not None:
            self._stored = self.clinic_store.followups.load(self.record_id)
        return self._stored

    @property
    def facts(self) -> FollowupFacts:
        if self._facts is None:
            on = self.stored["followup_date"] if self.stored else None
            self._facts = self.clinic_store.followups.facts(self.resident_id, on=on, exclude_id=self.record_id)
        return self._facts

    @property
    def asks_disease(self) -> bool:
        return "disease" not in self.context and self.stored is None and len(self.facts.managed) != 1

    @property
    def disease(self) -> str:
        """The disease the fields are laid out for (hypertension until one is chosen)."""
        if self._disease is None:
            chosen = DISEASE_CHOICE.parse((self.restored_draft or {}).get("disease", ""))
            if self.stored:
                self._disease = self.stored["disease"]
            elif chosen:
                self._disease = DISEASES[int(chosen) - 1]
            elif len(self.facts.managed) == 1:
                self._disease = self.facts.managed[0]
        return self._disease or "hypertension"

    def context_key(self) -> str:
        return ":".join(filter(None, (self.resident_id, self.context.get("disease"))))

    def draft_title(self) -> str:
        return self._title()

    def _title(self) -> str:
        disease = _("{disease} follow-up").format(disease=_(DISEASE_LABELS[self.disease]))
        title = _(self.title_text) if self.asks_disease and self._disease is None else disease
        return f"{self.heading(title)} · {resident_line(self.facts.resident, clock.today())}"

    def form_title(self) -> str:
        return self._title()

    def record_day(self) -> str | None:
        return self.stored["followup_date"].isoformat() if self.stored else None

    # --- layout ------------------------------------------------------------------------------

    def specs(self) -> list[FieldSpec]:
        return followup_specs(self.disease, ask_disease=self.asks_disease, vital_check=self._vital_check)

    def _vital_check(self, name: str) -> Check:
        def check(_value: Any, values: Mapping[str, Any]) -> list[Problem]:
            readings = {vital: (field, values.get(field)) for field, vital in VITALS.items() if field in values}
            problems = vital_problems(readings, adult=is_adult(self._age(values)))
            return [p for p in problems if p.field == name]

        return check

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, FormView):
                yield Static("", id="followup-suggestion")
                yield Static("", id="followup-alarm")
                yield Static("", id="followup-legend")

    def on_mount(self) -> None:
        self._dress()

    def _dress(self) -> None:
        """Title, legend and suggestion of a freshly composed form."""
        self.show_title()
        self.query_one("#followup-legend").display = False
        self.call_after_refresh(self._reassess)  # once FormScreen.on_mount has loaded the values

    @on(events.DescendantFocus)
    def _show_legend(self, event: events.DescendantFocus) -> None:
        codes = {"field-symptoms": SYMPTOMS[self.disease], "field-emergency_signs": SIGN_CODES[self.disease]}.get(
            event.widget.id or ""
        )
        legend = self.query_one("#followup-legend", Static)
        legend.display = codes is not None
        if codes is not None:
            legend.update("  ".join(f"{code} {label}" for code, label in codes.items()))

    @on(Input.Changed, "#field-disease")
    async def _disease_chosen(self, event: Input.Changed) -> None:
        chosen = DISEASE_CHOICE.parse(event.value)
        if chosen is None or DISEASES[int(chosen) - 1] == self.disease:
            return
        raw = self.form.raw()
        self._disease = DISEASES[int(chosen) - 1]
        await self.recompose()  # the diabetes form has fields the hypertension one has not
        self.form.load_raw(raw)
        self._dress()
        self.form.input("followup_date").focus()

    # --- the suggestion ----------------------------------------------------------------------

    @on(FormView.Edited)
    def _reassess(self) -> None:
        values, problems = self.form.parse_all()
        refused = {p.field for p in problems if p.severity is Severity.ERROR}
        usable = {name: value for name, value in values.items() if name not in refused}
        self.assessment = self._assess(usable)
        self._show_assessment(usable)
        self.refresh_bindings()  # F9 is offered only when a referral is suggested

    def _age(self, values: Mapping[str, Any]) -> int | None:
        return self.facts.resident.age_on(values.get("followup_date") or clock.today())

    def _assess(self, values: dict[str, Any]) -> Assessment | None:
        """What the rules suggest from ``values`` (none refused), once the readings they need are in."""
        previous = self.facts.previous.get(self.disease)
        before = previous.classification if previous else None
        reaction = REACTION.word(values.get("adverse_reaction") or "1")
        complication = values.get("complication") == "1"
        signs = emergency_signs(values.get("emergency_signs"), self.disease)
        day = values.get("followup_date") or clock.today()
        sbp, dbp = values.get("sbp"), values.get("dbp")
        pressure = BloodPressure(sbp, dbp) if sbp is not None and dbp is not None else None
        if self.disease == "hypertension":
            if pressure is None:
                return None
            age = self._age(values) or 0  # unknown age: the stricter under-65 targets
            return classify_hypertension(pressure, before, age, reaction, complication, signs, on=day)
        if values.get("fasting_glucose") is None:
            return None
        reading = DiabetesReading(
            values["fasting_glucose"],
            values.get("postprandial_glucose"),
            pressure,
            values.get("heart_rate"),
            values.get("temperature"),
        )
        return classify_diabetes(reading, before, reaction, complication, signs, on=day)

    @staticmethod
    def _reasons(assessment: Assessment) -> str:
        return " ".join(p.message for p in assessment.emergency_reasons + assessment.referral_reasons)

    def _show_assessment(self, values: dict[str, Any]) -> None:
        suggestion, alarm = self.query_one("#followup-suggestion", Static), self.query_one("#followup-alarm", Static)
        weight, height = values.get("weight_kg"), values.get("height_cm")
        body = ""
        if weight and height:
            value = bmi(weight, height)
            body = f" · BMI {value:g} {BMI_CATEGORY.label(bmi_category(value))}"
        a = self.assessment
        if a is None:
            needed = {
                "hypertension": N_("Enter the blood pressure to see the suggestion."),
                "diabetes": N_("Enter the fasting glucose to see the suggestion."),
            }[self.disease]
            suggestion.update(_(needed) + body)
            alarm.update("")
            return
        suggestion.update(
            _("Suggested: {classification}, next follow-up {date}").format(
                classification=_(CLASSIFICATION_LABELS[a.classification]), date=a.next_due.isoformat()
            )
            + body
        )
        if a.emergency_referral:
            template = N_("Emergency referral after first aid: {reasons} F9 saves and starts the referral.")
        elif a.recommend_referral:
            template = N_("Referral recommended: {reasons} F9 saves and starts the referral.")
        else:
            template = ""
        alarm.update(_(template).format(reasons=self._reasons(a)) if template else "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if not allowed:
            return allowed
        if action == "start_referral":
            a = self.assessment
            return a is not None and (a.emergency_referral or a.recommend_referral)
        return True

    # --- loading and saving ------------------------------------------------------------------

    def load_initial(self) -> dict[str, Any]:
        if self.stored is not None:
            return form_values(self.stored, self.disease)
        today = clock.today()
        values: dict[str, Any] = {"followup_date": today, "mode": "1", "adverse_reaction": "1", "complication": "0"}
        previous, visit = self.facts.previous.get(self.disease), self.facts.resident.latest_visit
        if previous is not None:  # what rarely changes between follow-ups, to confirm rather than retype
            values |= {
                "height_cm": previous.height_cm,
                "weight_target_kg": previous.weight_target_kg,
                "medications": medications_text(previous.medications),
            }
        if visit is not None and clock.local(visit.visit_at).date() == today:  # measured at today's visit
            values |= {
                "sbp": visit.sbp,
                "dbp": visit.dbp,
                "heart_rate": visit.heart_rate,
                "weight_kg": visit.weight_kg,
                "height_cm": visit.height_cm or values.get("height_cm"),
            }
        return values

    def _assessed(self, values: dict[str, Any]) -> Assessment:
        """The assessment once the fields pass: the readings it needs are required fields."""
        assessment = self._assess(values)
        assert assessment is not None, "the required readings are in"
        return assessment

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        assessment = self._assessed(values)
        classification = values["classification"] or assessment.classification
        referred = self._referring or bool(values["referral_org"])
        return check_adverse_reaction(
            REACTION.word(values["adverse_reaction"]), values["adverse_reaction_note"]
        ) + check_doctor_decision(assessment, classification, referred, values["override_reason"])

    def save(self, values: dict[str, Any]) -> str:
        from clinic_tui.data.followup_service import ReferralStart

        assessment = self._assessed(values)
        record = record_values(values, self.disease, assessment)
        arguments = dict(
            resident_id=self.resident_id,
            disease=self.disease,
            values=record,
            user_id=self.clinic_app.user_id,
            record_id=self.record_id,
        )
        if not self._referring:
            return self.clinic_store.followups.save(**arguments)
        record["referral_reason"] = record["referral_reason"] or self._reasons(assessment)
        urgency = "emergency" if assessment.emergency_referral else "normal"
        start = ReferralStart(self._reasons(assessment), urgency, clock.today())
        followup_id, self.referral_id = self.clinic_store.followups.save_and_refer(referral=start, **arguments)
        return followup_id

    def action_start_referral(self) -> None:
        self._referring = True
        try:
            self.action_save()
        finally:
            self._referring = False

    def action_remote(self) -> None:
        if self.read_only and self.record_id is not None:
            self._open_remote(self.record_id)
            return
        self._remote_after_save = True
        try:
            self.action_save()
        finally:
            self._remote_after_save = False

    def _open_remote(self, followup_id: str) -> None:
        from clinic_tui.screens.routes import form_class

        context = {"resident_id": self.resident_id, "followup_id": followup_id}
        self.app.push_screen(form_class("remote")(context=context))

    def after_save(self, record_id: str) -> None:
        # To the app, not from this screen: the screen is dismissed before its own queue would run.
        self.app.post_message(DataChanged())
        if self.referral_id is None:
            super().after_save(record_id)
            if getattr(self, "_remote_after_save", False):
                self._open_remote(record_id)
            return
        from clinic_tui.screens.routes import form_class

        self.app.notify(
            _("Referral draft created: complete and send it in the referral module."), severity="warning", timeout=10
        )
        self.dismiss(record_id)
        context = {"resident_id": self.resident_id, "followup_id": record_id}
        self.app.push_screen(form_class("referral")(record_id=self.referral_id, context=context))
