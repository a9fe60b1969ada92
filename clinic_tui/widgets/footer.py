"""The footer of every screen: Textual's Footer in its compact style, so that a screen's main keys
fit 80 columns in Chinese and in English (tests/app/test_footer_fits.py). Keys that do not fit are
declared with ``show=False``: they stay in F1's help and in the command palette (Ctrl+P)."""

from __future__ import annotations

from textual.widgets import Footer


class ClinicFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
