"""An examination booked from the lead hospital's reserved pool (检查预约), from a resident's page
(Ctrl+E there).

Keyboard first: the examination is typed as its number in the list under the form, the day as a
date; while either field has focus the list shows the days with free reserved slots (day,
examination, free slots) as of the last sync, for the chosen examination once there is one. The
preparation the patient needs (fasting, bowel preparation, no metal) is shown under the form once
the examination is chosen. Ctrl+S books: what stops it is shown beside each field; the hub takes
the slot with the next sync and may still refuse a day that filled meanwhile.
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from clinic_tui import clock
from clinic_tui.data.exam_bookings import NO_FREE_SLOT
from clinic_tui.domain import exam
from clinic_tui.domain.codes import CodeSet
from clinic_tui.domain.problems import Problem
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.widgets.form import FieldSpec, FormView

# The examinations by number (the order of domain.exam.CATALOGUE): the labels are their names.
ITEMS = CodeSet("exam item", tuple((str(n), item.name) for n, item in enumerate(exam.CATALOGUE.values(), 1)))
ITEM_CODES = dict(zip(ITEMS.codes(), exam.CATALOGUE, strict=True))
PRIORITY = CodeSet("exam priority", (("1", exam.PRIORITY_LABELS["routine"]), ("2", exam.PRIORITY_LABELS["urgent"])))
LISTED = 12  # free days listed at once: the first ones


class ExamFormScreen(FormScreen):
    form_name = "exam"
    title_text = N_("Book an examination")
    CSS_PATH = "exam_form.tcss"
    BINDINGS = [Binding("ctrl+s", "save", N_("Book"), id="exam_form.book")]

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
            FieldSpec("item", N_("Exam item"), "choice", required=True, choices=ITEMS, hint=N_("number, list below")),
            FieldSpec("day", N_("Day"), "date", required=True, hint=N_("a day listed below")),
            FieldSpec("priority", N_("Priority"), "choice", required=True, choices=PRIORITY),
            FieldSpec("clinical_diagnosis", N_("Diagnosis"), required=True),
            FieldSpec("question", N_("Exam purpose")),
        ]

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, FormView):
                yield Static("", id="exam-legend")
                yield Static("", id="exam-preparation")

    def on_mount(self) -> None:
        self.call_after_refresh(self._after_mount)

    def _after_mount(self) -> None:
        self.show_title()
        for name in ("item", "priority"):
            if self.form.input(name).value:
                self.form.show(name, [])
        self._show_legend("item")
        self._show_preparation()

    def load_initial(self) -> dict[str, Any]:
        return {"priority": "1"}

    def _item_code(self) -> str | None:
        return ITEM_CODES.get(ITEMS.parse(self.form.input("item").value) or "")

    def _show_legend(self, field: str) -> None:
        legend = self.query_one("#exam-legend", Static)
        if field in ("item", "day"):
            chosen = self._item_code()
            free = [s for s in self.clinic_store.exam.free_slots(clock.today()) if chosen in (None, s.item_code)]
            numbers = {code: n for n, code in ITEM_CODES.items()}
            lines = [
                _("{day} {number} {item}: {free} free").format(
                    day=s.day.isoformat(), number=numbers[s.item_code], item=s.item_name, free=s.free
                )
                for s in free[:LISTED]
            ]
            if not lines:
                lines = [_("No free reserved slots as of the last sync: sync, or ask the hospital.")]
            if field == "item" and chosen is None:
                lines.insert(0, "  ".join(f"{code} {label}" for code, label in ITEMS.items()))
            text = "\n".join(lines)
        elif field == "priority":
            text = "  ".join(f"{code} {label}" for code, label in PRIORITY.items())
        else:
            text = ""
        legend.display = bool(text)
        legend.update(text)

    def _show_preparation(self) -> None:
        item = exam.CATALOGUE.get(self._item_code() or "")
        note = self.query_one("#exam-preparation", Static)
        text = item.preparation_text if item else ""
        note.display = bool(text)
        note.update(_("Preparation: {text}").format(text=text) if text else "")

    @on(events.DescendantFocus)
    def _focused(self, event: events.DescendantFocus) -> None:
        self._show_legend((event.widget.id or "").removeprefix("field-"))

    @on(Input.Changed, "#field-item")
    def _item_typed(self, _event: Input.Changed) -> None:
        self._show_preparation()
        self._show_legend("item")

    # --- booking -------------------------------------------------------------------------------

    def record_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The form's values as data/exam_bookings.book takes them."""
        return {
            "item_code": ITEM_CODES.get(values.get("item") or ""),
            "day": values.get("day"),
            "priority": {"1": "routine", "2": "urgent"}.get(values.get("priority") or ""),
            "clinical_diagnosis": values.get("clinical_diagnosis") or "",
            "question": values.get("question") or "",
        }

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        record = self.record_values(values)
        problems = exam.booking_problems(record, today=clock.today())
        free = self.clinic_store.exam.free_slots(clock.today()) if not problems else []
        if not problems and not any(s.day == record["day"] and s.item_code == record["item_code"] for s in free):
            problems.append(Problem("exam.no_free_slot", NO_FREE_SLOT, field="day"))
        return [
            Problem(p.code, p.template, p.params, p.severity, "item" if p.field == "item_code" else p.field)
            for p in problems
        ]

    def save(self, values: dict[str, Any]) -> str:
        record_id, self._number = self.clinic_store.exam.book(
            resident_id=self.resident_id, values=self.record_values(values), user_id=self.clinic_app.user_id
        )
        return record_id

    def after_save(self, record_id: str) -> None:
        from clinic_tui.screens.routes import record_page

        self.app.notify(
            _("Examination {number} booked: the hospital takes the slot with the next sync.").format(
                number=self._number
            ),
            timeout=8,
        )
        self.app.post_message(DataChanged())
        self.dismiss(record_id)
        self.app.push_screen(record_page("exam_booking", record_id))
