"""What every screen of the app shares: bindings shown in the user's language, the app typed."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode
from textual.screen import Screen

from clinic_tui.i18n import _
from clinic_tui.messages import DataChanged

if TYPE_CHECKING:
    from clinic_tui.app import ClinicApp


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


class OfClinicApp:
    """``clinic_app``: the running app as a ``ClinicApp`` (its store, the signed-in user, the drafts).

    Textual types ``self.app`` as any App; screens of this app read it through this property, as
    Posting's screens read ``cast("Posting", self.app)``. Mixed into every screen of the app.
    """

    @property
    def clinic_app(self) -> ClinicApp:
        return cast("ClinicApp", self.app)  # type: ignore[attr-defined]  (a Screen's app)


class ClinicScreen(Screen, OfClinicApp):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

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
