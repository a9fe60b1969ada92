"""The desk's pool page (/desk/pools) and inpatient booking on the web desk, over real HTTP on
SQLite and PostgreSQL: the numbers shown, the admin's totals for a range of days (published to the
clinics), the roles and the CSRF token checked on the server, the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clinic_hub import directory

from .conftest import make_referral, pull_all, push
from .web_support import DeskClient, add_staff, audit_actions, referral_status

pytestmark = pytest.mark.usefixtures("cheap_passwords")
CELL = re.compile(r"<td[^>]*>([^<]*)</td>")


def _signed_in(hub, role: str) -> DeskClient:
    staff_id, login = add_staff(hub.engine, role)
    client = DeskClient(hub.base_url)
    client.sign_in(login)
    client.staff_id = staff_id
    return client


def _table(html: str, department: str) -> dict[tuple[str, str], list[str]]:
    """The department's table: (slots|beds, measure label) -> the 14 cells."""
    start = html.index(f"({department})</caption>")
    body = html[start : html.index("</table>", start)]
    rows = {}
    for kind, line in re.findall(r'<tr class="(slots|beds)">(.*?)</tr>', body, re.S):
        label = re.findall(r'<th scope="row">([^<]*)</th>', line)[0]
        rows[(kind, label)] = [cell.strip() for cell in CELL.findall(line)]
    return rows


def _bed_days(hub, department: str) -> int:
    with hub.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM bed_pool WHERE department_code = :d")
        return conn.execute(query, {"d": department}).scalar_one()


def test_the_page_shows_each_departments_slots_and_beds_for_14_days(hub):
    department = hub.new_department(daily_slots=9, beds=8)
    today = directory.today_in_china()
    with hub.engine.begin() as conn:
        directory.set_slots(conn, department, today, 9)
        directory.set_beds(conn, department, today, 8)
        directory.set_beds(conn, department, today + timedelta(days=13), 4, reserved=1)
        directory.take_bed(conn, department, today, over_quota=False)
        directory.take_bed(conn, department, today + timedelta(days=13), over_quota=False)
        directory.take_bed(conn, department, today + timedelta(days=13), over_quota=True)
    nurse = _signed_in(hub, "desk")
    page = nurse.get("/desk/pools")
    assert page.status_code == 200
    assert "号源与床位" in page.text and "设置科室号源或床位" not in page.text  # the desk reads, never sets
    table = _table(page.text, department)
    assert table[("slots", "总数")][0] == "9" and table[("slots", "基层预留")][0] == "3"
    assert table[("slots", "剩余")][:2] == ["3", ""]  # a day never opened is blank
    assert [table[("beds", m)][0] for m in ("总数", "基层预留", "已用", "剩余")] == ["8", "2", "1", "1"]
    assert [table[("beds", m)][13] for m in ("总数", "基层预留", "已用", "剩余")] == ["4", "1", "1 +1", "0"]
    assert len(table[("beds", "剩余")]) == 14
    assert 'class="num full">0<' in page.text
    actions = audit_actions(hub.engine, nurse.staff_id)
    assert actions[-1][:2] == ("web.pools", 200) and department in actions[-1][2]
    nurse.http.cookies.set("desk_lang", "en", domain="127.0.0.1", path="/desk")
    english = nurse.get("/desk/pools")
    assert "Slot and bed pools" in english.text and _table(english.text, department)[("beds", "Left")][0] == "1"
    nurse.close()


def test_the_admin_sets_a_range_of_days_and_the_clinics_pull_it(hub):
    department = hub.new_department(beds=8)
    code, token = hub.new_clinic()
    admin = _signed_in(hub, "admin")
    today = directory.today_in_china()
    first, last = today + timedelta(days=1), today + timedelta(days=3)
    assert "设置科室号源或床位" in admin.get("/desk/pools").text
    cursor = hub.cursor_now()
    form = {"department": department, "kind": "beds", "first": first.isoformat(), "last": last.isoformat()}
    saved = admin.post("/desk/pools", {**form, "total": "10"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/desk/pools?saved=3&department={department}"
    shown = admin.get(saved.headers["location"])
    assert f"已保存 {department} 的 3 天" in shown.text
    beds = _table(shown.text, department)
    assert beds[("beds", "总数")][:5] == ["", "10", "10", "10", ""]
    assert beds[("beds", "基层预留")][1:4] == ["3", "3", "3"]  # a quarter of 10, rounded up
    slots = admin.post("/desk/pools", {**form, "kind": "slots", "total": "30", "reserved": "12", "last": form["first"]})
    assert slots.status_code == 303
    with hub.client(token) as clinic:
        changes, _ = pull_all(clinic, cursor)
    pulled = {
        (c["kind"], c["data"]["day"]): c["data"] for c in changes if c["data"].get("department_code") == department
    }
    assert {day for kind, day in pulled if kind == "bed_pool"} == {
        first.isoformat(),
        (first + timedelta(days=1)).isoformat(),
        last.isoformat(),
    }
    assert pulled[("bed_pool", last.isoformat())]["reserved_for_primary"] == 3
    assert (
        pulled[("slot_pool", first.isoformat())]["total"],
        pulled[("slot_pool", first.isoformat())]["remaining"],
    ) == (30, 12)
    sets = [a for a in audit_actions(hub.engine, admin.staff_id) if a[0] == "web.pools.set"]
    assert [(status, len(ids)) for _a, status, ids in sets] == [(200, 3), (200, 1)]
    assert directory.pool_id(directory.BEDS, department, first) in sets[0][2]
    admin.close()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"reserved": "11"}, "基层预留数不能超过总数"),
        ({"total": "ten"}, "总数须为 0 到 10000 之间的整数"),
        ({"total": "-1"}, "总数须为 0 到 10000 之间的整数"),
        ({"last": "2020-01-01"}, "截止日期早于起始日期"),
        ({"first": "tomorrow"}, "请填写起始日期和截止日期"),
        ({"department": "NOPE"}, "没有科室 NOPE"),
        ({"kind": "chairs"}, "请选择门诊号源或住院床位"),
        ({"last": "2099-01-01"}, "一次最多设置 92 天"),
    ],
)
def test_bad_totals_are_refused_with_a_reason_and_change_nothing(hub, change, says):
    department = hub.new_department(beds=8)
    admin = _signed_in(hub, "admin")
    today = directory.today_in_china()
    form = {"department": department, "kind": "beds", "first": today.isoformat(), "last": today.isoformat()}
    answer = admin.post("/desk/pools", {**form, "total": "10", **change})
    assert answer.status_code == 422 and says in answer.text
    assert 'role="alert"' in answer.text
    assert _bed_days(hub, department) == 0
    assert audit_actions(hub.engine, admin.staff_id)[-1][:2] == ("web.pools.set", 422)
    admin.close()


def test_only_an_admin_with_the_sessions_token_sets_totals(hub):
    department = hub.new_department(beds=8)
    today = directory.today_in_china().isoformat()
    form = {"department": department, "kind": "beds", "first": today, "last": today, "total": "40"}
    nurse, doctor, viewer, admin = (_signed_in(hub, role) for role in ("desk", "doctor", "viewer", "admin"))
    assert nurse.post("/desk/pools", form).status_code == 403
    for reader in (doctor, viewer):
        assert reader.get("/desk/pools").status_code == 403
        assert reader.post("/desk/pools", form).status_code == 403
    for token in (None, "wrong", nurse.csrf):
        refused = admin.post("/desk/pools", form, csrf=token)
        assert refused.status_code == 403 and "表单已失效" in refused.text
    assert DeskClient(hub.base_url).post("/desk/pools", form, csrf=None).status_code == 401
    assert _bed_days(hub, department) == 0
    assert admin.post("/desk/pools", form).status_code == 303
    for client in (nurse, doctor, viewer, admin):
        client.close()


def test_the_web_desk_books_a_bed_for_an_inpatient_referral(hub):
    department = hub.new_department(daily_slots=9, beds=4)  # one reserved bed a day
    code, token = hub.new_clinic()
    inpatient, outpatient = make_referral(code, purpose="inpatient"), make_referral(code)
    with hub.client(token) as clinic:
        assert {r["status"] for r in push(clinic, [inpatient, outpatient]).json()["results"]} == {"accepted"}
    number = inpatient["data"]["referral_no"]
    nurse = _signed_in(hub, "desk")
    page = nurse.get(f"/desk/referrals/{number}")
    assert re.search(r'value="inpatient" checked', page.text) and "基层预留床位剩余" in page.text
    assert "转出机构申请：住院" in page.text
    assert re.search(
        r'value="outpatient" checked', nurse.get(f"/desk/referrals/{outpatient['data']['referral_no']}").text
    )
    day = directory.today_in_china() + timedelta(days=1)
    form = {"department": department, "date": day.isoformat(), "time": "08:00", "booking": "inpatient"}
    booked = nurse.post(f"/desk/referrals/{number}/accept", form)
    assert booked.status_code == 303 and booked.headers["location"].endswith("?done=admitted")
    assert "已接收并预约床位" in nurse.get(booked.headers["location"]).text
    assert referral_status(hub.engine, number) == "accepted"
    other = outpatient["data"]["referral_no"]
    full = nurse.post(f"/desk/referrals/{other}/accept", form)  # the desk books a bed for it: none left
    assert full.status_code == 409 and "基层预留床位已用完" in full.text
    with hub.engine.connect() as conn:
        used = conn.execute(
            sa.text("SELECT used, over_quota FROM bed_pool WHERE department_code = :d AND day = :day"),
            {"d": department, "day": day},
        ).one()
        slots = conn.execute(sa.text("SELECT count(*) FROM slot_pool WHERE department_code = :d"), {"d": department})
        assert slots.scalar() == 0
    assert tuple(used) == (1, 0)
    bad = nurse.post(f"/desk/referrals/{other}/accept", {**form, "booking": "ward"})
    assert bad.status_code == 422
    assert [a[1] for a in audit_actions(hub.engine, nurse.staff_id) if a[0] == "web.accept"] == [200, 409]
    nurse.close()


def test_the_indicators_page_shows_reserved_bed_use(hub):
    department = hub.new_department(beds=4)
    today = directory.today_in_china()
    with hub.engine.begin() as conn:
        directory.set_beds(conn, department, today, 4)
        directory.take_bed(conn, department, today, over_quota=False)
    viewer = _signed_in(hub, "viewer")
    page = viewer.get(f"/desk/indicators?month={today:%Y-%m}")
    assert page.status_code == 200 and "基层预留床位使用率" in page.text
    assert f'data-key="beds.{department}.used"' in page.text
    exported = viewer.get(f"/desk/indicators.csv?month={today:%Y-%m}").content.decode("utf-8-sig")
    assert any(
        line.startswith(f"{today:%Y-%m},{department},") and "基层预留床位使用率" in line
        for line in exported.splitlines()
    )
    viewer.close()
