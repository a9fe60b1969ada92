"""Referrals in every status, with a status history the domain state machine allows."""

from __future__ import annotations

from datetime import timedelta

from clinic_tui.domain.referral import check_due_date, make_referral_number, transition

from . import catalog
from .records import RecordMaker

HOSPITAL = ("SFX001", "示范县人民医院")
# The moves after creation that lead to each status: (status, actor).
UP_PATHS = {
    "draft": [],
    "review": [("review", "clinic")],
    "sent": [("sent", "clinic")],
    "accepted": [("sent", "clinic"), ("accepted", "hospital")],
    "rejected": [("sent", "clinic"), ("rejected", "hospital")],
    "cancelled": [("sent", "clinic"), ("cancelled", "clinic")],
    "expired": [("sent", "clinic"), ("expired", "system")],
    "arrived": [("sent", "clinic"), ("accepted", "hospital"), ("arrived", "hospital")],
    "no_show": [("sent", "clinic"), ("accepted", "hospital"), ("no_show", "hospital")],
    "completed": [("sent", "clinic"), ("accepted", "hospital"), ("arrived", "hospital"), ("completed", "hospital")],
}
DOWN_PATHS = {
    "received": [],
    "acknowledged": [("acknowledged", "clinic")],
    "in_followup": [("acknowledged", "clinic"), ("in_followup", "clinic")],
    "completed": [("acknowledged", "clinic"), ("in_followup", "clinic"), ("completed", "clinic")],
    "lost": [("acknowledged", "clinic"), ("lost", "clinic")],
}


def _patient_block(resident: dict) -> dict:
    return {
        "resident_id": resident["id"],
        "patient_name": resident["name"],
        "patient_sex": resident["sex"],
        "patient_birth_date": resident["birth_date"],
        "patient_id_type": resident["id_type"],
        "patient_id_number": resident["id_number"],
        "patient_phone": resident["phone"],
        "patient_address": resident["address"],
        "patient_insurance_type": resident["insurance_type"],
        "patient_insurance_no": resident["insurance_no"],
    }


def _event(
    maker: RecordMaker,
    referral: dict,
    direction: str,
    before: str | None,
    after: str,
    actor: str,
    days_ago: int,
    reason: str | None = None,
    appointment: dict | None = None,
) -> None:
    transition(direction, before, after, actor, reason)  # the demo never shows an illegal history
    from_hub = actor in ("hospital", "system")
    maker.record(
        "referral_event",
        days_ago,
        {
            "referral_id": referral["id"],
            "origin": "hub" if from_hub else "clinic",
            "from_status": before,
            "to_status": after,
            "actor": actor,
            "actor_name": "转诊办 张护士" if actor == "hospital" else None,
            "reason": reason,
            "at": maker.moment(days_ago),
            "appointment_department_code": None,
            "appointment_department_name": None,
            "appointment_doctor": None,
            "appointment_at": None,
            "appointment_slot_id": None,
            **(appointment or {}),
            "_author": None if from_hub else maker.staff[0],
        },
        hub=from_hub,
    )


def add_referrals(maker: RecordMaker, residents: list[dict], per_status: int) -> None:
    rng = maker.rng
    adults = [r for r in residents if r["_age"] >= 18]
    for status, path in UP_PATHS.items():
        for _ in range(per_status):
            _upward(maker, rng.choice(adults), status, path)
    for status, path in DOWN_PATHS.items():
        for _ in range(max(1, per_status // 2 + 1)):
            _downward(maker, rng.choice(adults), status, path)


def _upward(maker: RecordMaker, resident: dict, status: str, path: list[tuple[str, str]]) -> None:
    rng = maker.rng
    code, complaint, reason = rng.choice(catalog.SERIOUS)
    department_code = catalog.DEPARTMENT_FOR[code]
    department_id, department_name = maker.departments[department_code]
    days_ago = rng.randint(0, 3) if status in ("draft", "review", "sent") else rng.randint(len(path) + 2, 120)
    day = maker.today - timedelta(days=days_ago)
    urgency = "emergency" if code in ("I63.9", "I20.9") else rng.choices(["normal", "urgent"], [80, 20])[0]
    referral = maker.record(
        "referral",
        days_ago,
        {
            "referral_no": make_referral_number("QS0101", day, maker.next_referral_sequence("QS0101", day)),
            "origin": "clinic",
            "direction": "up",
            "purpose": "inpatient" if urgency == "emergency" else "outpatient",
            "urgency": urgency,
            "status": status,
            "referral_date": day,
            "source_visit_id": None,
            **_patient_block(resident),
            "from_org_code": "QS0101",
            "from_org_name": "石桥镇青石村卫生室",
            "from_department": "全科",
            "from_doctor_id": maker.staff[0],
            "from_doctor_name": "李建国",
            "from_doctor_phone": "13990001111",
            "to_org_code": HOSPITAL[0],
            "to_org_name": HOSPITAL[1],
            "to_department_code": department_code,
            "to_department_name": department_name,
            "to_doctor_wished": None,
            "wished_date": day + timedelta(days=rng.randint(1, 5)),
            "diagnoses": [maker.diagnosis(code)],
            "reason": reason,
            "chief_complaint": complaint,
            "present_illness": f"{complaint}，来村卫生室就诊。",
            "past_history": "高血压病史5年" if "02" in resident["chronic_conditions"] else "既往体健",
            "past_history_kinds": ["disease"],
            "treatment_so_far": "已予对症处理，生命体征平稳后转诊",
            "examinations": [{"item": "血压", "result": "168/102 mmHg", "abnormal": True}],
            "medications": [
                {"drug": "阿司匹林肠溶片", "dose": "100", "unit": "mg", "frequency": "qd", "route": "口服", "days": 7}
            ],
            "allergies": "无",
            "precautions": "途中注意监测血压",
            "consent_given": status != "draft",
            "consent_by": "patient",
            "consent_signer": resident["name"],
            "transport": {"oxygen": True, "monitor": True, "stretcher": True, "escort": True, "ambulance_120": True}
            if urgency == "emergency"
            else {},
            "cancel_reason": rng.choice(catalog.CANCEL_REASONS) if status == "cancelled" else None,
            "discharge_diagnoses": [],
            "outcome": None,
            "treatment_plan": None,
            "rehab_guidance": None,
            "medication_to_continue": None,
            "followup_schedule": [],
        },
    )
    _event(maker, referral, "up", None, "draft", "clinic", days_ago)
    before, step_day = "draft", days_ago
    for after, actor in path:
        step_day = max(0, step_day - 1)
        reason = None
        if after == "rejected":
            reason = rng.choice(catalog.REJECT_REASONS)
        elif after == "cancelled":
            reason = referral["cancel_reason"]
        elif after == "expired":
            reason = "超过3天未答复"
        appointment = None
        if after == "accepted":
            appointment = {
                "appointment_department_code": department_code,
                "appointment_department_name": department_name,
                "appointment_doctor": "王主任",
                "appointment_at": maker.moment(max(0, step_day - 2)),
                "appointment_slot_id": department_id,
            }
        _event(maker, referral, "up", before, after, actor, step_day, reason, appointment)
        before = after
    if status != "draft" and status != "review":
        sent_day = maker.today - timedelta(days=days_ago - 1 if days_ago else 0)
        due = check_due_date(sent_day)
        maker.record(
            "task",
            days_ago,
            {
                "resident_id": resident["id"],
                "kind": "referral_check",
                "title": f"跟进转诊 {referral['referral_no']}",
                "due_date": due,
                "source_kind": "referral",
                "source_id": referral["id"],
                "done_at": maker.moment(max(0, days_ago - 10)) if due < maker.today else None,
                "done_by": maker.staff[0] if due < maker.today else None,
            },
        )


def _downward(maker: RecordMaker, resident: dict, status: str, path: list[tuple[str, str]]) -> None:
    rng = maker.rng
    code, _complaint, _reason = rng.choice(catalog.SERIOUS)
    days_ago = rng.randint(0, 2) if status == "received" else rng.randint(len(path) + 3, 90)
    day = maker.today - timedelta(days=days_ago)
    department_code = catalog.DEPARTMENT_FOR[code]
    referral = maker.record(
        "referral",
        days_ago,
        {
            "referral_no": make_referral_number(HOSPITAL[0], day, maker.next_referral_sequence(HOSPITAL[0], day)),
            "origin": "hub",
            "direction": "down",
            "purpose": "other",
            "urgency": "normal",
            "status": status,
            "referral_date": day,
            "source_visit_id": None,
            **_patient_block(resident),
            "from_org_code": HOSPITAL[0],
            "from_org_name": HOSPITAL[1],
            "from_department": maker.departments[department_code][1],
            "from_doctor_id": None,
            "from_doctor_name": "王主任",
            "from_doctor_phone": "0838-6200188",
            "to_org_code": "QS0101",
            "to_org_name": "石桥镇青石村卫生室",
            "to_department_code": None,
            "to_department_name": None,
            "to_doctor_wished": "李建国",
            "wished_date": None,
            "diagnoses": [maker.diagnosis(code)],
            "reason": "病情稳定，转回基层康复及慢病管理",
            "chief_complaint": None,
            "present_illness": None,
            "past_history": None,
            "past_history_kinds": [],
            "treatment_so_far": "住院治疗10天",
            "examinations": [],
            "medications": [],
            "allergies": "无",
            "precautions": "监测血压血糖",
            "consent_given": True,
            "consent_by": "patient",
            "consent_signer": resident["name"],
            "transport": {},
            "cancel_reason": None,
            "discharge_diagnoses": [maker.diagnosis(code)],
            "outcome": rng.choice(["2", "3"]),
            "treatment_plan": "继续口服药物治疗，低盐低脂饮食",
            "rehab_guidance": "循序渐进进行肢体功能锻炼",
            "medication_to_continue": "阿托伐他汀钙片 20mg 每晚一次",
            "followup_schedule": [{"after_days": 14, "what": "复查血压、血脂"}, {"after_days": 30, "what": "门诊随访"}],
            "_author": None,
        },
        hub=True,
    )
    _event(maker, referral, "down", None, "received", "hospital", days_ago)
    before, step_day = "received", days_ago
    for after, actor in path:
        step_day = max(0, step_day - 2)
        _event(maker, referral, "down", before, after, actor, step_day)
        before = after
    if status in ("acknowledged", "in_followup"):
        maker.record(
            "task",
            step_day,
            {
                "resident_id": resident["id"],
                "kind": "downward_followup",
                "title": f"下转随访 {referral['referral_no']}",
                "due_date": day + timedelta(days=14),
                "source_kind": "referral",
                "source_id": referral["id"],
                "done_at": None,
                "done_by": None,
            },
        )
