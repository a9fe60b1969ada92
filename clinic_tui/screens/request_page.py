"""One request the clinic sent the lead hospital, the page a lab order, an examination booking and
a remote request share: its state on top, the hospital's side below in a scroll.

The page reads the request in a worker thread through its feature of the store (``feature``: the
``store.lab``, ``store.exam`` or ``store.remote`` door), reads it again whenever it is shown again
or a sync changed it, and says so in words when it is gone. The footer offers a move only while
the request's detail allows it (``offered_when``: the action and the detail's flag); a move is made
through the feature, as the signed-in doctor, and a refusal (the rules are the data layer's, made
again when it writes) is shown in words, then the page reads the request again. Each page keeps its
own bindings (with their ids), its parts (``parts``) and how it shows them (``show``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from clinic_tui import clock
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.base import ClinicScreen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker


def when(value) -> str:
    """A stored time as the clinic reads it, to the minute; "" for none."""
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def critical_line(text: Text, needs_ack: bool, record, alarm: str) -> None:
    """A critical value's line under the state: ``alarm`` until it is acknowledged, then who
    acknowledged it and when (``record``: the request, with its ``critical_ack_*``)."""
    if needs_ack:
        text.append("\n" + alarm, style="bold white on red")
    elif record.critical_ack_at:
        text.append(
            "\n"
            + _("Critical value acknowledged by {name} at {at}").format(
                name=record.critical_ack_by or "", at=when(record.critical_ack_at)
            )
        )


class RequestPageScreen(ClinicScreen):
    part: ClassVar[str]  # "lab": the page's ids (#lab-state, #lab-body, #lab-<part>)
    parts: ClassVar[tuple[str, ...]]  # the Statics below the state, in the scroll ("results" -> #lab-results)
    offered_when: ClassVar[Mapping[str, str]]  # an action -> the detail's flag that allows it

    def __init__(self, record_id: str):
        super().__init__()
        self.record_id = record_id
        self.detail: Any = None

    @property
    def feature(self) -> Any:
        """The store's door of this kind of request (``self.clinic_store.lab``, say)."""
        raise NotImplementedError

    def show(self, detail) -> None:
        """Show ``detail`` in the state and the parts."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id=f"{self.part}-state")
        with VerticalScroll(id=f"{self.part}-body"):
            for name in self.parts:
                yield Static("", id=f"{self.part}-{name}")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.query_one(f"#{self.part}-body").focus()

    def on_screen_resume(self) -> None:
        self.load()

    def reload_after_sync(self) -> None:
        self.load()

    # Exclusive within this page's own workers (Textual groups them per node): a newer read wins.
    @work(thread=True, exclusive=True, group="request-page")
    def load(self) -> None:
        from clinic_tui.domain.problems import DomainError

        try:
            detail = self.feature.detail(self.record_id)
        except DomainError as gone:
            show_from_worker(self, self._gone, gone.message)
            return
        show_from_worker(self, self._show, detail)

    def _gone(self, message: str) -> None:
        self.detail = None
        self.query_one(f"#{self.part}-state", Static).update(message)

    def _show(self, detail) -> None:
        self.detail = detail
        self.show(detail)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer offers only what the rules allow now; the data layer checks again.
        flag = self.offered_when.get(action)
        if flag is None:
            return True
        return self.detail is not None and bool(getattr(self.detail, flag))

    # --- moves

    def confirm_move(self, question: str, move: Callable[..., None], done: str) -> None:
        """Ask ``question`` (Y/N); on yes, make the move (``done``: an N_() id, said once made)."""
        from clinic_tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.make_move(move, done)

        self.app.push_screen(ConfirmScreen(question), callback=answered)

    def make_move(self, move: Callable[..., None], done: str) -> None:
        """``move`` (a feature's action) on this request as the signed-in doctor; then ``done`` (an
        N_() id) is said in the language of that moment."""
        from clinic_tui.domain.problems import DomainError

        try:
            move(self.record_id, user_id=self.clinic_app.user_id)
        except DomainError as refused:
            self.notify(refused.message, severity="error", timeout=8)
            self.load()
            return
        self.notify(_(done))
        self.app.post_message(DataChanged())
        self.load()

    def action_acknowledge(self) -> None:
        self.make_move(self.feature.acknowledge_critical, N_("Critical value acknowledged."))

    def action_back(self) -> None:
        self.dismiss()
