"""The fields of the upward referral slip and how its typed text maps to a ``Referral``.

Choices are typed as numbers (their lists are shown under the form); the hospital and department
numbers index the synced directory, or are names typed when the directory has never synced.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from clinic_tui.domain.codes import CodeSet
from clinic_tui.domain.problems import Problem
from clinic_tui.domain.record_text import examinations_text, parse_examinations, transport_codes, transport_from_codes
from clinic_tui.i18n import N_

if TYPE_CHECKING:
    from clinic_tui.data.referral_service import Directory, HospitalChoice

EMERGENCY_CODE = "3"
URGENCY = CodeSet(
    "referral urgency", (("1", N_("Routine")), ("2", N_("Urgent")), (EMERGENCY_CODE, N_("Emergency · green channel")))
)
URGENCY_STORED = {"1": "normal", "2": "urgent", EMERGENCY_CODE: "emergency"}
PURPOSE = CodeSet(
    "referral purpose", (("1", N_("Outpatient")), ("2", N_("Inpatient")), ("3", N_("Examination")), ("9", N_("Other")))
)
PURPOSE_STORED = {"1": "outpatient", "2": "inpatient", "3": "exam", "9": "other"}
CONSENT = CodeSet("referral consent", (("1", N_("Patient agreed")), ("2", N_("Family agreed")), ("0", N_("Not yet"))))
CONSENT_BY = {"1": "patient", "2": "family"}
TRANSPORT_LEGEND = N_(
    "Transport: 1 oxygen 2 monitor 3 stretcher 4 medical escort 5 ambulance (120); "
    "0 none needed. Type several, e.g. 135."
)
# Hidden fields hold what the pickers chose (and the medications list), so drafts, "unsaved
# changes" and saving treat them like every other field.
HIDDEN = ("resident_id", "diagnoses", "medications", "results")
# submission_problems names model fields; these are shown at the form's own fields.
PROBLEM_FIELD: dict[str | None, str | None] = {
    "to_org_code": "hospital",
    "to_department_code": "department",
    "consent_given": "consent",
}


class LiveChoices:
    """A choice list that can change while the form is open (the departments of the hospital)."""

    def __init__(self, entries: list[tuple[str, str]]):
        self.entries = entries

    def items(self) -> list[tuple[str, str]]:
        return list(self.entries)

    def label(self, code: str) -> str:
        return dict(self.entries)[code]

    def parse(self, text: str) -> str | None:
        wanted = text.strip().casefold()
        return next((code for code, label in self.entries if wanted in (code, label.casefold())), None)


def transport_problems(value: str, _values: Any) -> list[Problem]:
    try:
        transport_from_codes(value)
    except ValueError:
        template = N_("“{text}”: type the numbers of what is needed, e.g. 135, or 0 for nothing.")
        return [Problem("referral.transport_codes", template, {"text": value}, field="transport")]
    return []


def form_values(stored: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """Referral field values as the form shows them (only those present in ``stored``)."""
    raw: dict[str, Any] = {}
    for name in (
        "reason",
        "chief_complaint",
        "past_history",
        "treatment_so_far",
        "allergies",
        "consent_signer",
        "wished_date",
        "to_doctor_wished",
        "precautions",
    ):
        if stored.get(name):
            raw[name] = stored[name]
    for name in ("diagnoses", "medications", "results"):
        if stored.get(name):
            raw[name] = json.dumps(stored[name], ensure_ascii=False)
    if stored.get("examinations"):
        raw["examinations"] = examinations_text(stored["examinations"])
    reverse = {"urgency": URGENCY_STORED, "purpose": PURPOSE_STORED}
    for name, table in reverse.items():
        code = next((c for c, word in table.items() if word == stored.get(name)), None)
        if code and (name != "urgency" or "status" in stored):  # a new slip's urgency is chosen
            raw[name] = code
    if stored.get("transport"):
        raw["transport"] = transport_codes(stored["transport"])
    if stored.get("consent_given"):
        raw["consent"] = "2" if stored.get("consent_by") == "family" else "1"
    raw |= _place_raw(stored, directory)
    return raw


def _place_raw(stored: dict[str, Any], directory: Directory) -> dict[str, str]:
    if not stored.get("to_org_code") and not stored.get("to_org_name"):
        return {}
    if not directory.synced:
        return {"hospital": stored.get("to_org_name") or "", "department": stored.get("to_department_name") or ""}
    raw = {}
    for index, hospital in enumerate(directory.hospitals, 1):
        if hospital.code == stored.get("to_org_code"):
            raw["hospital"] = str(index)
            for number, department in enumerate(hospital.departments, 1):
                if department.code == stored.get("to_department_code"):
                    raw["department"] = str(number)
    return raw


# --- saving and sending ------------------------------------------------------------------


def record_values(values: dict[str, Any], directory: Directory, hospital: HospitalChoice | None) -> dict[str, Any]:
    """The parsed form values as Referral fields (``hospital`` is the one chosen, if any)."""
    department = None
    if hospital is not None and values["department"]:
        department = hospital.departments[int(values["department"]) - 1]
    typed_hospital = None if directory.synced else values["hospital"]
    lead = directory.lead_code if typed_hospital and typed_hospital == directory.lead_name else None
    emergency = values["urgency"] == EMERGENCY_CODE
    try:
        transport = transport_from_codes(values["transport"]) if emergency else None
    except ValueError:
        transport = None
    return {
        "purpose": PURPOSE_STORED.get(values["purpose"]),
        "urgency": URGENCY_STORED.get(values["urgency"]),
        "to_org_code": hospital.code if hospital else lead,
        "to_org_name": hospital.name if hospital else typed_hospital,
        "to_department_code": department.code if department else None,
        "to_department_name": department.name if department else (None if directory.synced else values["department"]),
        "wished_date": values["wished_date"],
        "diagnoses": json.loads(values["diagnoses"] or "[]"),
        "reason": values["reason"],
        "chief_complaint": values["chief_complaint"],
        "past_history": values["past_history"],
        "examinations": parse_examinations(values["examinations"]),
        "medications": json.loads(values["medications"] or "[]"),
        "results": json.loads(values["results"] or "[]"),
        "treatment_so_far": values["treatment_so_far"],
        "allergies": values["allergies"],
        "precautions": values["precautions"] or None,
        "to_doctor_wished": values["to_doctor_wished"] or None,
        "consent_given": values["consent"] in CONSENT_BY,
        "consent_by": CONSENT_BY.get(values["consent"]),
        "consent_signer": values["consent_signer"],
        "transport": transport or {},
    }
