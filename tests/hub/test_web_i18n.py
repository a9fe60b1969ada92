"""Every word of the web desk is translated: Chinese by default, English on request.

The desk's strings are marked ``_("...")`` in its templates and ``t("...")``/``N_("...")`` in its
Python; each must have Chinese, from the desk's own table (clinic_hub/web/i18n.py) or the clinic
app's catalogue, with the same placeholders (the test of tests/test_catalogs.py, for the desk).
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from babel.messages.extract import extract_python

from clinic_hub.web import i18n
from clinic_tui.domain import referral, remote
from clinic_tui.i18n import translations

WEB = Path(__file__).resolve().parents[2] / "clinic_hub" / "web"
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def _msgid(found) -> str | None:
    """A call with keyword arguments (placeholders) comes out as a tuple: its first item."""
    if isinstance(found, tuple):
        found = found[0] if found else None
    return found if isinstance(found, str) else None


def used_message_ids() -> dict[str, str]:
    """msgid -> where it is used."""
    used: dict[str, str] = {}
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    for template in sorted((WEB / "templates").glob("*.html")):
        for _line, _function, found in env.extract_translations(template.read_text(encoding="utf-8")):
            if msgid := _msgid(found):
                used.setdefault(msgid, template.name)
    for module in sorted(WEB.glob("*.py")):
        with module.open("rb") as handle:
            for _line, _function, found, _comments in extract_python(handle, {"t": None, "N_": None}, [], {}):
                if msgid := _msgid(found):
                    used.setdefault(msgid, module.name)
    return used


def test_the_extraction_finds_the_desks_strings():
    used = used_message_ids()
    assert "Referral queue" in used and "Accept and book a reserved slot" in used  # templates
    assert "Wrong login name or password." in used and "Awaiting answer" in used  # t() and N_()
    assert len(used) > 100


def test_every_string_of_the_desk_has_chinese():
    missing = {msgid: where for msgid, where in used_message_ids().items() if i18n.chinese(msgid) is None}
    assert missing == {}


def test_translations_keep_their_placeholders():
    wrong = {
        msgid: i18n.chinese(msgid)
        for msgid in used_message_ids()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(i18n.chinese(msgid) or msgid))
    }
    assert wrong == {}


def test_the_desks_own_table_has_no_stale_entries():
    assert sorted(set(i18n.ZH) - set(used_message_ids())) == []


def test_chinese_by_default_english_on_request():
    assert i18n.Translator("zh")("Referral queue") == "转诊队列"
    assert i18n.Translator("xx")("Referral queue") == "转诊队列"
    assert i18n.Translator("en")("Referral queue") == "Referral queue"
    assert i18n.Translator("zh")("Page {page}", page=3) == "第 3 页"


def test_a_domain_label_reads_on_the_desk_as_on_the_clinics_screen():
    """States, services, urgencies, outcomes and purposes come from the domain's tables and read the
    same on the clinic's screen and the desk: the desk's table, looked up first, must not give such
    a msgid another meaning (it once turned the remote request state "Accepted by the hospital"
    into the indicators' column 上转接收率)."""
    clinic = translations("zh")
    desk = i18n.Translator("zh")
    tables = (
        referral.STATUS_LABELS,
        referral.URGENCY_LABELS,
        referral.OUTCOME_LABELS,
        referral.PURPOSE_LABELS,
        remote.STATUS_LABELS,
        remote.SERVICE_LABELS,
        remote.URGENCY_LABELS,
    )
    labels = {label for table in tables for label in table.values()}
    assert {label: desk(label) for label in labels} == {label: clinic.gettext(label) for label in labels}
    assert desk(remote.STATUS_LABELS[remote.Status.ACCEPTED]) == "已受理"
