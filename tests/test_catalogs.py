"""Every string the user sees is translated, and the compiled catalogue matches its source."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import compile_catalogs  # noqa: E402

PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def test_every_marked_string_has_a_chinese_translation():
    catalog = compile_catalogs.load_catalog()
    untranslated = {
        msgid: where[0]
        for msgid, where in compile_catalogs.used_message_ids().items()
        if not (catalog.get(msgid) and catalog.get(msgid).string and not catalog.get(msgid).fuzzy)
    }
    assert untranslated == {}


def test_translations_keep_the_placeholders_of_their_source():
    catalog = compile_catalogs.load_catalog()
    wrong = {
        message.id: message.string
        for message in catalog
        if message.id and isinstance(message.id, str)
        and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))
    }
    assert wrong == {}


def test_the_compiled_catalogue_is_up_to_date():
    assert compile_catalogs.MO_FILE.read_bytes() == compile_catalogs.compiled_bytes()


def test_the_app_reads_chinese_by_default_and_english_on_request():
    from clinic_tui import i18n

    assert i18n._("Draft") == "草稿"
    i18n.set_language("en")
    assert i18n._("Draft") == "Draft"
