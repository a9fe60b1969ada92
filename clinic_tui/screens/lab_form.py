"""Tests sent to the lead hospital's lab (检验送检), from a resident's page (Ctrl+T there).

Keyboard first: the tests are typed as the county catalogue's codes (``K NA CREA``), the catalogue
listed under the form while that field has focus; the specimen follows from the tests (one tube per
order). The collection (when, by whom: the signed-in doctor, now, unless changed) and the tube's
barcode are recorded with the order, which is written sent: it goes to the hospital with the next
sync. Ctrl+S sends; what stops it is shown beside each field. Until then, what is typed is a draft
in the draft store like every form's (an order is never a draft on the wire).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from clinic_tui import clock
from clinic_tui.domain import lab
from clinic_tui.domain.codes import CodeSet
from clinic_tui.domain.problems import Problem
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.widgets.form import FieldSpec, FormView

PRIORITY = CodeSet("lab priority", (("1", lab.PRIORITY_LABELS["routine"]), ("2", lab.PRIORITY_LABELS["urgent"])))
FASTING = CodeSet("lab fasting", (("0", N_("Not fasting")), ("1", N_("Fasting"))))
TIME_FORMAT = "%Y-%m-%d %H:%M"
# The form's names of the order's wire fields (data/lab_orders.py), for the problems of each.
FIELD_OF = {"items": "tests", "specimen": "tests"}


def codes_of(text: str) -> list[str]:
    """The catalogue codes typed, in order: separated by spaces, commas or 、."""
    return [code.upper() for code in re.split(r"[\s,，、]+", text or "") if code]


def _time_problems(value: str, _values: Any) -> list[Problem]:
    try:
        datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        template = N_("“{text}” is not a date and time; type it as 2026-03-14 15:30.")
        return [Problem("lab.time_invalid", template, {"text": value}, field="collected_at")]
    return []


class LabFormScreen(FormScreen):
    form_name = "lab"
    title_text = N_("Lab tests")
    CSS_PATH = "lab_form.tcss"
    BINDINGS = [Binding("ctrl+s", "save", N_("Send specimen"), id="lab_form.send")]

    @property
    def resident_id(self) -> str:
        return self.context["resident_id"]

    def context_key(self) -> str:
        return self.context.get("resident_id") or ""

    def draft_title(self) -> str:
        return f"{_(self.title_text)} {self.clinic_store.residents.form_facts(self.resident_id).name}"

    def form_title(self) -> str:
        from clinic_tui.screens.visit_form import resident_line

        facts = self.clinic_store.residents.form_facts(self.resident_id)
        return f"{_(self.title_text)} · {resident_line(facts, clock.today())}"

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("tests", N_("Tests"), required=True, hint=N_("codes, list below")),
            FieldSpec(
                "priority", N_("Priority"), "choice", required=True, choices=PRIORITY, hint=N_("number, list below")
            ),
            FieldSpec("fasting", N_("Fasting"), "choice", choices=FASTING, hint=N_("number, list below")),
            FieldSpec("clinical_diagnosis", N_("Diagnosis")),
            FieldSpec("collected_at", N_("Collected"), required=True, hint="2026-03-14 15:30", check=_time_problems),
            FieldSpec("collected_by", N_("Collected by"), required=True),
            FieldSpec("barcode", N_("Barcode"), required=True, hint=N_("scan the tube")),
        ]

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, FormView):
                yield Static("", id="lab-legend")

    def on_mount(self) -> None:
        self.query_one("#lab-legend").display = False
        self.call_after_refresh(self._after_mount)

    def _after_mount(self) -> None:
        self.show_title()  # the patient, as on the visit form
        for name in ("priority", "fasting"):
            if self.form.input(name).value:
                self.form.show(name, [])  # a loaded choice shows its label beside the number

    def load_initial(self) -> dict[str, Any]:
        return {
            "priority": "1",
            "fasting": "0",
            "collected_at": clock.local(clock.now()).strftime(TIME_FORMAT),
            "collected_by": self.clinic_app.user_name,
        }

    @on(events.DescendantFocus)
    def _show_legend(self, event: events.DescendantFocus) -> None:
        legend = self.query_one("#lab-legend", Static)
        field = (event.widget.id or "").removeprefix("field-")
        if field == "tests":
            text = "  ".join(f"{item.code} {item.name}" for item in self.clinic_store.lab.catalogue())
        elif field in ("priority", "fasting"):
            text = "  ".join(
                f"{code} {label}" for code, label in (PRIORITY if field == "priority" else FASTING).items()
            )
        else:
            text = ""
        legend.display = bool(text)
        legend.update(text)

    # --- sending -----------------------------------------------------------------------------

    def record_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The form's values as data/lab_orders.order takes them (with send=True)."""
        codes = codes_of(values.get("tests") or "")
        catalogue = lab.catalogue()
        specimens = {catalogue[c].specimen for c in codes if c in catalogue}
        collected_at = None
        if values.get("collected_at"):
            try:
                moment = datetime.strptime(values["collected_at"], TIME_FORMAT)
            except ValueError:
                moment = None
            if moment is not None:
                collected_at = clock.at(moment.date(), moment.time())  # typed in the clinic's time
        return {
            "items": [{"code": code} for code in codes],
            "specimen": specimens.pop() if len(specimens) == 1 else None,
            "priority": {"1": "routine", "2": "urgent"}.get(values.get("priority") or ""),
            "fasting": values.get("fasting") == "1",
            "clinical_diagnosis": values.get("clinical_diagnosis") or "",
            "collected_at": collected_at,
            "collected_by": values.get("collected_by") or "",
            "barcode": values.get("barcode") or "",
        }

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        record = self.record_values(values)
        problems = []
        for problem in lab.sending_problems(record):
            if problem.code == "lab.specimen_unknown" and record["items"]:
                # The specimen follows from the tests: tests of two specimens are the problem.
                template = N_("Every test of an order takes its one specimen; order the others separately.")
                problem = Problem("lab.specimen_mismatch", template, field="items")
            field = FIELD_OF.get(problem.field or "", problem.field)
            problems.append(Problem(problem.code, problem.template, problem.params, problem.severity, field))
        return problems

    def save(self, values: dict[str, Any]) -> str:
        record_id, self._number = self.clinic_store.lab.order(
            resident_id=self.resident_id, values=self.record_values(values), user_id=self.clinic_app.user_id, send=True
        )
        return record_id

    def after_save(self, record_id: str) -> None:
        from clinic_tui.screens.routes import record_page

        self.app.notify(
            _("Lab order {number} written: it goes to the hospital's lab with the next sync.").format(
                number=self._number
            ),
            timeout=8,
        )
        self.app.post_message(DataChanged())
        self.dismiss(record_id)
        self.app.push_screen(record_page("lab_order", record_id))
