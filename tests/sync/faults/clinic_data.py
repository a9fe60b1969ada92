"""A clinic database full of pending records, written through the data layer as the app writes them.

Used by the fault tests (a few thousand records) and by ``bench/sync.py`` (10,000). Every record
kind here is one the hub accepts, so a sync that worked leaves the outbox empty; some records are
edited (revision > 1) and some are tombstones, so revisions and deletions are exercised too.
"""

from __future__ import annotations

import random
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

CLINIC_CODE = "QS0101"
CLINIC_NAME = "石桥镇青石村卫生室"

COMPLAINTS = ("头晕三天，伴乏力", "咳嗽咳痰一周", "血压控制欠佳，复诊取药", "发热一天，体温38.2℃", "腰痛两月余")
DIAGNOSES = (("I10", "原发性高血压"), ("E11.9", "2型糖尿病"), ("J06.9", "急性上呼吸道感染"), ("M54.5", "腰痛"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def build_clinic_db(path: Path, records: int, *, seed: int = 4) -> dict[str, int]:
    """Create ``path`` at the current schema with about ``records`` synced records, all pending.

    Roughly 1 resident : 3 visits : 1 follow-up, plus one staff member; every 17th record is then
    edited and every 53rd visit is tombstoned. Returns the number of records per sync kind.
    """
    from clinic_tui.data import records as record_writes
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.models import AppSetting, Clinic, Followup, Resident, Staff, Visit

    rng = random.Random(seed)
    opened = open_database(path)
    engine = opened.engine
    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    written: list = []
    try:
        with unit_of_work(engine) as session:
            clinic = Clinic(code=CLINIC_CODE, name=CLINIC_NAME, level="village")
            session.add(clinic)
            session.add(AppSetting(key="clinic_id", value=clinic.id))
            session.flush()
            doctor = record_writes.create(
                session, Staff(clinic_id=clinic.id, name="李建国", role="village_doctor"), None
            )
            written.append(doctor)
        residents = max(1, records // 5)
        made = 1
        # Several transactions, as a clinic's day is many user actions (and one huge one is slow).
        for start in range(0, residents, 200):
            with unit_of_work(engine) as session:
                for n in range(start, min(start + 200, residents)):
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                    conditions = rng.choice(([], ["02"], ["03"], ["02", "03"]))
                    resident = record_writes.create(
                        session,
                        Resident(
                            clinic_id=clinic.id,
                            name=name,
                            sex=rng.choice("12"),
                            birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(25000)),
                            phone=f"138{rng.randrange(10**8):08d}",
                            address=f"青石村{rng.randrange(1, 12)}组{n}号",
                            chronic_conditions=conditions,
                        ),
                        doctor.id,
                    )
                    written.append(resident)
                    made += 1
                    for _ in range(3):
                        if made >= records:
                            break
                        code, diagnosis = rng.choice(DIAGNOSES)
                        visit = record_writes.create(
                            session,
                            Visit(
                                clinic_id=clinic.id,
                                resident_id=resident.id,
                                doctor_id=doctor.id,
                                visit_at=now - timedelta(minutes=rng.randrange(500000)),
                                mode="1",
                                chief_complaint=rng.choice(COMPLAINTS),
                                sbp=rng.randrange(110, 180),
                                dbp=rng.randrange(65, 110),
                                heart_rate=rng.randrange(60, 100),
                                diagnoses=[{"code": code, "name": diagnosis, "system": "ICD-10", "version": "2019"}],
                                treatment="氨氯地平片 5mg 每日一次",
                                fee_fen=rng.randrange(500, 5000),
                                institution_code=CLINIC_CODE,
                            ),
                            doctor.id,
                        )
                        written.append(visit)
                        made += 1
                    if made < records:
                        followup = record_writes.create(
                            session,
                            Followup(
                                clinic_id=clinic.id,
                                resident_id=resident.id,
                                doctor_id=doctor.id,
                                disease=rng.choice(("hypertension", "diabetes")),
                                followup_date=date(2026, 11, 20) - timedelta(days=rng.randrange(300)),
                                sbp=rng.randrange(110, 180),
                                dbp=rng.randrange(65, 110),
                                classification=rng.choice("12"),
                            ),
                            doctor.id,
                        )
                        written.append(followup)
                        made += 1
        with unit_of_work(engine) as session:
            for n, record in enumerate(written):
                record = session.merge(record)
                if isinstance(record, Visit) and n % 53 == 0:
                    record_writes.tombstone(session, record, doctor.id)
                elif n % 17 == 0 and not isinstance(record, Staff):
                    record_writes.update(session, record, {"updated_at": record.updated_at} | _edit(record), doctor.id)
    finally:
        engine.dispose()
    return count_by_kind(path)


def _edit(record) -> dict:
    from clinic_tui.data.models import Followup, Resident, Visit

    if isinstance(record, Resident):
        return {"notes": "已复核住址"}
    if isinstance(record, Visit):
        return {"notes": "补记：嘱低盐饮食"}
    if isinstance(record, Followup):
        return {"other_signs": "双下肢无水肿"}
    return {}


def count_by_kind(path: Path) -> dict[str, int]:
    import sqlite3

    from clinic_tui.data.models import SYNCED_KINDS

    with sqlite3.connect(path) as conn:
        counts = {
            kind: conn.execute(f'SELECT count(*) FROM "{model.__tablename__}"').fetchone()[0]
            for kind, model in SYNCED_KINDS.items()
        }
    return {kind: n for kind, n in counts.items() if n}


def copy_clinic_db(template: Path, target: Path) -> Path:
    """A copy of a (checkpointed) template database: cheaper than building one per test."""
    shutil.copyfile(template, target)
    return target
