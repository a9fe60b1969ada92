"""What every data-entry screen does the same way.

Enter moves to the next field, Ctrl+S saves, Esc leaves (asking first when something is unsaved).
What is typed is kept as a draft a moment after each change, so a crash or a power cut loses
nothing; the draft goes when the form is saved or deliberately abandoned.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Input, Static

from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_, _, ngettext
from clinic_tui.screens.base import ClinicScreen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.form import FieldSpec, FormView

DRAFT_DELAY_SECONDS = 0.8  # after the last keystroke; one timer, only while typing


class FormScreen(ClinicScreen):
    """Subclasses set ``form_name`` and ``title_text`` and implement ``specs`` and ``save``."""

    BINDINGS = [
        # Not a priority binding: keys typed just before Ctrl+S must reach their field first.
        Binding("ctrl+s", "save", N_("Save"), id="form.save"),
        Binding("escape", "leave", N_("Leave"), id="form.leave"),
        # Offered only on a past record opened to be read (``read_only``): the explicit step to change it.
        Binding("f6", "edit", N_("Edit"), id="form.edit"),
        # A priority binding runs as the app takes the key from the terminal, so the focus has moved
        # before the app routes the next key: keys typed ahead after Enter land in the next field.
        # (Handled by the Input instead, the Enter would move the focus only after the keys queued
        # behind it had already been handed to the field being left.)
        Binding("enter", "next_field", N_("Next field"), id="form.next_field", show=False, priority=True),
    ]
    form_name = "form"
    title_text = N_("Form")
    # What a record opened to be read may not do until F6 makes it editable.
    EDITING_ACTIONS = frozenset({"save", "save_and_refer", "start_referral"})

    def __init__(
        self,
        *,
        record_id: str | None = None,
        context: dict | None = None,
        initial: dict[str, Any] | None = None,
        draft: dict[str, str] | None = None,
        read_only: bool = False,
    ):
        super().__init__()
        self.record_id = record_id
        # A past record opened from a list is shown to be read; F6 (``action_edit``) changes it.
        self.read_only = read_only and record_id is not None and draft is None
        self._locked: list = []
        self.context = context or {}
        self.initial = initial or {}
        self.restored_draft = draft
        self.saved_raw: dict[str, str] = {}
        self._draft_timer: Timer | None = None
        self.confirmed_warnings: set[str] = set()

    # --- to implement -------------------------------------------------------------------------

    def specs(self) -> list[FieldSpec]:
        raise NotImplementedError

    def save(self, values: dict[str, Any]) -> str:
        """Write the record through the store; return its id. Raise DomainError to refuse."""
        raise NotImplementedError

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        """Checks across fields or against the database (duplicates...), run before saving."""
        return []

    def load_initial(self) -> dict[str, Any]:
        """The values the form starts with (an edited record's, or what it was opened with)."""
        return self.initial

    def draft_title(self) -> str:
        return _(self.title_text)

    def record_day(self) -> str | None:
        """The date of the record edited or read, for the title (None: the title needs no date)."""
        return None

    def heading(self, title: str) -> str:
        """``title`` as this form's state says it: a new record's as it is; a past record's with its
        date, marked read only, or 修改 while it is being changed."""
        day = self.record_day() if self.record_id is not None else None
        if day is None:
            return title
        template = N_("{title} {date} (read only)") if self.read_only else N_("Edit {title} {date}")
        return _(template).format(title=title, date=day)

    def form_title(self) -> str:
        return self.heading(_(self.title_text))

    def show_title(self) -> None:
        self.query_one(".form-title", Static).update(self.form_title())

    def context_key(self) -> str:
        return ""

    # --- the common behaviour ----------------------------------------------------------------

    @property
    def form(self) -> FormView:
        return self.query_one(FormView)

    @property
    def draft_id(self) -> str:
        return self.clinic_drafts.draft_id(self.form_name, self.record_id, self.context_key())

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(_(self.title_text), classes="form-title")
        yield FormView(self.specs())
        yield Static("", id="form-status")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.clinic_app.start_background_work()  # saving needs the ORM: load it now if not yet
        self.form.load_values(self.load_initial())
        self.saved_raw = self.form.raw()
        if self.restored_draft:
            self.form.load_raw(self.restored_draft)
            self.set_status(_("Restored the unsaved draft of this form."))
        if self.read_only:
            self._lock(True)
            self.set_status(_("Read only: F6 to change this record."))
        else:
            self.form.input(self.form.specs[0].name).focus()

    def _lock(self, locked: bool) -> None:
        """Make every field of the form (the pickers' too) unchangeable, or give them back.

        The form itself takes the focus meanwhile, so the arrows and Page Down still scroll it.
        """
        if locked:
            self._locked = [w for w in self.form.query("Input, OptionList") if not w.disabled]
            for widget in self._locked:
                widget.disabled = True
            self.form.can_focus = True
            self.form.focus()
        else:
            for widget in self._locked:
                widget.disabled = False
            self._locked = []
            self.form.can_focus = False
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            return self.read_only
        return not (self.read_only and action in self.EDITING_ACTIONS)

    def action_edit(self) -> None:
        """F6 on a past record opened to be read: change it (the title says 修改 and its date)."""
        if not self.read_only:
            return
        self.read_only = False
        self._lock(False)
        self.show_title()
        self.set_status("")
        self.form.input(self.form.specs[0].name).focus()

    def set_status(self, text: str, severity: Severity | None = None) -> None:
        status = self.query_one("#form-status", Static)
        status.set_classes(severity.value if severity else "")
        status.update(text)

    @property
    def dirty(self) -> bool:
        return self.form.raw() != self.saved_raw

    def action_next_field(self) -> None:
        from textual.actions import SkipAction

        focused = self.focused
        if not (isinstance(focused, Input) and focused.has_class("field-input")):
            raise SkipAction()  # lists, pickers and buttons handle Enter themselves
        # The form's own order (the DOM's), not the screen's focus chain: that one is sorted by
        # layout, which a form opened a moment ago (keys typed ahead) may not have had yet.
        chain = [w for w in self.form.query("*") if w.focusable and all(n.display for n in w.ancestors_with_self)]
        following = chain[chain.index(focused) + 1 :] if focused in chain else []
        if following:
            self.set_focus(following[0])  # at once, not after the keys already queued
        else:
            self.focus_next()

    @on(FormView.Edited)
    def _schedule_draft(self) -> None:
        if self._draft_timer is None:
            self._draft_timer = self.set_timer(DRAFT_DELAY_SECONDS, self._write_draft)
        else:
            self._draft_timer.reset()

    def _write_draft(self) -> None:
        self._draft_timer = None
        if not self.dirty:
            return
        self.clinic_drafts.save(
            id=self.draft_id,
            form=self.form_name,
            record_id=self.record_id,
            context=self.context,
            user_id=self.clinic_app.user_id,
            title=self.draft_title(),
            data=self.form.raw(),
        )

    def flush_draft(self) -> None:
        """Write the draft now (before quitting, for instance)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._write_draft()

    def action_save(self) -> None:
        from clinic_tui.domain.problems import DomainError

        values, problems = self.form.parse_all()
        if not any(p.severity is Severity.ERROR for p in problems):
            problems += self.extra_problems(values)
        self.form.show_all(problems)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        unconfirmed = [p for p in problems if p.severity is Severity.WARNING and p.code not in self.confirmed_warnings]
        if errors:
            self.set_status(
                ngettext(
                    "Not saved: {count} field needs correcting.",
                    "Not saved: {count} fields need correcting.",
                    len(errors),
                ).format(count=len(errors)),
                Severity.ERROR,
            )
            self._focus_field(min(errors, key=self.form_position))
            return
        if unconfirmed:
            self.confirmed_warnings |= {p.code for p in unconfirmed}
            self.set_status(
                _("Please check: {message} Press Ctrl+S again to save anyway.").format(
                    message=" ".join(p.message for p in unconfirmed)
                ),
                Severity.WARNING,
            )
            self._focus_field(unconfirmed[0])
            return
        try:
            record_id = self.save(values)
        except DomainError as exc:
            self.set_status(exc.message, Severity.ERROR)
            return
        self.mark_saved(record_id)
        self.after_save(record_id)

    def mark_saved(self, record_id: str) -> None:
        """What every successful save ends with: no draft left behind, nothing unsaved."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        self.clinic_drafts.discard(self.draft_id)
        self.saved_raw = self.form.raw()
        self.record_id = record_id

    def after_save(self, record_id: str) -> None:
        """By default, go back to where the form was opened from."""
        self.app.notify(_("Saved."), timeout=3)
        self.dismiss(record_id)

    def form_position(self, problem: Problem) -> int:
        """Where a problem's field is in the form, top first: the cursor goes to the first one."""
        names = [spec.name for spec in self.form.specs]
        return names.index(problem.field) if problem.field in names else len(names)

    def _focus_field(self, problem: Problem) -> None:
        if problem.field and problem.field in {s.name for s in self.form.specs}:
            self.form.input(problem.field).focus()

    @work
    async def action_leave(self) -> None:
        from clinic_tui.screens.confirm import ConfirmScreen

        if self.dirty and not await self.app.push_screen_wait(
            ConfirmScreen(_("Leave this form and discard what was typed?"))
        ):
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self.clinic_drafts.discard(self.draft_id)
        self.dismiss(None)
