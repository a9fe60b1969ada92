"""The lab desk's pages for results reported in parts and corrected (更正报告), over real HTTP on
SQLite and PostgreSQL, in both languages: the second button sends the tests filled and keeps the
order received with what is still to come; the last part reports it; a correction needs its
reason, shows the earlier value struck through beside the corrected one, who and why, and puts
the order back on the critical list when it makes a value critical."""

from __future__ import annotations

import pytest

from clinic_hub import lab_desk

from .conftest import pull_all
from .test_web_lab import _send, _staff, _status, clinic  # noqa: F401 (clinic: a fixture)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def test_a_partial_report_then_the_rest_then_a_correction(hub, clinic):  # noqa: F811
    number, _record = _send(clinic)
    cursor = hub.cursor_now()
    nurse = _staff(hub, "desk")
    assert nurse.post(f"/desk/lab/{number}/receive", {"status": "sent"}).status_code == 303
    nothing = nurse.post(f"/desk/lab/{number}/results", {"status": "received", "partial": "1"})
    assert nothing.status_code == 422 and "至少填写一个项目" in nothing.text
    part = nurse.post(f"/desk/lab/{number}/results", {"status": "received", "value_K": "4.2", "partial": "1"})
    assert part.status_code == 303 and _status(hub, number) == "received"
    page = nurse.get(part.headers["location"]).text
    assert "已发送这些结果" in page and "部分报告，尚待报告：血钠、肌酐" in page
    assert 'id="value_NA"' in page and 'id="value_K"' not in page  # only what is still to come
    assert "部分报告" in nurse.get("/desk/lab?tab=received").text
    rest = nurse.post(f"/desk/lab/{number}/results", {"status": "received", "value_NA": "139", "value_CREA": "80"})
    assert rest.status_code == 303 and _status(hub, number) == "reported"
    blank = nurse.post(f"/desk/lab/{number}/correct", {"status": "reported", "code": "NA", "value": "119"})
    assert blank.status_code == 422 and "更正原因" in blank.text and 'value="119"' in blank.text
    fixed = nurse.post(
        f"/desk/lab/{number}/correct",
        {"status": "reported", "code": "NA", "value": "119", "correction_reason": "录入错误"},
    )
    assert fixed.status_code == 303
    shown = nurse.get(fixed.headers["location"]).text
    assert "更正已发送" in shown and "<del>139</del>" in shown and "录入错误" in shown and "已更正" in shown
    assert "已再次提醒开单机构" in shown and nurse.name in shown.split('id="corrections"')[1]
    assert number in nurse.get("/desk/lab").text.split("</section>")[0]  # on the critical list
    assert nurse.get("/desk/language/en").status_code == 303
    english = nurse.get(f"/desk/lab/{number}").text
    assert "Corrections" in english and "Earlier result" in english and "Correct a result" in english
    _code, client = clinic
    changes, _ = pull_all(client, cursor)
    events = [c["data"] for c in changes if c["kind"] == "lab_event" and c["data"]["order_no"] == number]
    assert [(e["to_status"], e.get("partial"), bool(e.get("correction"))) for e in events] == [
        ("received", None, False),
        ("received", True, False),
        ("reported", False, False),
        ("reported", False, True),
    ]
    with hub.engine.connect() as conn:
        assert [c.previous_value for c in lab_desk.get_order(conn, number).corrections] == ["139"]
    nurse.close()
