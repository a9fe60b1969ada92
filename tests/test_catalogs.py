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
    done = compile_catalogs.translated_ids(compile_catalogs.load_catalog())
    untranslated = {
        msgid: where[0] for msgid, where in compile_catalogs.used_message_ids().items() if msgid not in done
    }
    assert untranslated == {}


def test_translations_keep_the_placeholders_of_their_source():
    catalog = compile_catalogs.load_catalog()
    wrong = {
        message.id: message.string
        for message in catalog
        if message.id
        and isinstance(message.id, str)
        and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))
    }
    assert wrong == {}


def test_the_compiled_catalogue_is_up_to_date():
    committed = compile_catalogs.messages_in(compile_catalogs.MO_FILE.read_bytes())
    assert committed == compile_catalogs.messages_in(compile_catalogs.compiled_bytes())
    assert compile_catalogs.is_up_to_date()
    assert committed["Draft"] == "草稿"


def test_the_catalogue_check_ignores_the_tool_version_but_not_a_translation(monkeypatch):
    """A header naming another Babel changes nothing; a changed or missing translation is stale."""
    import io

    from babel.messages.mofile import write_mo

    fresh = compile_catalogs.compiled_bytes()

    def compiled(edit) -> bytes:
        changed = compile_catalogs.load_catalog()
        edit(changed)
        buffer = io.BytesIO()
        write_mo(buffer, changed, use_fuzzy=False)
        return buffer.getvalue()

    other_tool = fresh.replace(b"Generated-By: Babel", b"Generated-By: Babyl")
    assert other_tool != fresh
    assert compile_catalogs.messages_in(other_tool) == compile_catalogs.messages_in(fresh)

    def retranslate(c):
        c["Draft"].string = "底稿"

    def drop(c):
        del c["Draft"]

    for edit in (retranslate, drop):
        monkeypatch.setattr(compile_catalogs, "compiled_bytes", lambda edit=edit: compiled(edit))
        assert not compile_catalogs.is_up_to_date()


def test_the_app_reads_chinese_by_default_and_english_on_request():
    from clinic_tui import i18n

    assert i18n._("Draft") == "草稿"
    i18n.set_language("en")
    assert i18n._("Draft") == "Draft"


def test_an_empty_label_stays_empty_in_every_language():
    """gettext translates "" into the catalogue's header: a referral already at the hub showed
    "Project-Id-Version: clinic-tui ..." in the list's sync column, in Chinese."""
    from clinic_hub.web.i18n import Translator
    from clinic_tui import i18n

    assert Translator("zh")("") == Translator("en")("") == ""
    for language in ("zh", "en"):
        i18n.set_language(language)
        assert i18n._("") == ""


def test_a_work_in_progress_part_never_gives_a_message_another_translation_unseen():
    """A message of ``locale/parts/*.po`` already in the main catalogue keeps the main one's words:
    a part that meant other words (an examination's "Confirmed" as 已确认, where a referral's is
    已接收) was silently overruled, so such a part must use its own message id."""
    from babel.messages.pofile import read_po

    with compile_catalogs.PO_FILE.open("rb") as handle:
        main = read_po(handle, locale="zh_CN")
    differing = {}
    for part in sorted(compile_catalogs.PARTS_DIR.glob("*.po")):
        with part.open("rb") as handle:
            for message in read_po(handle, locale="zh_CN"):
                if message.id and message.id in main and main[message.id].string != message.string:
                    differing[message.id] = (part.name, main[message.id].string, message.string)
    assert differing == {}
