"""One resident: who they are on top, then everything recorded for them, newest first.

Enter opens the record under the cursor; F6 edits the resident, F7 and F8 start a visit or a
follow-up for them. The page reloads whenever it comes back to the top, so what was just saved
elsewhere shows at once.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from clinic_tui import clock

# Plain records: the page shows at once, while the ORM that reads them loads in its worker.
from clinic_tui.data.resident_views import (
    TIMELINE_LIMIT,
    ResidentFacts,
    ResidentNotFound,
    Timeline,
)
from clinic_tui.domain.codes import (
    CHRONIC_CONDITION,
    CITIZEN_ID_CARD,
    ID_DOCUMENT_TYPE,
    KEY_POPULATION,
    SEX,
)
from clinic_tui.i18n import N_, _, ngettext
from clinic_tui.messages import OpenRecord
from clinic_tui.screens.base import ClinicScreen, given
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker

KIND_LABELS = {
    "visit": N_("Visit"),
    "followup": N_("Follow-up"),
    "referral": N_("Referral"),
    "contract": N_("Contract"),
    "task": N_("Task"),
    "remote_request": N_("Remote"),
    "lab_order": N_("Lab"),
    "exam_booking": N_("Exam"),
}
DATE_WIDTH = len("2026-11-20")


def fit_line(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (a Chinese character takes two), ending in "…"."""
    if cell_len(text) <= width:
        return text
    line = Text(text)
    line.truncate(max(width, 1), overflow="ellipsis")
    return line.plain


def facts_text(facts: ResidentFacts) -> str:
    """Three short lines: the person, their conditions and populations, their contract."""
    document = facts.masked_id_number
    if document and facts.id_type != CITIZEN_ID_CARD:  # an ID card needs no saying; others do
        document = f"{ID_DOCUMENT_TYPE.label(facts.id_type)} {document}"
    person = [
        facts.name,
        SEX.label(facts.sex) if SEX.is_valid(facts.sex) else facts.sex,
        _("{age} years").format(age=facts.age) if facts.age is not None else "",
        facts.birth_date.isoformat() if facts.birth_date else "",
        document,
        facts.phone or "",
    ]
    separator = _(", ")
    conditions = separator.join(
        CHRONIC_CONDITION.label(c) for c in facts.chronic_conditions if CHRONIC_CONDITION.is_valid(c)
    ) or _("none")
    populations = separator.join(KEY_POPULATION.label(t) for t in facts.key_populations) or _("none")
    if facts.contract:
        contract = _("Contract {number}, {start} to {end}, {status}").format(
            number=facts.contract.contract_no,
            start=facts.contract.start.isoformat(),
            end=facts.contract.end.isoformat(),
            status=facts.contract.status,
        )
    else:
        contract = _("No family-doctor contract in force")
    return "\n".join(
        (
            "  ".join(part for part in person if part),
            _("Chronic: {conditions}  Key populations: {populations}").format(
                conditions=conditions, populations=populations
            ),
            contract,
        )
    )


class ResidentScreen(ClinicScreen):
    # Its styles are in app.tcss: a CSS_PATH here would re-parse every stylesheet when it first opens.
    BINDINGS = [
        # Short words: the page's seven keys and F1 fit 80 columns in English too.
        Binding("f5", "contract", N_("Contract"), id="resident.contract"),
        Binding("f6", "edit", N_("Edit"), id="resident.edit"),
        Binding("f7", "new_form('visit')", N_("Visit"), id="resident.new_visit"),
        Binding("f8", "new_form('followup')", N_("Follow-up"), id="resident.new_followup"),
        Binding("ctrl+r", "new_form('referral')", N_("Refer"), id="resident.new_referral"),
        # Beside the referral, out of the footer (it would not fit 80 columns in English): F1's
        # list and the palette (yc, "远程") name it.
        Binding("f10", "new_form('remote')", N_("Remote consultation or read"), id="resident.new_remote", show=False),
        # Tests at the lead hospital's lab (检验送检): out of the footer too, named in F1's list.
        # F12, beside F10's remote request (Ctrl+T is the referral form's "send"; Ctrl+B the list).
        Binding("f12", "new_form('lab')", N_("Lab tests"), id="resident.new_lab", show=False),
        # An examination from the lead hospital's reserved pool (检查预约): likewise out of the footer
        # (Ctrl+U: Ctrl+B is the lab list everywhere, Ctrl+E the referrals).
        Binding("ctrl+u", "new_form('exam')", N_("Book an examination"), id="resident.new_exam", show=False),
        # The history says "F9 shows more" when there is more; Esc goes back on every page.
        Binding("f9", "show_more", N_("Older records"), id="resident.more", show=False),
        Binding("escape", "back", N_("Back"), id="resident.back", show=False),
    ]

    def __init__(self, resident_id: str):
        super().__init__()
        self.resident_id = resident_id
        self.limit = TIMELINE_LIMIT
        self.more = 0
        self.page: Timeline | None = None  # the records shown, kept to fit them again on a resize

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="resident-facts")
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static("", id="timeline-more")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.clinic_app.start_background_work()  # the ORM for this page and its forms, if not yet

    def on_screen_resume(self) -> None:
        # Also sent when the page is first shown, after on_mount.
        self.load()

    @work(thread=True, exclusive=True, group="resident-page")
    def load(self) -> None:
        today = clock.today()
        residents = self.clinic_store.residents
        try:
            facts = residents.page_facts(self.resident_id, today)
            page = residents.timeline(self.resident_id, today, self.limit)
        except ResidentNotFound:
            show_from_worker(self, self._gone)
            return
        show_from_worker(self, self._show, facts, page)

    def _gone(self) -> None:
        self.query_one("#resident-facts", Static).update(_("This resident's record has been deleted."))

    def _show(self, facts: ResidentFacts, page: Timeline) -> None:
        self.query_one("#resident-facts", Static).update(facts_text(facts))
        self.page = page
        self._fill_table(page)
        self.more = page.more
        if page.more:
            more = ngettext(
                "{count} older record not shown: F9 shows more.",
                "{count} older records not shown: F9 shows more.",
                page.more,
            ).format(count=page.more)
        elif not page.items:
            more = _("Nothing recorded yet: F7 records a visit.")
        else:
            more = ""
        self.query_one("#timeline-more", Static).update(more)

    def _fill_table(self, page: Timeline) -> None:
        """The rows, each summary cut to the room left on the line.

        Every column has a set width: with automatic widths the table measures new rows only
        when idle, and a row drawn before that stays drawn at the width of the column titles.
        """
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        kinds = [_("Record"), *(_(label) for label in KIND_LABELS.values())]
        kind_width = max(cell_len(label) for label in kinds)
        padding = 2 * table.cell_padding
        room = table.size.width or self.app.size.width
        if len(page.items) + 1 > table.size.height:  # a scroll bar will take its share
            room -= table.styles.scrollbar_size_vertical
        summary_width = max(room - DATE_WIDTH - kind_width - 3 * padding, 10)
        table.clear(columns=True)
        table.add_column(_("Date"), width=DATE_WIDTH, key="date")
        table.add_column(_("Record"), width=kind_width, key="kind")
        table.add_column(_("Summary"), width=summary_width, key="summary")
        for item in page.items:
            table.add_row(
                item.day.isoformat(),
                _(KIND_LABELS[item.kind]),
                fit_line(item.summary, summary_width),
                key=f"{item.kind}:{item.record_id}",
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    def on_resize(self) -> None:
        if self.page is not None:
            self.call_after_refresh(self._fill_table, self.page)  # once the table has its new size

    @on(DataTable.RowSelected, "#timeline")
    def _open(self, event: DataTable.RowSelected) -> None:
        kind, record_id = given(event.row_key.value).split(":", 1)
        self.post_message(OpenRecord(kind, record_id))

    def action_edit(self) -> None:
        from clinic_tui.screens.routes import form_class

        self.app.push_screen(form_class("resident")(record_id=self.resident_id))

    def action_new_form(self, form: str) -> None:
        # The visit and follow-up forms are loaded only when first wanted.
        from clinic_tui.screens.routes import form_class

        self.app.push_screen(form_class(form)(context={"resident_id": self.resident_id}))

    def action_show_more(self) -> None:
        if self.more:
            self.limit += TIMELINE_LIMIT
            self.load()

    def action_contract(self) -> None:
        """Sign a family-doctor contract, or renew the one in force."""
        from clinic_tui.screens.routes import form_class

        context = self.clinic_store.contracts.form_context_for(self.resident_id, clock.today())
        self.app.push_screen(form_class("contract")(context=context))

    def action_back(self) -> None:
        self.dismiss()
