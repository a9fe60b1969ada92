"""The footer of every screen: Textual's Footer in its compact style, so that a screen's main keys
fit 80 columns in Chinese and in English (tests/app/test_footer_fits.py). Keys that do not fit are
declared with ``show=False``: they stay in F1's help and in the command palette (Ctrl+P)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.screen import Screen


class ClinicFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._composed_from: tuple | None = None  # what the keys on show were made from
        self._recompose_pending = False

    def _keys_to_show(self) -> tuple:
        """Everything Footer.compose reads to make the keys: the same value, the same keys."""
        if not self._bindings_ready:
            return ()
        app = self.app
        active = self.screen.active_bindings
        keys = tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for (_node, binding, enabled, tooltip) in active.values()
            if binding.show
        )
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        palette_key = (
            (palette.binding, app.get_key_display(palette.binding), palette.enabled)
            if palette is not None and self.show_command_palette and app.ENABLE_COMMAND_PALETTE
            else None
        )
        return (keys, palette_key, self.compact, self.combine_groups)

    def compose(self) -> ComposeResult:
        self._composed_from = self._keys_to_show()
        # Textual's keys take the footer's compact style through a data binding once mounted: each
        # key's watcher then adds "-compact" and restyles that key again, one stylesheet pass per
        # key, each time a screen's footer is composed (about ten keys, twice per new screen: most of
        # the footer's cost between the sign-in and the dashboard, and from F3 to the search box on
        # a slow core, issue 19). Made with the class, a key is styled once as it mounts, and the
        # binding's watcher finds nothing to change; the footer looks the same.
        for widget in super().compose():
            if self.compact and isinstance(widget, FooterKey):
                widget.add_class("-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        """Textual's footer recomposes (removes and mounts every key) after each refresh of the
        screen's bindings: each focus change, and each resume and suspend of its screen, even when
        the same keys come out; a new mode's screen is resumed twice, and each of those recomposes
        ran late, after the first search's results had arrived (issue 19). Here one recompose waits
        for the next refresh whatever the number of changes meanwhile, and runs only if the keys it
        would make differ from those on show."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._recompose_pending = False  # a change from now on asks again
        if self.is_attached and self._keys_to_show() != self._composed_from:
            await self.recompose()
