"""A remote consultation or read asked of the lead hospital (远程会诊 / 远程心电·影像·病理).

Opened from a resident's page, or from a visit or follow-up on file (F10 there), with the clinical
summary filled from that encounter (complaint, findings with the vital signs, diagnoses), so the
doctor writes the question and confirms the rest. Choices are typed as numbers, listed under the
form while the field has focus. Ctrl+S sends; what stops it is shown beside each field. Until
then, what is typed is a draft in the draft store like every form's (a request is never a draft
on the wire).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from clinic_tui import clock
from clinic_tui.domain import remote
from clinic_tui.domain.attachments import JPEG, PDF, PNG, size_text
from clinic_tui.domain.codes import CodeSet
from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.screens.referral_fields import LiveChoices
from clinic_tui.widgets.diagnosis_picker import DiagnosisPicker
from clinic_tui.widgets.form import FieldSpec, FormView

SERVICES = tuple(remote.Service)
SERVICE = CodeSet("remote service", tuple((str(i), remote.SERVICE_LABELS[s]) for i, s in enumerate(SERVICES, 1)))
URGENCY = CodeSet("remote urgency", (("1", remote.URGENCY_LABELS["routine"]), ("2", remote.URGENCY_LABELS["urgent"])))
CONSENT = CodeSet("remote consent", (("1", N_("Patient agreed")), ("0", N_("Not yet"))))
HIDDEN = ("diagnoses", "attachments")  # kept as JSON in hidden fields, so a draft keeps them too
TIME_FORMAT = "%Y-%m-%d %H:%M"
TYPE_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}


def _time_problems(value: str, _values: Any) -> list[Problem]:
    try:
        datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        template = N_("“{text}” is not a date and time; type it as 2026-03-14 15:30.")
        return [Problem("remote.time_invalid", template, {"text": value}, field="time_wished")]
    return []


class RemoteFormScreen(FormScreen):
    form_name = "remote"
    title_text = N_("Remote consultation or read")
    CSS_PATH = "remote_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Send request"), id="remote_form.send"),
        Binding("f8", "remove_attachment", N_("Remove attachment"), id="remote_form.remove_attachment"),
    ]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._departments: LiveChoices | None = None

    @property
    def resident_id(self) -> str:
        return self.context["resident_id"]

    @property
    def departments(self) -> LiveChoices:
        if self._departments is None:
            found = self.clinic_store.remote.departments()
            self._departments = LiveChoices([(str(i), f"{name}") for i, (_code, name) in enumerate(found, 1)])
            self._department_codes = {str(i): code for i, (code, _name) in enumerate(found, 1)}
        return self._departments

    def context_key(self) -> str:
        return ":".join(self.context.get(k) or "" for k in ("resident_id", "visit_id", "followup_id"))

    def draft_title(self) -> str:
        return f"{_(self.title_text)} {self._patient()}"

    def _patient(self) -> str:
        return self.clinic_store.residents.form_facts(self.resident_id).name

    def form_title(self) -> str:
        from clinic_tui.screens.visit_form import resident_line

        facts = self.clinic_store.residents.form_facts(self.resident_id)
        return f"{_(self.title_text)} · {resident_line(facts, clock.today())}"

    def specs(self) -> list[FieldSpec]:
        synced = bool(self.departments.entries)
        return [
            FieldSpec(
                "service", N_("Service"), "choice", required=True, choices=SERVICE, hint=N_("number, list below")
            ),
            FieldSpec(
                "urgency", N_("Urgency"), "choice", required=True, choices=URGENCY, hint=N_("number, list below")
            ),
            FieldSpec("question", N_("Question"), required=True),
            FieldSpec("chief_complaint", N_("Complaint")),
            FieldSpec("present_illness", N_("Illness")),
            FieldSpec("history", N_("History")),
            FieldSpec("findings", N_("Findings")),
            FieldSpec(
                "department",
                N_("Department"),
                "choice" if synced else "text",
                choices=self.departments if synced else None,
                hint=N_("number, list below") if synced else N_("not synced yet"),
            ),
            FieldSpec("expert_wished", N_("Expert wished")),
            FieldSpec("time_wished", N_("Time wished"), hint=N_("video: 2026-03-14 15:30"), check=_time_problems),
            FieldSpec(
                "consent", N_("Consent"), "choice", required=True, choices=CONSENT, hint=N_("number, list below")
            ),
            FieldSpec("attach", N_("Attach file"), hint=N_("path of a PDF, JPEG or PNG, then Enter")),
            *(FieldSpec(name, name) for name in HIDDEN),
        ]

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, FormView):
                yield Static("", id="remote-legend")

    def on_mount(self) -> None:
        for name in HIDDEN:
            self.form.row(name).display = False
            self.form.input(name).disabled = True
        store = self.clinic_store
        picker = DiagnosisPicker(lambda query: store.diagnoses.find(query, resident_id=self.resident_id))
        self.form.mount(picker, after=self.form.row("findings"))
        self.query_one("#remote-legend").display = False
        self.form.mount(Static("", id="remote-attachments"), after=self.form.row("attach"))
        self.call_after_refresh(self._after_mount)

    def _after_mount(self) -> None:
        self.show_title()  # the patient, as on the visit form
        self.query_one(DiagnosisPicker).set_chosen(json.loads(self.form.input("diagnoses").value or "[]"))
        self._show_attachments()
        for name in ("service", "urgency", "department", "consent"):
            if self.form.input(name).value:
                self.form.show(name, [])  # a loaded choice shows its label beside the number

    def load_initial(self) -> dict[str, Any]:
        start = self.clinic_store.remote.prefill(
            self.resident_id, visit_id=self.context.get("visit_id"), followup_id=self.context.get("followup_id")
        )
        self._source = (start.get("source_kind"), start.get("source_id"))
        diagnoses = start.get("preliminary_diagnoses") or []
        return {
            "urgency": "1",
            "chief_complaint": start.get("chief_complaint") or "",
            "present_illness": start.get("present_illness") or "",
            "history": start.get("history") or "",
            "findings": start.get("findings") or "",
            "diagnoses": json.dumps(diagnoses, ensure_ascii=False),
        }

    # --- the lists under the form ------------------------------------------------------------

    @on(events.DescendantFocus)
    def _show_legend(self, event: events.DescendantFocus) -> None:
        legend = self.query_one("#remote-legend", Static)
        field = (event.widget.id or "").removeprefix("field-")
        choices: dict[str, CodeSet | LiveChoices] = {
            "service": SERVICE,
            "urgency": URGENCY,
            "consent": CONSENT,
            "department": self.departments,
        }
        if field == "department" and not self.departments.entries:
            text = _("The hospital's departments come with the first sync: leave it empty or type its code.")
        elif field in choices:
            text = "  ".join(f"{code} {label}" for code, label in choices[field].items())
        else:
            text = ""
        legend.display = bool(text)
        legend.update(text)

    @on(DiagnosisPicker.Changed)
    def _diagnoses_picked(self, event: DiagnosisPicker.Changed) -> None:
        self.form.input("diagnoses").value = json.dumps(event.diagnoses, ensure_ascii=False)

    # --- attachments: a path typed or pasted, Enter takes it, F8 removes the last ------------------

    @property
    def attached_files(self) -> list[dict[str, Any]]:
        return json.loads(self.form.input("attachments").value or "[]")

    def _set_attachments(self, files: list[dict[str, Any]]) -> None:
        self.form.input("attachments").value = json.dumps(files, ensure_ascii=False)
        self._show_attachments()

    def _show_attachments(self) -> None:
        files = self.attached_files
        lines = [
            f"{n}. {f['name']} · {TYPE_NAMES.get(f['media_type'], f['media_type'])} · {size_text(f['size'])}"
            for n, f in enumerate(files, 1)
        ]
        if files:
            lines.append(_("F8 removes the last file."))
        shown = self.query_one("#remote-attachments", Static)
        shown.display = bool(files)
        shown.update("\n".join(lines))

    def action_next_field(self) -> None:
        attach = self.form.input("attach")
        if self.focused is attach and attach.value.strip():
            self._take_file(attach.value)
            return
        super().action_next_field()

    def _take_file(self, path: str) -> None:
        from clinic_tui.domain.problems import DomainError

        try:
            found = self.clinic_store.remote.examine_attachment(path, self.attached_files)
        except DomainError as exc:
            self.form.show("attach", [exc.problem])
            return
        self._set_attachments([*self.attached_files, found])
        self.form.input("attach").value = ""
        self.form.show("attach", [])
        self.set_status(_("Attached {name} ({size}).").format(name=found["name"], size=size_text(found["size"])))

    def action_remove_attachment(self) -> None:
        files = self.attached_files
        if not files:
            self.set_status(_("No file is attached."), Severity.WARNING)
            return
        self._set_attachments(files[:-1])
        self.set_status(_("Removed {name}.").format(name=files[-1]["name"]))

    # --- sending -----------------------------------------------------------------------------

    def record_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The form's values as data/remote_requests.submit takes them."""
        time_wished = None
        if values.get("time_wished"):
            moment = datetime.strptime(values["time_wished"], TIME_FORMAT)
            time_wished = clock.at(moment.date(), moment.time())  # typed in the clinic's time
        department = values.get("department")
        if department and self.departments.entries:
            department = self._department_codes.get(department)
        source_kind, source_id = getattr(self, "_source", (None, None))
        service = values.get("service")
        return {
            "service": SERVICES[int(service) - 1].value if service else None,
            "urgency": {"1": "routine", "2": "urgent"}.get(values.get("urgency") or ""),
            "question": values.get("question") or "",
            "chief_complaint": values.get("chief_complaint") or "",
            "present_illness": values.get("present_illness") or "",
            "history": values.get("history") or "",
            "findings": values.get("findings") or "",
            "preliminary_diagnoses": json.loads(self.form.input("diagnoses").value or "[]"),
            "department_wished": department or None,
            "expert_wished": values.get("expert_wished") or None,
            "time_wished": time_wished,
            "consent": values.get("consent") == "1",
            "source_kind": source_kind,
            "source_id": source_id,
            "attachments": self.attached_files,
        }

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        problems = remote.submission_problems(self.record_values(values))
        if (values.get("attach") or "").strip():  # a path typed but not taken: never sent unseen
            template = N_("Press Enter in this field to attach the file, or clear it.")
            problems.append(Problem("remote.attach_pending", template, field="attach"))
        return problems

    def save(self, values: dict[str, Any]) -> str:
        record_id, self._number = self.clinic_store.remote.submit(
            resident_id=self.resident_id, values=self.record_values(values), user_id=self.clinic_app.user_id
        )
        return record_id

    def after_save(self, record_id: str) -> None:
        from clinic_tui.screens.routes import record_page

        self.app.notify(
            _("Remote request {number} written: it goes to the hospital with the next sync.").format(
                number=self._number
            ),
            timeout=8,
        )
        self.app.post_message(DataChanged())
        self.dismiss(record_id)
        self.app.push_screen(record_page("remote_request", record_id))
