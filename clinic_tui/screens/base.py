"""What every screen of the app shares: bindings shown in the user's language, the app typed."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual import events
from textual.dom import DOMNode
from textual.screen import Screen

from clinic_tui.i18n import _
from clinic_tui.messages import DataChanged

if TYPE_CHECKING:
    from clinic_tui.app import ClinicApp
    from clinic_tui.data.drafts import DraftStore
    from clinic_tui.data.store import Store
    from clinic_tui.sync.worker import SyncWorker


def translate_bindings(node: DOMNode) -> None:
    """Translate the binding descriptions of ``node`` (declared with N_) into the current language.

    Textual copies a class's bindings into each instance, so translating the instance's copy lets
    one process show screens in either language, as the snapshot tests do.
    """
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(
                b,
                description=_(b.description) if b.description else b.description,
                tooltip=_(b.tooltip) if b.tooltip else b.tooltip,
            )
            for b in bindings
        ]


def given(key: str | None) -> str:
    """The key of a table row or the id of an option, which Textual types as optional: every row
    and option this app adds is given one."""
    if key is None:
        raise ValueError("a row or an option without the key the app gives each")
    return key


class OfClinicApp:
    """``clinic_app``: the running app as a ``ClinicApp`` (its store, the signed-in user, the drafts).

    Textual types ``self.app`` as any App; screens of this app read it through this property, as
    Posting's screens read ``cast("Posting", self.app)``. Mixed into every screen of the app.
    """

    @property
    def clinic_app(self) -> ClinicApp:
        # The mixin itself has no ``app``: the Screen it is mixed into has.
        return cast("ClinicApp", self.app)  # type: ignore[attr-defined]

    # The app sets these once the database is open (and the sync at the first sign-in), before it
    # shows any screen that reads them: the screens read them as set.
    @property
    def clinic_store(self) -> Store:
        store = self.clinic_app.store
        if store is None:
            raise RuntimeError("the database is not open yet")
        return store

    @property
    def clinic_drafts(self) -> DraftStore:
        drafts = self.clinic_app.drafts
        if drafts is None:
            raise RuntimeError("the database is not open yet")
        return drafts

    @property
    def clinic_sync(self) -> SyncWorker:
        sync = self.clinic_app.sync
        if sync is None:
            raise RuntimeError("no user has signed in yet")
        return sync


class ClinicScreen(Screen, OfClinicApp):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
        self._resumed = False  # resumed, and not suspended since

    # Textual calls these before Screen's own handlers of the same events (the class's MRO order).
    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # A mode's new screen is resumed twice in a row (App._init_mode, then switch_mode), and each
        # resume restyles every widget of the screen: the second, with nothing between them, would
        # find every style as the first left it (on the way from F3 to the search box, issue 19).
        if self._resumed:
            event.refresh_styles = False
        self._resumed = True

    def _on_screen_suspend(self) -> None:
        self._resumed = False

    def on_data_changed(self, message: DataChanged) -> None:
        if message.by_sync:
            message.stop()  # the app sent it here; it is not a save to tell the sync about
            if self.is_mounted:
                self.reload_after_sync()

    def reload_after_sync(self) -> None:
        """A sync changed records here: a screen that shows data reads it again as when it comes
        back into view (its ``on_screen_resume``); forms, which have none, keep what is typed."""
        resume = getattr(self, "on_screen_resume", None)
        if resume is not None:
            resume()
