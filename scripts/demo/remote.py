"""Remote consultations and reads (issue 18): one request in each of the states a clinic sees.

Written with a random generator of their own, so adding them changed no other row of the demo
(the snapshots of the other screens stay as they were). All are confirmed by the hub (no outbox
row) and no critical value waits: the header and the dashboard look as before; the request list
and the resident's timeline show them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from random import Random

from clinic_tui.domain.remote import make_request_number, transition

from .records import RecordMaker

DEPARTMENT = "0301"
# The ECG read went with its tracing (a PDF the hub has received whole); the file itself is not in
# the demo (a demo copy has no attachment folder), only what the database knows of it.
TRACING = {
    "sha256": hashlib.sha256(b"clinic-tui demo: 12-lead ECG tracing").hexdigest(),
    "size": 186_412,
    "media_type": "application/pdf",
    "name": "心电图-12导联.pdf",
}
# (service, urgency, days ago, the hospital's moves, clinic status, read, critical)
REQUESTS = (
    ("ecg", "urgent", 12, ("accepted", "reported"), "requested", True, True),
    ("imaging_dr", "routine", 20, ("accepted", "reported"), "requested", True, False),
    ("consult_video", "routine", 6, ("accepted", "scheduled"), "requested", False, False),
    ("consult_async", "routine", 3, (), "requested", False, False),
    ("imaging_us", "routine", 9, (), "withdrawn", False, False),
)
QUESTIONS = {
    "ecg": "胸闷 1 小时，心电图 ST 段改变？请判读。",
    "imaging_dr": "咳嗽 3 周，胸片请判读。",
    "consult_video": "血压控制不佳，已用三种降压药，请调整方案。",
    "consult_async": "血糖波动大，胰岛素剂量如何调整？",
    "imaging_us": "右上腹痛，B超请判读。",
}


def add_remote_requests(maker: RecordMaker, residents: list[dict], seed: int) -> None:
    main_rng, writer_rng = maker.rng, maker.writer.rng
    maker.rng = maker.writer.rng = Random(seed)
    try:
        adults = [r for r in residents if r["_age"] >= 40]
        arrival = 0
        for service, urgency, days_ago, moves, clinic_status, read, critical in REQUESTS:
            resident = maker.rng.choice(adults)
            day = maker.today - timedelta(days=days_ago)
            asked = maker.moment(days_ago)
            request = maker.record(
                "remote_request",
                days_ago,
                {
                    "request_no": make_request_number("QS0101", day, 1),
                    "service": service,
                    "urgency": urgency,
                    "status": clinic_status,
                    "resident_id": resident["id"],
                    "patient_name": resident["name"],
                    "patient_sex": resident["sex"],
                    "patient_birth_date": resident["birth_date"],
                    "patient_id_type": resident["id_type"],
                    "patient_id_number": resident["id_number"],
                    "patient_phone": resident["phone"],
                    "requested_at": asked,
                    "requesting_doctor": "李建国",
                    "department_wished": DEPARTMENT if service.startswith("consult") else None,
                    "expert_wished": None,
                    "time_wished": None,
                    "question": QUESTIONS[service],
                    "chief_complaint": QUESTIONS[service].split("，")[0],
                    "present_illness": "",
                    "history": "高血压病史" if "02" in resident["chronic_conditions"] else "",
                    "findings": "BP 158/96 mmHg; HR 92/min",
                    "preliminary_diagnoses": [],
                    "consent": True,
                    "source_kind": None,
                    "source_id": None,
                    "report_read_at": asked + timedelta(days=1) if read else None,
                    "report_read_by": "李建国" if read else None,
                    "critical_ack_at": asked + timedelta(hours=2) if critical else None,
                    "critical_ack_by": "李建国" if critical else None,
                    "attachments": [TRACING] if service == "ecg" else [],
                    "_at": asked,
                    "_author": maker.staff[0],
                },
                synced=True,
            )
            if service == "ecg":
                maker.writer.add(
                    "attachment_file",
                    {
                        "sha256": TRACING["sha256"],
                        "size": TRACING["size"],
                        "media_type": TRACING["media_type"],
                        "chunks_total": 1,
                        "chunks_sent": 1,
                        "complete": True,
                        "problem": None,
                        "added_at": asked,
                        "updated_at": asked + timedelta(minutes=20),
                    },
                )
            before = "requested"
            for step, move in enumerate(moves, 1):
                transition(before, move, "hospital")  # the demo never shows an illegal history
                arrival += 1
                at = asked + timedelta(hours=step)
                reported = move == "reported"
                maker.writer.add(
                    "remote_event",
                    {
                        "id": maker.writer.new_id(),
                        "revision": 1,
                        "updated_at": at,
                        "deleted": False,
                        "arrival": arrival,
                        "request_id": request["id"],
                        "request_no": request["request_no"],
                        "from_status": before,
                        "to_status": move,
                        "actor": "hospital",
                        "actor_name": "远程医学中心 王护士",
                        "at": at,
                        "reason": None,
                        "scheduled_at": at + timedelta(days=2) if move == "scheduled" else None,
                        "expert": "心内科 陈主任" if move == "scheduled" else None,
                        "findings": "窦性心律，II、III、aVF 导联 ST 段抬高 0.2 mV"
                        if reported and critical
                        else ("双肺纹理增粗" if reported else None),
                        "conclusion": "急性下壁心肌梗死可能"
                        if reported and critical
                        else ("支气管炎表现" if reported else None),
                        "advice": "立即转诊，启动胸痛中心绿色通道"
                        if reported and critical
                        else ("对症治疗，2 周后复查" if reported else None),
                        "reporting_doctor": "心电诊断中心 赵医生" if reported else None,
                        "reviewing_doctor": "陈主任" if reported else None,
                        "signed_at": at if reported else None,
                        "critical": reported and critical,
                        "critical_note": "ST 段抬高" if reported and critical else None,
                        "service_item_code": "310701" if reported else None,
                        "fee": "20.00" if reported else None,
                        "received_at": at,
                    },
                )
                before = move
    finally:
        maker.rng, maker.writer.rng = main_rng, writer_rng
