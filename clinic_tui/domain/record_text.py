"""The repeating parts of a record as a form shows them on one line, and back: medications,
examinations, and an emergency slip's transport needs.

Pure: the forms read and write these texts, the services store the lists and dicts they stand for.
"""

from __future__ import annotations

import re
from typing import Any

from clinic_tui.i18n import LANGUAGES, N_, _, translations

_ENTRY_SEPARATORS = re.compile(r"[;；\n]+")
_TIMES = re.compile(r"(\d+)(次(/日|/天)?)?")
TRANSPORT_NEEDS = ("oxygen", "monitor", "stretcher", "escort", "ambulance_120")  # Referral.transport keys


# --- Medications as the form types them: "硝苯地平缓释片 2 10mg; 二甲双胍 3 0.5g" --------------


def parse_medications(text: str | None) -> list[dict[str, Any]]:
    """Entries of "name [times a day] [dose]" separated by semicolons, as a follow-up stores them."""
    medications: list[dict[str, Any]] = []
    for entry in _ENTRY_SEPARATORS.split(text or ""):
        name, *rest = entry.split() or [""]
        if not name:
            continue
        times = _TIMES.fullmatch(rest[0]) if rest else None
        dose = " ".join(rest[1:] if times else rest)
        medications.append({"name": name, "times_per_day": int(times[1]) if times else None, "dose": dose or None})
    return medications


def medications_text(medications: list[dict[str, Any]] | None) -> str:
    """The medications on one line, "entry; entry": the reverse of ``parse_medications``.

    Reads both shapes of an entry: a follow-up's (name, times_per_day, dose) and a referral slip's
    (drug, dose, frequency; its unit, route and days are not shown).
    """
    entries = []
    for m in medications or []:
        parts = (m.get("name") or m.get("drug"), m.get("times_per_day"), m.get("dose"), m.get("frequency"))
        entries.append(" ".join(str(part) for part in parts if part))
    return "; ".join(entries)


# --- Examinations: "item result [verdict]; item result [verdict]" -------------------------------

# An examination's "abnormal" flag as the slip states it: judged abnormal, judged normal, or not
# judged at all (None), which is never to be shown as normal.
VERDICT_LABELS = {True: N_("Abnormal"), False: N_("Normal"), None: N_("Not judged")}


def verdict_label(abnormal: bool | None) -> str:
    """The message id of an examination's verdict (translate it where it is shown)."""
    return VERDICT_LABELS[None if abnormal is None else bool(abnormal)]


def _verdict_of(word: str) -> tuple[bool, bool | None]:
    """(is a verdict word, the flag it stands for): the words in any language, any case."""
    wanted = word.strip().casefold()
    for flag in (True, False):
        msgid = VERDICT_LABELS[flag]
        if wanted in {translations(language).gettext(msgid).casefold() for language in LANGUAGES}:
            return True, flag
    return False, None


def examinations_text(examinations: list[dict[str, Any]] | None) -> str:
    """The examinations on one line, each judged one ending in its verdict ("正常"/"异常")."""
    entries = []
    for e in examinations or []:
        verdict = _(VERDICT_LABELS[bool(e["abnormal"])]) if e.get("abnormal") is not None else None
        entries.append(" ".join(p for p in (e.get("item"), e.get("result"), verdict) if p))
    return "; ".join(entries)


def parse_examinations(text: str | None) -> list[dict[str, Any]]:
    """ "item result [verdict]; ..." as the model stores it; no verdict word: not judged (None)."""
    found: list[dict[str, Any]] = []
    for entry in _ENTRY_SEPARATORS.split(text or ""):
        item, _space, result = entry.strip().partition(" ")
        if not item:
            continue
        head, _space, last = result.strip().rpartition(" ")
        is_verdict, abnormal = _verdict_of(last)
        if is_verdict:
            result = head
        found.append({"item": item, "result": result.strip() or None, "abnormal": abnormal})
    return found


# --- Transport needs of an emergency slip: "135" -------------------------------------------------


def transport_from_codes(text: str | None) -> dict[str, bool] | None:
    """ "135" (1 oxygen 2 monitor 3 stretcher 4 escort 5 ambulance), "0" none: the assessment dict.

    None when nothing was typed (not assessed); ValueError for other characters.
    """
    digits = (text or "").replace(" ", "").replace(",", "")
    if not digits:
        return None
    if not set(digits) <= set("012345") or ("0" in digits and len(set(digits)) > 1):
        raise ValueError(text)
    return {need: str(index) in digits for index, need in enumerate(TRANSPORT_NEEDS, start=1)}


def transport_codes(transport: dict[str, bool] | None) -> str:
    if not transport:
        return ""
    chosen = "".join(str(i) for i, need in enumerate(TRANSPORT_NEEDS, start=1) if transport.get(need))
    return chosen or "0"


# The slip's words for a referral's codes: the printed slip (clinic_tui/slip.py) and the hub's copy
# of it on the web desk (clinic_hub/web/views.py) read the same tables.
HISTORY_KIND_LABELS = {
    "disease": N_("past illnesses"),
    "surgery": N_("operations"),
    "trauma": N_("injuries"),
    "transfusion": N_("transfusions"),
    "allergy": N_("past allergies"),
    "family": N_("family history"),
}
TRANSPORT_LABELS = {
    "oxygen": N_("Oxygen"),
    "monitor": N_("Monitor"),
    "stretcher": N_("Stretcher"),
    "escort": N_("Medical escort"),
    "ambulance_120": N_("Ambulance (120)"),
}
CONSENT_BY_LABELS = {"patient": N_("the patient"), "family": N_("the family")}
