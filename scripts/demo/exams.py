"""The lead hospital's reserved examination pools (issue 18, 检查预约) of the next two weeks, as the
last pull brought them, so the demo's booking form (Ctrl+U on a resident's page) lists free days.

No booking: a demo copy synced with a fresh hub (the README's quick start, the sync tests) resends
everything it holds, and a hub that has opened no pool refuses every booking (`no_exam_slots_left`),
so a booked demo would fail its first sync. The booking screens are tested on their own bookings
(tests/app/exam_list_world.py, tests/sync/test_exam_e2e.py).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, time, timedelta
from random import Random

from clinic_tui.domain import exam

from .records import RecordMaker

POOL_ITEMS = ("CT_HEAD", "CT_CHEST", "US_ABD", "GASTRO", "DR_CHEST")


def add_exam_pools(maker: RecordMaker, seed: int) -> None:
    """Each pooled examination's slots of the next 14 days, a third reserved for primary care."""
    rng = Random(seed)  # a generator of its own: every other row of the demo stays as it was
    for code in POOL_ITEMS:
        for offset in range(14):
            day = maker.today + timedelta(days=offset)
            total = 12 if code.startswith("CT") or code == "DR_CHEST" else 8
            reserved = math.ceil(total / 3)
            maker.writer.add(
                "exam_pool",
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo/exam_pool/{code}/{day.isoformat()}")),
                    "revision": 1,
                    "updated_at": datetime.combine(maker.today - timedelta(days=1), time(7, 30)),
                    "deleted": False,
                    "item_code": code,
                    "item_name": exam.item_name(code),
                    "day": day,
                    "total": total,
                    "reserved_for_primary": reserved,
                    "remaining": reserved - rng.randint(0, reserved) if offset < 7 else reserved,
                },
            )
