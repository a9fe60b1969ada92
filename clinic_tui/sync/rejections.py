"""The hub's reasons for refusing a record, said in the doctor's language whenever they are read.

The hub answers each refused record with a ``code``, the ``params`` of its sentence and a
``message`` in the language the clinic pushed in (docs/protocol.md). The outbox keeps all three,
so a rejection stored while the app ran in Chinese reads in English after the doctor switches
(issue 14): the sentence is made again here from the code and its values. A code this version
does not know (a newer hub) shows the hub's own message, as sent.

The English templates are the hub's (``clinic_hub/messages.py``), word for word; a test holds the
two tables and their Chinese translations together.
"""

from __future__ import annotations

from collections.abc import Mapping

from clinic_tui.i18n import N_, _

# Only the codes that answer one record of a push: those are what the outbox stores.
TEMPLATES: dict[str, str] = {
    "invalid_record": N_("The record is malformed: {detail}"),
    "unknown_kind": N_("The hub does not accept records of kind {record_kind}"),
    "foreign_record": N_("This record belongs to another clinic or to the hospital and cannot be changed"),
    "kind_mismatch": N_("This id is already used by a record of another kind ({record_kind})"),
    "missing_field": N_("Required field missing: {field}"),
    "invalid_value": N_("Invalid value for field {field}"),
    "direction_not_allowed": N_("Clinics can only push upward referrals"),
    "status_not_clinic_owned": N_("Only the hospital can set the status {status}"),
    "duplicate_referral_no": N_("Referral number {referral_no} is already used by another referral"),
    "foreign_referral_no": N_("Referral number {referral_no} is not this clinic's: it must start with {prefix}"),
    "hospital_decision_stands": N_(
        "The hospital has already answered this referral ({status}); its decision stands. "
        "Your change was stored but did not change the referral's status"
    ),
    "illegal_transition": N_("Status change not allowed: {from_status} -> {to_status}"),
    "storage_error": N_("Could not store the record; push it again later"),
    "secret_field": N_("User records must not carry a PIN or password; remove it and push again"),
    "no_exam_slots_left": N_("No primary-care slots left for {item} on {day}: book another day"),
    "duplicate_booking_no": N_("Booking number {booking_no} is already used by another examination booking"),
}

# The hub names a field by its wire name; the doctor reads the form's label where there is one.
FIELD_LABELS: dict[str, str] = {
    "diagnoses": N_("Diagnoses"),
    "id_number": N_("ID number"),
    "name": N_("Name"),
    "phone": N_("Phone"),
    "sex": N_("Sex"),
    "referral_no": N_("Referral number"),
}


def rejection_text(code: str | None, params: Mapping[str, object] | None, message: str | None) -> str:
    """The hub's reason for ``code`` in the current language; its stored ``message`` when the code
    is unknown here or its values did not come with it (a rejection stored by an older version)."""
    template = TEMPLATES.get(code or "")
    if template is not None:
        values = dict(params or {})
        if isinstance(values.get("field"), str) and values["field"] in FIELD_LABELS:
            values["field"] = _(FIELD_LABELS[values["field"]])
        try:
            return _(template).format(**values)
        except (KeyError, IndexError):
            pass  # a sentence whose values were not stored: the hub's message says it whole
    return message or code or ""
