"""Build a clinic database of fictitious data: one village clinic and its residents' records."""

from __future__ import annotations

import math
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random

from clinic_tui.config import DEMO_STAFF_PINS
from clinic_tui.data.db import open_engine, unit_of_work
from clinic_tui.data.diagnoses import ensure_builtin_catalog
from clinic_tui.data.followup_due import rebuild as rebuild_followup_due
from clinic_tui.data.maintenance import checkpoint
from clinic_tui.data.migrate import open_database
from clinic_tui.data.search_keys import resident_search_keys
from clinic_tui.data.staff import hash_pin
from clinic_tui.domain.followup import BloodPressure, DiabetesReading, classify_diabetes, classify_hypertension

from . import catalog, people
from .contracts import add_contracts
from .exams import add_exam_pools
from .lab import add_lab_orders
from .records import RecordMaker, at
from .referrals import add_referrals
from .remote import add_remote_requests


@dataclass(frozen=True)
class Size:
    residents: int
    visits: int
    referrals_per_status: int
    audit: bool  # write an audit entry for every record (skipped for the benchmark database)


SMALL = Size(residents=400, visits=1600, referrals_per_status=3, audit=True)
LARGE = Size(residents=100_000, visits=1_000_000, referrals_per_status=300, audit=False)


def generate(path: Path, size: Size, *, seed: int = 20261123, today: date = date(2026, 11, 20)) -> dict[str, int]:
    """Write a new database at ``path``; returns the row count per table."""
    if path.exists():
        path.unlink()
    opened = open_database(path)
    opened.engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")  # a generator can simply be run again
    rng = Random(seed)
    maker = RecordMaker(connection, rng, today, audit=size.audit)
    with connection:
        _clinic_and_staff(maker)
        _directory(maker)
        residents = _residents(maker, size.residents)
        _visits(maker, residents, size.visits)
        _followups(maker, residents)
        add_referrals(maker, residents, size.referrals_per_status)
        add_contracts(maker, residents)
        _draft(maker, residents)
        _sync_history(maker)
        add_remote_requests(maker, residents, seed + 18)  # last, with a generator of its own
        add_lab_orders(maker, residents, seed + 19)  # after them, with a generator of its own too
        add_exam_pools(maker, seed + 20)  # last of all, likewise
        maker.finish()
        # One record the hub refused, so the "needs attention" list has something to show.
        connection.execute(
            # As the hub answers a value it refuses (clinic_hub/messages.py), in the language of the
            # push, with the sentence's values kept to say it in the doctor's language.
            "UPDATE outbox SET state = 'rejected', attempts = 1, reject_code = 'invalid_value', "
            "reject_message = '字段取值无效：diagnoses', reject_params = '{\"field\": \"diagnoses\"}' "
            "WHERE rowid = (SELECT min(rowid) FROM outbox WHERE kind = 'visit')"
        )
    connection.close()
    engine = open_engine(path)
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
        rebuild_followup_due(session.connection())
    engine.dispose()
    checkpoint(path)
    return maker.writer.counts


def _clinic_and_staff(maker: RecordMaker) -> None:
    w = maker.writer
    village_code, village = people.VILLAGES[0]
    maker.clinic_id = w.new_id()
    w.add(
        "clinic",
        {
            "id": maker.clinic_id,
            "code": "QS0101",
            "name": f"{people.TOWNSHIP[1]}{village}卫生室",
            "level": "village",
            "division_code": village_code,
            "division_name": village,
            "lead_hospital_code": "SFX001",
            "lead_hospital_name": f"{people.COUNTY_NAME}人民医院",
            "phone": "0838-6201234",
            "address": f"{people.COUNTY_NAME}{people.TOWNSHIP[1]}{village}一组",
            "created_at": maker.moment(400),
            "updated_at": maker.moment(400),
        },
    )
    w.add("app_setting", {"key": "clinic_id", "value": maker.clinic_id})
    staff = [
        ("李建国", "village_doctor", "乡村医生", DEMO_STAFF_PINS["李建国"]),
        ("王秀英", "nurse", "护士", None),
        ("陈志强", "public_health", "公卫医师", None),
        ("赵敏", "doctor", "全科医生", DEMO_STAFF_PINS["赵敏"]),
    ]
    for name, role, title, pin in staff:
        row = maker.record(
            "staff",
            400,
            {
                "name": name,
                "role": role,
                "title": title,
                "phone": people.mobile(maker.rng),
                "practitioner_no": f"5199{maker.rng.randint(10**10, 10**11 - 1)}",
                "pin_hash": hash_pin(pin, salt=maker.rng.randbytes(16)) if pin else None,
                "active": True,
            },
            synced=True,
        )
        maker.staff.append(row["id"])
    for code, name in [people.TOWNSHIP, *people.VILLAGES]:
        w.add(
            "division",
            {
                "code": code,
                "name": name,
                "level": "township" if len(code) == 9 else "village",
                "parent_code": people.COUNTY_CODE if len(code) == 9 else people.TOWNSHIP[0],
                "version": people.DIVISION_VERSION,
            },
        )


def _directory(maker: RecordMaker) -> None:
    w, rng = maker.writer, maker.rng
    hospital_id = w.new_id()
    w.add(
        "hospital",
        {
            "id": hospital_id,
            "revision": 1,
            "updated_at": maker.moment(300),
            "deleted": False,
            "code": "SFX001",
            "name": f"{people.COUNTY_NAME}人民医院",
            "level": "二级甲等",
            "phone": "0838-6200120",
            "address": f"{people.COUNTY_NAME}城关镇人民路1号",
        },
    )
    for code, name, daily_total in catalog.DEPARTMENTS:
        department_id = w.new_id()
        maker.departments[code] = (department_id, name)
        w.add(
            "department",
            {
                "id": department_id,
                "revision": 1,
                "updated_at": maker.moment(300),
                "deleted": False,
                "hospital_id": hospital_id,
                "code": code,
                "name": name,
                "active": True,
            },
        )
        for offset in range(14):
            reserved = math.ceil(daily_total / 3)  # at least a third for primary care (seed 001)
            w.add(
                "slot_pool",
                {
                    "id": w.new_id(),
                    "revision": 1,
                    "updated_at": maker.moment(1),
                    "deleted": False,
                    "department_id": department_id,
                    "day": maker.today + timedelta(days=offset),
                    "total": daily_total,
                    "reserved_for_primary": reserved,
                    "remaining": reserved - rng.randint(0, reserved) if offset < 7 else reserved,
                },
            )
        beds = daily_total * 2  # a demo department's beds; a quarter for primary care (seed 001)
        for offset in range(14):
            reserved = math.ceil(beds / 4)
            day = maker.today + timedelta(days=offset)
            w.add(
                "bed_pool",
                {
                    # Not from the seeded generator: every record after these keeps its id and values.
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo/bed_pool/{code}/{day.isoformat()}")),
                    "revision": 1,
                    "updated_at": datetime.combine(maker.today - timedelta(days=1), time(7, 30)),
                    "deleted": False,
                    "department_id": department_id,
                    "day": day,
                    "total": beds,
                    "reserved_for_primary": reserved,
                    "remaining": reserved - offset % 3 if offset < 7 else reserved,
                },
            )


def _residents(maker: RecordMaker, count: int) -> list[dict]:
    rng, today = maker.rng, maker.today
    residents = []
    used_ids: set[str] = set()
    for index in range(count):
        sex = rng.choice("12")
        born = people.birth_date(rng, today)
        age = people.age_on(born, today)
        village_code, village = rng.choice(people.VILLAGES)
        name = people.person_name(rng, sex)
        has_id = age >= 1 or rng.random() < 0.5  # some infants are registered before their ID
        id_number = people.citizen_id(rng, born, sex) if has_id else None
        while id_number in used_ids:  # two people born the same day drew the same sequence number
            id_number = people.citizen_id(rng, born, sex)
        if id_number:
            used_ids.add(id_number)
        phone = people.mobile(rng) if age >= 16 and rng.random() < 0.85 else None
        chronic = []
        if age >= 35 and rng.random() < (0.12 if age < 45 else 0.3 if age < 65 else 0.45):
            chronic.append("02")
        if age >= 35 and rng.random() < (0.05 if age < 45 else 0.12 if age < 65 else 0.18):
            chronic.append("03")
        for code, chance in (("04", 0.03), ("05", 0.02), ("07", 0.015), ("08", 0.006), ("09", 0.002)):
            if age >= 40 and rng.random() < chance:
                chronic.append(code)
        tags = []
        if sex == "2" and 20 <= age <= 40 and rng.random() < 0.08:
            tags.append("maternal")
        if rng.random() < 0.03:
            tags.append("disabled")
        if rng.random() < 0.05:
            tags.append("poverty")
        fields = {
            "name": name,
            "sex": sex,
            "birth_date": born,
            "id_type": "01" if has_id else "02",
            "id_number": id_number,
            "phone": phone,
            "ethnicity": "01",
            "address": f"{people.COUNTY_NAME}{people.TOWNSHIP[1]}{village}{rng.randint(1, 8)}组{rng.randint(1, 60)}号",
            "division_code": village_code,
            "division_name": village,
            "division_version": people.DIVISION_VERSION,
            "health_record_no": f"{village_code}{index + 1:05d}",
            "insurance_type": rng.choices(["2", "1", "9"], [88, 9, 3])[0],
            "insurance_no": id_number,
            "emergency_contact": people.person_name(rng, rng.choice("12")),
            "emergency_phone": people.mobile(rng),
            "chronic_conditions": chronic,
            "manual_population_tags": tags,
            "notes": None,
            **resident_search_keys(name, id_number, phone),
        }
        row = maker.record("resident", rng.randint(30, 700), fields)
        residents.append({**row, "_age": age})  # a copy: the written row must not grow a column
    return residents


def _visits(maker: RecordMaker, residents: list[dict], count: int) -> None:
    rng, today = maker.rng, maker.today
    codes = [v[0] for v in catalog.COMMON_VISITS]
    weights = [v[5] for v in catalog.COMMON_VISITS]
    by_code = {v[0]: v for v in catalog.COMMON_VISITS}
    chronic = [r for r in residents if r["chronic_conditions"]] or residents
    span = max(30, min(3 * 365, count // 3))
    for index in range(count):
        resident = rng.choice(chronic) if rng.random() < 0.4 else rng.choice(residents)
        code = (
            "I10" if "02" in resident["chronic_conditions"] and rng.random() < 0.5 else rng.choices(codes, weights)[0]
        )
        _, complaint, treatment, prescription, fee, _ = by_code[code]
        day = today - timedelta(days=0 if index < 6 else rng.randint(0, span))
        sbp = rng.randint(110, 175) if code == "I10" else rng.randint(100, 145)
        maker.record(
            "visit",
            (today - day).days,
            {
                "resident_id": resident["id"],
                "visit_at": at(day, rng),
                "mode": rng.choices(["1", "4", "2", "3"], [80, 10, 7, 3])[0],
                "doctor_id": rng.choice(maker.staff[:2] + maker.staff[3:]),
                "institution_code": "QS0101",
                "village_code": resident["division_code"],
                "chief_complaint": complaint,
                "sbp": sbp,
                "dbp": max(55, sbp - rng.randint(35, 60)),
                "heart_rate": rng.randint(60, 96),
                "temperature_c": round(rng.uniform(36.2, 38.6) if code == "J06.9" else rng.uniform(36.1, 37.1), 1),
                "weight_kg": round(rng.uniform(45, 80), 1),
                "height_cm": None,
                "glucose_mmol": round(rng.uniform(6.5, 11.0), 1) if code == "E11.9" else None,
                "glucose_kind": "fasting" if code == "E11.9" else None,
                "diagnoses": [maker.diagnosis(code)],
                "treatment": treatment,
                "prescription": prescription,
                "fee_fen": fee * 100,
                "referral_flag": False,
                "notes": None,
            },
        )


def _followups(maker: RecordMaker, residents: list[dict]) -> None:
    """Quarterly follow-ups over the last year for managed patients, some of them missed."""
    rng, today = maker.rng, maker.today
    for resident in residents:
        for disease, code in (("hypertension", "02"), ("diabetes", "03")):
            if code not in resident["chronic_conditions"]:
                continue
            previous, day = None, today - timedelta(days=rng.randint(330, 365))
            while day <= today:
                if rng.random() < 0.9:  # one in ten is missed
                    previous = _one_followup(maker, resident, disease, day, previous)
                day += timedelta(days=rng.randint(80, 100))


def _draft(maker: RecordMaker, residents: list[dict]) -> None:
    """The nurse's half-typed visit, as a power cut would leave it (offered to her at her next login)."""
    resident = residents[0]
    maker.writer.add(
        "draft",
        {
            "id": f"visit:new:{resident['id']}",
            "form": "visit",
            "record_id": None,
            "context": {"resident_id": resident["id"]},
            "user_id": maker.staff[1],
            "title": f"就诊记录 {resident['name']}",
            "updated_at": maker.moment(0),
            "data": {"chief_complaint": "咳嗽三天，夜间加重", "sbp": "132", "dbp": "84", "temperature_c": "37.6"},
        },
    )


def _sync_history(maker: RecordMaker) -> None:
    """Last night's end-of-day sync found no network, and a notice the hospital sent earlier."""
    maker.writer.add(
        "sync_run",
        {
            "started_at": maker.moment(1).replace(hour=10, minute=30),
            "trigger": "cli",
            "outcome": "offline",
            "finished_at": maker.moment(1).replace(hour=10, minute=31),
            "pushed": 0,
            "accepted": 0,
            "duplicate": 0,
            "rejected": 0,
            "conflict": 0,
            "pulled": 0,
            "resent": 0,
            "confirmed_counts": {},
            "today_counts": {},
            "conflicts": {},
            "epoch": None,
            "error_message": "连接被拒绝：医院服务器没有应答，稍后会自动重试",
        },
    )
    maker.writer.add(
        "broadcast",
        {
            "id": maker.writer.new_id(),
            "revision": 1,
            "updated_at": maker.moment(18),
            "deleted": False,
            "title": "冬季流感防控提醒",
            "received_at": maker.moment(18),
            "body": "请各村卫生室做好发热病人登记，重点人群优先接种流感疫苗。",
        },
    )


def _one_followup(maker: RecordMaker, resident: dict, disease: str, day: date, previous: str | None) -> str:
    rng = maker.rng
    sbp = int(rng.gauss(138, 14))
    dbp = max(55, min(sbp - 25, int(rng.gauss(86, 8))))
    if disease == "hypertension":
        assessment = classify_hypertension(
            BloodPressure(sbp, dbp), previous, resident["_age"], "none", False, [], on=day
        )
        extra = {}
    else:
        fasting = round(max(4.2, rng.gauss(7.4, 1.6)), 1)
        assessment = classify_diabetes(
            DiabetesReading(fasting, blood_pressure=BloodPressure(sbp, dbp)), previous, "none", False, [], on=day
        )
        extra = {
            "fasting_glucose": fasting,
            "staple_food_g": rng.choice([250, 300, 350, 400]),
            "dorsalis_pedis": "normal",
            "hypoglycemia": "none",
            "hba1c": round(rng.uniform(6.2, 9.0), 1) if rng.random() < 0.3 else None,
        }
    weight = round(rng.uniform(50, 82), 1)
    maker.record(
        "followup",
        (maker.today - day).days,
        {
            "resident_id": resident["id"],
            "disease": disease,
            "followup_date": day,
            "mode": rng.choices(["1", "2", "3"], [70, 20, 10])[0],
            "doctor_id": maker.staff[0],
            "institution_code": "QS0101",
            "village_code": resident["division_code"],
            "symptoms": ["1"] if rng.random() < 0.7 else [rng.choice(["2", "4", "6", "8"])],
            "sbp": sbp,
            "dbp": dbp,
            "weight_kg": weight,
            "weight_target_kg": round(weight - 2, 1),
            "height_cm": 160.0,
            "bmi": round(weight / 1.6**2, 1),
            "heart_rate": rng.randint(62, 92),
            "cigarettes_per_day": rng.choice([0, 0, 0, 5, 10]),
            "alcohol_ml_per_day": rng.choice([0, 0, 50, 100]),
            "exercise_times_per_week": rng.randint(0, 7),
            "exercise_minutes": rng.choice([0, 20, 30, 60]),
            "salt_intake": rng.choice(["light", "moderate", "heavy"]),
            "psych_adjustment": "good",
            "compliance": rng.choice(["good", "fair"]),
            "adherence": rng.choices(["regular", "intermittent", "none"], [75, 20, 5])[0],
            "adverse_reaction": None,
            "classification": assessment.classification.value,
            "suggested_classification": assessment.classification.value,
            "medications": [
                {
                    "name": "苯磺酸氨氯地平片" if disease == "hypertension" else "二甲双胍片",
                    "times_per_day": 1 if disease == "hypertension" else 3,
                    "dose": "5mg" if disease == "hypertension" else "0.5g",
                }
            ],
            "referral_reason": "控制不满意，建议上级医院调整用药" if assessment.recommend_referral else None,
            "next_date": assessment.next_due,
            **extra,
        },
    )
    return assessment.classification.value
