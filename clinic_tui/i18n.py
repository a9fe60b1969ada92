"""Translations through gettext.

Message ids are English; the zh_CN catalogue is the default language of the app. Catalogues are
read on first use, never at import time, so importing a module that marks strings costs nothing.
Mark strings that are defined at module level with ``N_`` and translate them where they are shown.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "clinic_tui"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_LOCALE_DIR = Path(__file__).with_name("locale")
_GETTEXT_NAMES = {"zh": "zh_CN", "en": "en"}

_current = {"language": DEFAULT_LANGUAGE}


def set_language(language: str) -> None:
    """Switch the language of every message produced from now on ("zh" or "en")."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {', '.join(LANGUAGES)}")
    _current["language"] = language


def current_language() -> str:
    return _current["language"]


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=_LOCALE_DIR, languages=[_GETTEXT_NAMES[language]], fallback=True)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    if not message:
        # gettext's translation of "" is the catalogue's header (Project-Id-Version: ...): an
        # empty label (a referral already at the hub has no sync mark) must stay empty.
        return message
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (for module-level constants)."""
    return message


class LazyText(str):
    """Message ids (a label, a unit) as a parameter of a message, translated when it is formatted.

    ``Problem.message`` translates its template when it is read; formatting this parameter
    translates it at that same moment, so the whole message follows the current language. Several
    ids read as one, joined by " / " ("Clinic / Hospital"). As a ``str`` it is the ids themselves.
    """

    msgids: tuple[str, ...]

    def __new__(cls, *msgids: str) -> LazyText:
        text = super().__new__(cls, " / ".join(msgids))
        text.msgids = msgids
        return text

    def __format__(self, spec: str) -> str:
        return format(" / ".join(_(m) for m in self.msgids), spec)
