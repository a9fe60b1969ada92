"""The synced tables as plain data: their names and each column's wire form.

A ``clinic-tui sync`` process reads and writes the clinic's file with ``sqlite3`` and does not load
SQLAlchemy, SQLModel and the 26 table models (about half a second of CPU on an old PC, more than
the rest of a day's sync; docs/sync.md, "Cost of a sync"). What it needs of the models is written
here, made from them: ``python -m clinic_tui.sync.tables`` writes this file again after a model
changes, and ``tests/sync/test_plain_sync.py`` fails until it is.

A column's wire form (``sync/wire_json.py``): ``utc`` a UTC datetime, ``bool`` 0/1 as
``false``/``true``, ``json`` a JSON column, ``float``; anything else goes out as it is stored.
Private columns (``data.records.PRIVATE_FIELDS``: the staff's PIN hash) are not listed.
"""

from __future__ import annotations

from typing import NamedTuple


class SyncedTable(NamedTuple):
    table: str
    origin: bool  # has an ``origin`` column (records the hub made are "hub")
    columns: str  # "name" or "name:form", in the model's order, separated by spaces


# --- written by ``python -m clinic_tui.sync.tables`` from the models: do not edit by hand -----------
SYNCED_TABLES: dict[str, SyncedTable] = {
    "user": SyncedTable(
        "staff",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool name role title phone "
            "practitioner_no active:bool"
        ),
    ),
    "resident": SyncedTable(
        "resident",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool name sex birth_date "
            "id_type id_number phone ethnicity address division_code division_name division_version "
            "health_record_no insurance_type insurance_no emergency_contact emergency_phone "
            "chronic_conditions:json manual_population_tags:json notes name_pinyin name_initials "
            "id_number_rev phone_rev"
        ),
    ),
    "visit": SyncedTable(
        "visit",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool resident_id "
            "visit_at:utc mode doctor_id institution_code village_code chief_complaint sbp dbp heart_rate "
            "temperature_c:float weight_kg:float height_cm:float glucose_mmol:float glucose_kind "
            "diagnoses:json treatment prescription fee_fen referral_flag:bool notes"
        ),
    ),
    "followup": SyncedTable(
        "followup",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool resident_id disease "
            "followup_date mode doctor_id institution_code village_code symptoms:json symptoms_other sbp dbp "
            "weight_kg:float weight_target_kg:float height_cm:float bmi:float heart_rate temperature:float "
            "other_signs cigarettes_per_day cigarettes_target alcohol_ml_per_day alcohol_target_ml "
            "exercise_times_per_week exercise_minutes salt_intake psych_adjustment compliance auxiliary_exams "
            "adherence adverse_reaction adverse_reaction_note classification suggested_classification "
            "override_reason medications:json referral_reason referral_org referral_result next_date "
            "dorsalis_pedis staple_food_g fasting_glucose:float postprandial_glucose:float hba1c:float "
            "hba1c_date hypoglycemia insulin_kind insulin_dose"
        ),
    ),
    "task": SyncedTable(
        "task",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool resident_id kind "
            "title due_date source_kind source_id done_at:utc done_by"
        ),
    ),
    "referral": SyncedTable(
        "referral",
        True,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool referral_no origin "
            "direction purpose urgency status referral_date resident_id source_visit_id patient_name "
            "patient_sex patient_birth_date patient_id_type patient_id_number patient_phone patient_address "
            "patient_insurance_type patient_insurance_no from_org_code from_org_name from_department "
            "from_doctor_id from_doctor_name from_doctor_phone to_org_code to_org_name to_department_code "
            "to_department_name to_doctor_wished wished_date diagnoses:json reason chief_complaint "
            "present_illness past_history past_history_kinds:json treatment_so_far examinations:json "
            "results:json medications:json allergies precautions consent_given:bool consent_by consent_signer "
            "transport:json cancel_reason discharge_diagnoses:json outcome treatment_plan rehab_guidance "
            "medication_to_continue followup_schedule:json"
        ),
    ),
    "referral_event": SyncedTable(
        "referral_event",
        True,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool referral_id origin "
            "from_status to_status actor actor_name reason at:utc appointment_department_code "
            "appointment_department_name appointment_doctor appointment_at:utc appointment_slot_id "
            "admission_at:utc bed_pool_id"
        ),
    ),
    "team": SyncedTable(
        "team",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool name org_code "
            "leader_id members:json active:bool"
        ),
    ),
    "service_package": SyncedTable(
        "service_package",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool code name kind "
            "price_fen year items:json active:bool"
        ),
    ),
    "contract": SyncedTable(
        "contract",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool contract_no kind "
            "subject household_rep_id resident_id year signed_date start_date end_date org_code team_id "
            "doctor_id operator_id population_tags:json package_codes:json service_modes:json fee_total_fen "
            "fee_insurance_fen fee_public_health_fen fee_self_fen resident_signed:bool doctor_signed:bool "
            "status terminated_on termination_reason termination_note previous_contract_id"
        ),
    ),
    "service_record": SyncedTable(
        "service_record",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool contract_id item_code "
            "delivered_on staff_id source_kind source_id note"
        ),
    ),
    "remote_request": SyncedTable(
        "remote_request",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool request_no service "
            "urgency status resident_id patient_name patient_sex patient_birth_date patient_id_type "
            "patient_id_number patient_phone requested_at:utc requesting_doctor department_wished "
            "expert_wished time_wished:utc question chief_complaint present_illness history findings "
            "preliminary_diagnoses:json consent:bool source_kind source_id report_read_at:utc report_read_by "
            "critical_ack_at:utc critical_ack_by attachments:json"
        ),
    ),
    "lab_order": SyncedTable(
        "lab_order",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool order_no status "
            "items:json specimen priority fasting:bool clinical_diagnosis resident_id patient_name "
            "patient_sex patient_birth_date patient_id_number ordered_at:utc ordering_doctor attempt "
            "collected_at:utc collected_by barcode sent_at:utc critical_ack_at:utc critical_ack_by "
            "critical_ack_event"
        ),
    ),
    "exam_booking": SyncedTable(
        "exam_booking",
        False,
        (
            "id clinic_id author_id created_at:utc updated_at:utc revision deleted:bool booking_no status "
            "item_code item_name day priority clinical_diagnosis question resident_id patient_name "
            "patient_sex patient_birth_date patient_id_number booked_at:utc booking_doctor "
            "critical_ack_at:utc critical_ack_by"
        ),
    ),
}
# --- end of the written part ---------------------------------------------------------------------------


def from_models() -> dict[str, SyncedTable]:
    """The table above as the models define it now (loads the ORM)."""
    from sqlalchemy import JSON, Boolean, Date, Float, Integer, String, TypeDecorator

    from clinic_tui.data.models import SYNCED_KINDS
    from clinic_tui.data.models.base import UTCDateTime, table_of
    from clinic_tui.data.records import PRIVATE_FIELDS

    def form(kind: str, column) -> str:  # type: ignore[no-untyped-def]
        if isinstance(column.type, UTCDateTime):
            return ":utc"
        stored = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(stored, Boolean):
            return ":bool"
        if isinstance(stored, JSON):
            return ":json"
        if isinstance(stored, Float):
            return ":float"
        if isinstance(stored, (String, Integer, Date)):
            return ""
        raise TypeError(f"{kind}.{column.name}: no wire form for {column.type!r}")

    tables = {}
    for kind, model in SYNCED_KINDS.items():
        table = table_of(model)
        columns = " ".join(
            column.name + form(kind, column) for column in table.columns if column.name not in PRIVATE_FIELDS
        )
        tables[kind] = SyncedTable(table.name, "origin" in table.columns, columns)
    return tables


def _write() -> None:
    from pathlib import Path

    path = Path(__file__)
    text = path.read_text(encoding="utf-8")
    start = text.index("SYNCED_TABLES: dict[str, SyncedTable] = ")
    end = text.index("# --- end of the written part")
    import textwrap

    lines = ["SYNCED_TABLES: dict[str, SyncedTable] = {"]
    for kind, table in from_models().items():
        lines.append(f'    "{kind}": SyncedTable(')
        lines.append(f'        "{table.table}",')
        lines.append(f"        {table.origin!r},")
        lines.append("        (")
        parts = textwrap.wrap(table.columns, 96, break_on_hyphens=False)
        lines.extend(f'            "{part}{" " if n < len(parts) - 1 else ""}"' for n, part in enumerate(parts))
        lines.append("        ),")
        lines.append("    ),")
    lines.append("}")
    path.write_text(text[:start] + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    _write()
