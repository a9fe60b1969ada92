"""The command palette (Ctrl+P) in the doctor's language: Textual's own commands translated, and
commands found by pinyin as residents are ("zhuan" or "zz" finds 新建转诊), not only by the letters
of their title, which a Chinese title does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from textual.app import SystemCommand
from textual.command import Hit, Hits
from textual.system_commands import SystemCommandsProvider

from clinic_tui.i18n import N_, _

# Textual's own system commands, by their English title and help (textual/app.py,
# App.get_system_commands), as we offer them. "Quit" and "Keys" are left out: Ctrl+Q (which asks
# about unsaved forms) and F1 (the keys of this screen, translated) are the app's own.
TEXTUAL_COMMANDS = {
    "Theme": (N_("Theme"), N_("Change the colours of the screen")),
    "Maximize": (N_("Maximize"), N_("Show the focused part on the whole screen")),
    "Minimize": (N_("Minimize"), N_("Show the whole screen again")),
    "Screenshot": (N_("Screenshot"), N_("Save a picture of this screen (SVG) for support")),
}

PLACEHOLDER = N_("Find an action: its name, pinyin or initials…")


def translated(commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's commands with our titles and help texts; those we do not offer are dropped."""
    for command in commands:
        if command.title in TEXTUAL_COMMANDS:
            title, help_text = TEXTUAL_COMMANDS[command.title]
            yield command._replace(title=_(title), help=_(help_text))


@lru_cache(maxsize=512)
def _pinyin(title: str) -> tuple[tuple[str, str], ...]:
    """(full pinyin, initials) of the title from each syllable on: 新建转诊 -> ("xinjianzhuanzhen",
    "xjzz"), ("jianzhuanzhen", "jzz"), ("zhuanzhen", "zz"), ("zhen", "z")."""
    from clinic_tui.search.pinyin import text_syllables

    syllables = text_syllables(title)
    return tuple(("".join(syllables[i:]), "".join(s[0] for s in syllables[i:])) for i in range(len(syllables)))


def pinyin_score(title: str, query: str) -> float:
    """How well a Latin ``query`` matches the pinyin of ``title`` (0: not at all).

    The query is read as full pinyin or as initials, starting at a syllable: from the title's first
    one it scores highest, from a later one less.
    """
    from clinic_tui.search.pinyin import normalize_query

    folded = normalize_query(query)
    if not folded or not folded.isascii() or not folded.isalnum():
        return 0.0
    for position, (full, initials) in enumerate(_pinyin(title)):
        if full.startswith(folded) or initials.startswith(folded):
            return 0.9 if position == 0 else 0.6
    return 0.0


class PaletteCommands(SystemCommandsProvider):
    """The app's commands, matched by Textual's fuzzy matcher or by pinyin."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, *_rest in self.app.get_system_commands(self.screen):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
            elif score := pinyin_score(title, query):
                yield Hit(score, title, callback, help=help_text)
