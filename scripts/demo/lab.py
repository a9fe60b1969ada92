"""Lab orders sent to the lead hospital's lab (issue 18, tests at the lead hospital): one order in
each state a clinic sees.

Written with a random generator of their own, after the remote requests, so adding them changed
no other row of the demo (the snapshots of the other screens stay as they were). All are confirmed
by the hub (no outbox row) and the one critical value is acknowledged: the header and the dashboard
look as before; the resident's timeline and the lab list show them.
"""

from __future__ import annotations

from datetime import timedelta
from random import Random

from clinic_tui.domain import lab
from clinic_tui.domain.lab import make_order_number, transition

from .records import RecordMaker

INSTITUTION = "县人民医院检验科"
# (tests with values, priority, days ago, the lab's moves, critical, reason of a rejection)
ORDERS = (
    (
        (("K", "6.6"), ("NA", "136"), ("CREA", "142"), ("UREA", "9.1")),
        "urgent",
        10,
        ("received", "reported"),
        True,
        None,
    ),
    ((("GLU", "8.4"), ("ALT", "35")), "routine", 15, ("received", "reported"), False, None),
    ((("TC", "5.9"), ("TG", "2.1"), ("LDLC", "3.8"), ("HDLC", "1.1")), "routine", 4, ("received",), False, None),
    ((("ALT", ""), ("AST", "")), "routine", 2, (), False, None),
    ((("WBC", ""), ("HGB", ""), ("PLT", "")), "routine", 5, ("rejected",), False, "标本凝固"),
)


def add_lab_orders(maker: RecordMaker, residents: list[dict], seed: int) -> None:
    main_rng, writer_rng = maker.rng, maker.writer.rng
    maker.rng = maker.writer.rng = Random(seed)
    catalogue = lab.catalogue()
    try:
        adults = [r for r in residents if r["_age"] >= 40]
        arrival = 0
        for tests, priority, days_ago, moves, critical, reason in ORDERS:
            resident = maker.rng.choice(adults)
            day = maker.today - timedelta(days=days_ago)
            ordered = maker.moment(days_ago)
            specimen = catalogue[tests[0][0]].specimen
            # The lab's events' ids first: the order names the one whose critical alert was acknowledged.
            event_ids = [maker.writer.new_id() for _move in moves]
            alert_id = next((i for i, m in zip(event_ids, moves, strict=True) if m == "reported"), None)
            order = maker.record(
                "lab_order",
                days_ago,
                {
                    "order_no": make_order_number("QS0101", day, 1),
                    "status": "sent",
                    "items": [{"code": code, "name": catalogue[code].name} for code, _value in tests],
                    "specimen": specimen,
                    "priority": priority,
                    "fasting": specimen == "serum",
                    "clinical_diagnosis": "高血压" if "02" in resident["chronic_conditions"] else "体检",
                    "resident_id": resident["id"],
                    "patient_name": resident["name"],
                    "patient_sex": resident["sex"],
                    "patient_birth_date": resident["birth_date"],
                    "patient_id_number": resident["id_number"],
                    "ordered_at": ordered,
                    "ordering_doctor": "李建国",
                    "attempt": 1,
                    "collected_at": ordered,
                    "collected_by": "李建国",
                    "barcode": f"QS{day:%m%d}{days_ago:04d}",
                    "sent_at": ordered,
                    "critical_ack_at": ordered + timedelta(hours=6) if critical else None,
                    "critical_ack_by": "李建国" if critical else None,
                    "critical_ack_event": alert_id if critical else None,
                    "_at": ordered,
                    "_author": maker.staff[0],
                },
                synced=True,
            )
            problems = lab.sending_problems(order)
            assert not problems, problems  # the demo's orders are ones the hub takes
            before = "sent"
            for step, move in enumerate(moves, 1):
                transition(before, move, "hospital", reason)  # the demo never shows an illegal history
                arrival += 1
                at = ordered + timedelta(hours=2 * step)
                reported = move == "reported"
                results = [
                    {
                        "code": code,
                        "name": catalogue[code].name,
                        "value": value,
                        "unit": catalogue[code].unit,
                        "reference_range": catalogue[code].reference_range,
                        "flag": lab.item_flag(code, value).value,
                        "method": None,
                    }
                    for code, value in tests
                ]
                maker.writer.add(
                    "lab_event",
                    {
                        "id": event_ids[step - 1],
                        "revision": 1,
                        "updated_at": at,
                        "deleted": False,
                        "arrival": arrival,
                        "order_id": order["id"],
                        "order_no": order["order_no"],
                        "attempt": 1,
                        "from_status": before,
                        "to_status": move,
                        "actor_name": "检验科 张护士",
                        "at": at,
                        "reason": reason if move == "rejected" else None,
                        "results": results if reported else [],
                        "reporter": "检验科 张护士" if reported else None,
                        "reviewer": "检验科 赵主任" if reported else None,
                        "reported_at": at if reported else None,
                        "institution": INSTITUTION if reported else None,
                        "recognised": reported,
                        "critical": reported and lab.has_critical(results),
                        "alert": reported and lab.has_critical(results),  # a report raises the alert
                        "partial": False,
                        "pending": [],
                        "correction": None,
                        "received_at": at,
                    },
                )
                before = move
    finally:
        maker.rng, maker.writer.rng = main_rng, writer_rng
