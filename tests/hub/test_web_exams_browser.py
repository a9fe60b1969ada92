"""Examination bookings (检查预约, issue 18) in a real browser (Playwright on Debian's chromium): an
administrator opens an examination's slots on the pools page; a clinic pushes a booking into them
(as a clinic's sync does); a desk doctor opens /desk/exams, finds it in the week's queue, confirms
it, tries to move it to a full day without a reason and is told why not in words, marks it examined
and signs a report with a critical finding, which the page and the queue's critical list show.
The indicators page counts the report in the examinations' turnaround. Screenshots 18-exam-pools,
18-exam-queue, 18-exam-refused, 18-exam-report and 18-exam-turnaround."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from clinic_hub import accounts, directory, exam_desk, exam_pools

from .conftest import push
from .exam_support import make_booking
from .test_web_browser import VIEWPORT, _shot, browser, hub  # noqa: F401 (fixtures)
from .web_support import PASSWORD, add_staff

pytestmark = pytest.mark.slow


def _sign_in(browser, hub, login: str, target: str):  # noqa: F811
    page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    page.goto(f"{hub.base_url}/desk/login?next={target}")
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(re.escape(target)))
    return page


def test_the_desk_books_examines_and_reports_an_examination_in_the_browser(hub, browser):  # noqa: F811
    from playwright.sync_api import expect

    day, full = exam_desk.today() + timedelta(days=1), exam_desk.today() + timedelta(days=2)
    _admin_id, admin_login = add_staff(hub.engine, "admin", name="信息科赵管理员")
    admin = _sign_in(browser, hub, admin_login, "/desk/pools")
    admin.locator("#item").select_option("US_ABD")
    admin.locator("#exam-first").fill(day.isoformat())
    admin.locator("#exam-last").fill(day.isoformat())
    admin.locator("#exam-total").fill("6")
    admin.locator("form[action$='/pools/exams'] button[type=submit]").click()
    expect(admin.get_by_role("status")).to_contain_text("已保存 腹部超声 的 1 天")
    with hub.engine.connect() as conn:
        opened = exam_pools.pools(conn, day, 1)[("US_ABD", day)]
    assert opened.total == 6 and opened.reserved == 2  # a third by default
    table = admin.locator("table.pools", has=admin.locator("caption", has_text="腹部超声 (US_ABD)"))
    expect(table.locator("tbody tr").first).to_contain_text("6")  # the total of the opened day
    table.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 260)")
    _shot(admin, "18-exam-pools")

    with hub.engine.begin() as conn:
        directory.set_hospital(conn, "H01", "县人民医院")
        exam_pools.set_pool(conn, "US_ABD", full, 1, 0)  # that day nothing is reserved for the clinics
        _id, token = accounts.add_clinic(conn, "QS0101", "石桥镇青石村卫生室")
    booking = make_booking(
        "QS0101", day, "US_ABD", item_name="腹部超声", clinical_diagnosis="右上腹痛待查", question="胆囊结石？"
    )
    urgent = make_booking("QS0101", day, "US_ABD", item_name="腹部超声", priority="urgent", patient_name="王建国")
    number = booking["data"]["booking_no"]
    with hub.client(token) as clinic:
        assert [r["status"] for r in push(clinic, [booking, urgent]).json()["results"]] == ["accepted", "accepted"]

    _staff_id, login = add_staff(hub.engine, "doctor", name="超声科刘医生")
    page = _sign_in(browser, hub, login, "/desk/exams")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("王建国")  # urgent first
    expect(rows.nth(1)).to_contain_text("李秀英")
    expect(rows.nth(1)).to_contain_text("腹部超声")
    _shot(page, "18-exam-queue")

    page.get_by_role("link", name=number).click()
    page.wait_for_url(re.compile(re.escape(number)))
    expect(page.locator("table.fields")).to_contain_text("右上腹痛待查")
    page.locator("form[action$='/confirmed'] button").click()
    page.wait_for_url(re.compile(r"done=confirmed"))
    expect(page.get_by_role("status")).to_contain_text("下次同步")

    page.locator("#day").fill(full.isoformat())
    page.locator("form[action$='/rescheduled'] button").click()
    expect(page.locator("#error")).to_contain_text(f"腹部超声 在 {full.isoformat()} 的基层预留检查号源已用完")
    _shot(page, "18-exam-refused")
    with hub.engine.connect() as conn:
        assert exam_desk.find(conn, number).day == day  # refused: the booking keeps its day

    page.locator("form[action$='/examined'] button").click()
    page.wait_for_url(re.compile(r"done=examined"))
    page.locator("#findings").fill("胆囊大小正常，壁毛糙，腔内见一强回声团，大小约 2.1×1.8 cm，后伴声影。")
    page.locator("#impression").fill("胆囊结石，胆囊炎")
    page.locator("input[name=critical]").check()
    page.locator("form[action$='/reported'] button").click()
    page.wait_for_url(re.compile(r"done=reported"))
    report = page.locator("section.report")
    expect(report).to_contain_text("胆囊结石，胆囊炎")
    expect(report).to_contain_text("超声科刘医生")
    expect(report).to_contain_text("县人民医院")
    expect(report.locator("tr.critical")).to_contain_text("机构尚未确认")
    _shot(page, "18-exam-report")
    with hub.engine.connect() as conn:
        done = exam_desk.find(conn, number)
    assert done.status == "reported" and done.critical and done.reporter == "超声科刘医生"

    page.goto(f"{hub.base_url}/desk/exams")
    expect(page.locator(".critical-list")).to_contain_text(number)

    page.goto(f"{hub.base_url}/desk/indicators")  # the examination queue's turnaround this month
    card = page.locator("section", has=page.locator("#exam-turnaround-title"))
    expect(card).to_contain_text("检查周转时间（预约至报告）")
    expect(card.locator('[data-key="exam-turnaround"]')).to_have_text("1")
    expect(card.locator('[data-key="exam-turnaround.booked"]')).to_have_text(re.compile(r"^\d+分钟$"))
    card.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 420)")
    _shot(page, "18-exam-turnaround")
