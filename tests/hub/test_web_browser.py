"""The web desk in a real browser (Playwright for Python driving Debian's chromium), end to end:
a real clinic syncs the demo database into a real hub; a referral nurse signs in (by keyboard),
takes the urgent referral from the queue, accepts it into a reserved slot, marks the arrival and
sends the patient down; the clinic syncs again and its SQLite database sees each step. An
administrator looks at the clinics, the audit log and the county's indicators, adds a clinic (its
token shown once), opens the staff page and changes their own password.

Screenshots of the main pages at 1366x768 go to tests/hub/screenshots/ (committed; look at them
after changing a page). Chinese needs fonts-noto-cjk; chromium is Debian's package, never
``playwright install`` (scripts/ensure_test_tools.sh installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from clinic_hub import accounts, directory

from .conftest import HubServer
from .web_support import PASSWORD, add_staff

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).with_name("screenshots")
EXAMPLE_DB = Path(__file__).resolve().parents[2] / "local.db.example"
VIEWPORT = {"width": 1366, "height": 768}
URGENT = "QS0101-20261117-0003"  # the demo clinic's urgent referral waiting for the hospital
ADMITTED = "QS0101-20261120-0003"  # another slip waiting: the desk admits the patient (a bed)


@pytest.fixture
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Debian's chromium is needed (apt-get install chromium fonts-noto-cjk; make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def hub(tmp_path):
    server = HubServer("sqlite", f"sqlite:///{tmp_path / 'hub.db'}")
    yield server
    server.stop()


def _clinic_sync(hub, database: Path, token: str):
    from clinic_tui.config import load_settings
    from clinic_tui.data.migrate import open_database
    from clinic_tui.sync.engine import run_sync

    engine = open_database(database).engine
    try:
        report = run_sync(engine, replace(load_settings(), database=database, hub_url=hub.base_url), token=token)
    finally:
        engine.dispose()
    assert report.outcome == "ok", report.message
    return report


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_nurse_answers_a_synced_referral_in_the_browser_and_the_clinic_sees_it(hub, browser, tmp_path):
    # expect() waits for what it checks (up to 5 s); is_visible() looks once, maybe before the page is drawn.
    from playwright.sync_api import expect

    # The hospital: its departments (the demo clinic refers to these codes), reserved pools, a nurse.
    with hub.engine.begin() as conn:
        directory.set_hospital(conn, "H01", "县人民医院")
        for code, name, slots in (
            ("NK-XXG", "心血管内科", 30),
            ("WK-PW", "普外科", 18),
            ("WK-GK", "骨科", 12),
            ("NK-NFM", "内分泌科", 12),
            ("NK-HX", "呼吸内科", 15),
        ):
            directory.upsert_department(conn, code, name, slots)
        directory.open_days(conn, directory.today_in_china(), 7)
        _id, token = accounts.add_clinic(conn, "QS0101", "石桥镇青石村卫生室")
    _staff_id, login = add_staff(hub.engine, "desk", name="转诊办王护士")

    # The clinic: a copy of the demo database, synced for real.
    clinic_db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DB, clinic_db)
    assert _clinic_sync(hub, clinic_db, token).pushed > 0

    page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
    page.goto(f"{hub.base_url}/desk/")
    assert page.url.endswith("/desk/login")
    _shot(page, "1-sign-in")
    page.keyboard.type(login)  # the login field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/queue"))

    # Every upward slip the demo clinic ever sent waits here: this hub never answered the old ones.
    rows = page.locator("table.queue tbody tr")
    ranks = [
        {"u-emergency": 0, "u-urgent": 1, "u-normal": 2}[c]
        for c in rows.evaluate_all("rows => rows.map(row => row.className)")
    ]
    assert len(ranks) > 3 and ranks == sorted(ranks)  # green channel first, then urgent, then normal
    _shot(page, "2-queue")

    page.get_by_role("link", name=URGENT).click()
    page.wait_for_url(re.compile(re.escape(URGENT)))
    expect(page.get_by_role("heading", name=re.compile(URGENT))).to_be_visible()
    assert page.get_by_label("科室").first.input_value() == "NK-XXG"  # the department the clinic asked for
    _shot(page, "3-referral")

    page.get_by_label("时间").fill("10:30")
    page.get_by_label("医生（可不填）").fill("李主任")
    page.get_by_role("button", name="接收并预约基层预留号").click()
    page.wait_for_url(re.compile(r"done=accepted"))
    assert page.get_by_role("status").inner_text().startswith("已接收并预约")
    assert "10:30" in page.locator(".facts").inner_text()
    _shot(page, "4-accepted")

    page.get_by_role("button", name="登记已到诊").click()
    page.wait_for_url(re.compile(r"done=arrived"))
    page.get_by_label("出院诊断").fill("I10 原发性高血压")
    page.get_by_label("治疗方案").fill("氨氯地平 5mg 每日一次，低盐饮食")
    page.get_by_label("随访安排").fill("14 复查血压\n30 复查肾功能")
    page.get_by_role("button", name="发送下转单").click()
    page.wait_for_url(re.compile(r"done=sent_down"))
    down_number = re.search(r"number=([A-Z0-9]+)", page.url).group(1)
    assert down_number in page.get_by_role("status").inner_text()
    _shot(page, "5-sent-down")

    # An admission: the desk books a reserved bed (seed 001) for another slip, then looks at the pools.
    with hub.engine.begin() as conn:
        today = directory.today_in_china()  # 40 beds a day, 10 of them for primary care
        directory.set_range(conn, directory.BEDS, "NK-XXG", today, today + timedelta(days=13), 40)
    page.goto(f"{hub.base_url}/desk/referrals/{ADMITTED}")
    page.get_by_label("住院：预约入院当日的基层预留床位").check()
    page.get_by_label("科室").first.select_option("NK-XXG")
    page.get_by_role("button", name="接收并预约基层预留号").click()
    page.wait_for_url(re.compile(r"done=admitted"))
    expect(page.get_by_role("status")).to_contain_text("已接收并预约床位")
    page.get_by_role("link", name=re.compile("^号源床位")).click()
    expect(page.get_by_role("heading", name="号源与床位")).to_be_visible()
    cardiology = page.locator("table.poolpage", has_text="(NK-XXG)")
    assert cardiology.locator("tr.beds").nth(3).locator("td").nth(1).inner_text() == "9"  # tomorrow: 1 of 10 taken
    cardiology.locator("tr.beds").last.scroll_into_view_if_needed()
    _shot(page, "10-pools")

    page.goto(f"{hub.base_url}/desk/language/en?next=/desk/queue%3Ftab%3Dall")
    expect(page.get_by_role("heading", name="Incoming upward referrals")).to_be_visible()
    _shot(page, "6-queue-english")
    page.close()

    # The administrator: the clinics and the audit log (a browser of their own, so cookies of their own).
    _admin_id, admin_login = add_staff(hub.engine, "admin", name="信息科管理员")
    admin = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    admin.goto(f"{hub.base_url}/desk/login")
    admin.get_by_label("登录名").fill(admin_login)
    admin.get_by_label("密码").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    admin.wait_for_url(re.compile(r"/desk/queue"))
    admin.get_by_role("link", name="机构").click()
    expect(admin.get_by_role("link", name="QS0101")).to_be_visible()
    admin.get_by_role("link", name="审计日志").click()
    admin.get_by_label("操作（开头）").fill("web.")
    admin.get_by_role("button", name="筛选").click()
    expect(admin.get_by_role("cell", name="web.send_down")).to_be_visible()
    _shot(admin, "8-admin-audit")

    # The county's indicators: this month's, then by keyboard the month before (the demo's referrals).
    admin.get_by_role("navigation", name="主菜单").get_by_role("link", name=re.compile("^指标")).focus()
    admin.keyboard.press("Enter")
    admin.wait_for_url(re.compile(r"/desk/indicators"))
    this_month = admin.locator("#month").input_value()
    admin.get_by_role("link", name=re.compile("上个月")).focus()
    admin.keyboard.press("Enter")
    admin.wait_for_url(re.compile(r"month="))
    assert admin.locator("#month").input_value() < this_month
    expect(admin.get_by_role("cell", name="QS0101")).to_be_visible()
    expect(admin.get_by_role("link", name="XLSX")).to_be_visible()
    _shot(admin, "9-indicators")

    # A new clinic: its token shown once, by the page that answers the form; then the staff page,
    # and the administrator's own password.
    admin.get_by_role("navigation", name="主菜单").get_by_role("link", name="机构").click()
    admin.get_by_label("编码").fill("QS0102")
    admin.get_by_label("机构名称").fill("石桥镇白沙村卫生室")
    admin.get_by_role("button", name="新增机构并显示令牌").click()
    expect(admin.get_by_role("heading", name=re.compile("已新增机构 QS0102"))).to_be_visible()
    new_token = admin.get_by_label("令牌").input_value()
    assert new_token.startswith("chub_") and admin.get_by_label("令牌").evaluate("e => e === document.activeElement")
    _shot(admin, "11-admin-clinic-token")
    with hub.client(new_token) as new_clinic:
        assert new_clinic.get("/api/v1/sync/pull").status_code == 200
    admin.get_by_role("link", name="完成：返回机构页面").click()
    expect(admin.get_by_role("heading", name=re.compile("QS0102"))).to_be_visible()
    assert new_token not in admin.content()  # shown once: never again
    admin.get_by_role("navigation", name="主菜单").get_by_role("link", name="机构").click()
    expect(admin.get_by_role("link", name="QS0102")).to_be_visible()
    _shot(admin, "7-admin-clinics")
    admin.get_by_role("navigation", name="主菜单").get_by_role("link", name="员工").click()
    expect(admin.get_by_role("link", name="转诊办王护士")).to_be_visible()
    _shot(admin, "12-admin-staff")
    admin.get_by_role("link", name="修改密码").click()
    admin.get_by_label("当前密码").fill(PASSWORD)  # the field has the focus; fill() types into it
    admin.get_by_label("新密码", exact=True).fill("信息科的新密码 2026")
    admin.get_by_label("再次输入新密码").fill("信息科的新密码 2026")
    admin.keyboard.press("Enter")
    expect(admin.get_by_role("status")).to_contain_text("密码已修改")
    _shot(admin, "13-own-password")
    admin.close()

    # The clinic's next sync brings the hospital's answers into its own database.
    report = _clinic_sync(hub, clinic_db, token)
    assert report.pulled >= 3
    db = sqlite3.connect(clinic_db)
    status, referral_id = db.execute("SELECT status, id FROM referral WHERE referral_no = ?", (URGENT,)).fetchone()
    assert status == "arrived"
    events = db.execute(
        "SELECT to_status, appointment_department_code, appointment_doctor FROM referral_event "
        "WHERE referral_id = ? AND origin = 'hub' ORDER BY at",
        (referral_id,),
    ).fetchall()
    assert events == [("accepted", "NK-XXG", "李主任"), ("arrived", None, None)]
    downward = db.execute(
        "SELECT direction, status, treatment_plan, patient_name FROM referral WHERE referral_no = ?", (down_number,)
    ).fetchone()
    patient = db.execute("SELECT patient_name FROM referral WHERE id = ?", (referral_id,)).fetchone()[0]
    assert downward == ("down", "received", "氨氯地平 5mg 每日一次，低盐饮食", patient)
    admission = db.execute(
        "SELECT e.admission_at, e.bed_pool_id FROM referral_event e JOIN referral r ON r.id = e.referral_id "
        "WHERE r.referral_no = ? AND e.origin = 'hub'",
        (ADMITTED,),
    ).fetchone()
    assert admission[0] and admission[1]  # the admission day and the bed pool reached the clinic
    db.close()

    # Issue 18: a remote ECG read. The clinic asks (pushed as its app would), a department doctor
    # opens it from the ECG room's queue, accepts it and signs a report with a critical value.
    from .conftest import push
    from .remote_support import make_remote

    ecg = make_remote("QS0101", service="ecg", urgency="urgent", patient_name="赵桂兰")
    with hub.client(token) as clinic:
        assert push(clinic, [ecg]).json()["results"][0]["status"] == "accepted"
    number = ecg["data"]["request_no"]
    _doctor_id, doctor_login = add_staff(hub.engine, "doctor", name="心电室刘医生")
    doctor = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    doctor.goto(f"{hub.base_url}/desk/login?next=/desk/remote%3Froom%3Decg")
    doctor.get_by_label("登录名").fill(doctor_login)
    doctor.get_by_label("密码").fill(PASSWORD)
    doctor.get_by_role("button", name="登录").click()
    doctor.wait_for_url(re.compile(r"/desk/remote\?room=ecg"))
    expect(doctor.get_by_role("link", name=number)).to_be_visible()
    _shot(doctor, "14-remote-queue")
    doctor.get_by_role("link", name=number).click()
    doctor.get_by_role("button", name="接收申请").click()
    doctor.wait_for_url(re.compile(r"done=accepted"))
    _shot(doctor, "15-remote-request")
    doctor.get_by_label("所见").fill("窦性心律，II、III、aVF 导联 ST 段弓背抬高 0.3 mV")
    doctor.get_by_label("结论").fill("急性下壁心肌梗死")
    doctor.get_by_label("建议").fill("立即转上级医院，途中心电监护")
    doctor.get_by_role("checkbox", name=re.compile("危急值")).check()
    doctor.get_by_label("危急值内容").fill("急性心梗，已电话通知申请医生")
    doctor.get_by_role("button", name="签发报告").click()
    doctor.wait_for_url(re.compile(r"done=reported"))
    expect(doctor.get_by_text("机构尚未确认")).to_be_visible()
    assert "心电室刘医生" in doctor.locator("section.report").inner_text()
    _shot(doctor, "16-remote-report")
    doctor.close()

    # Issue 18, tests at the lead hospital: the clinic sends a serum specimen (pushed as its app
    # would); a lab nurse opens it from the lab's queue, receives it and enters the results, the
    # potassium critical by the catalogue's limits.
    from .lab_support import make_order

    specimen = make_order("QS0101", priority="urgent", patient_name="赵桂兰")
    with hub.client(token) as clinic:
        assert push(clinic, [specimen]).json()["results"][0]["status"] == "accepted"
    order_no = specimen["data"]["order_no"]
    _nurse_id, nurse_login = add_staff(hub.engine, "desk", name="检验科张护士")
    nurse = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    nurse.goto(f"{hub.base_url}/desk/login?next=/desk/lab")
    nurse.get_by_label("登录名").fill(nurse_login)
    nurse.get_by_label("密码").fill(PASSWORD)
    nurse.get_by_role("button", name="登录").click()
    nurse.wait_for_url(re.compile(r"/desk/lab"))
    nurse.get_by_role("link", name=order_no).click()
    nurse.get_by_role("button", name="接收标本").click()
    nurse.wait_for_url(re.compile(r"done=received"))
    nurse.get_by_label("血钾", exact=True).fill("6.8")
    nurse.get_by_label("血钠", exact=True).fill("139")
    nurse.get_by_label("肌酐", exact=True).fill("130")
    nurse.get_by_label("审核者").fill("检验科赵主任")
    nurse.get_by_role("button", name="发送结果").click()
    nurse.wait_for_url(re.compile(r"done=reported"))
    expect(nurse.get_by_text("机构尚未确认")).to_be_visible()
    results = nurse.locator("table.results").inner_text()
    assert "6.8" in results and "危急值" in results and "3.5-5.3" in results
    _shot(nurse, "17-lab-order")
    nurse.close()


def test_a_doctor_opens_a_requests_ecg_tracing_inline_in_the_browser(hub, browser, tmp_path):
    """Issue 18, attachments: a clinic's ECG read arrives with its tracing as a PNG and a PDF, sent
    in chunks; the queue says the files are arriving until they are whole; the doctor opens the
    tracing from the request's page and the browser shows it itself: the PNG drawn, the PDF in
    chromium's own viewer under the hub's headers (inline, no-store, default-src 'none'), never a
    download. Screenshots 18-attachment (the PDF), 18-attachment-image, 18-attachment-request."""
    import hashlib

    from playwright.sync_api import expect

    from .attachment_files import ecg_pdf, ecg_png
    from .conftest import push
    from .remote_support import make_remote
    from .test_attachments import put_chunk, upload

    with hub.engine.begin() as conn:
        _id, token = accounts.add_clinic(conn, "QS0101", "石桥镇青石村卫生室")
    strip, report = ecg_png(), ecg_pdf(600_000)
    entries = [
        {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d), "media_type": t, "name": n}
        for d, t, n in ((strip, "image/png", "心电图 II 导联.png"), (report, "application/pdf", "十二导联心电图.pdf"))
    ]
    ecg = make_remote("QS0101", service="ecg", urgency="urgent", patient_name="赵桂兰", attachments=entries)
    number = ecg["data"]["request_no"]
    with hub.client(token) as clinic:
        assert push(clinic, [ecg]).json()["results"][0]["status"] == "accepted"
        clinic.put(
            f"/api/v1/attachments/{entries[1]['sha256']}", json={"size": len(report), "media_type": "application/pdf"}
        )
        put_chunk(clinic, entries[1]["sha256"], 0, report[: 256 * 1024])  # one chunk of three, then a cut
    _doctor_id, login = add_staff(hub.engine, "doctor", name="心电室刘医生")
    doctor = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    doctor.goto(f"{hub.base_url}/desk/login?next=/desk/remote%3Froom%3Decg")
    doctor.get_by_label("登录名").fill(login)
    doctor.get_by_label("密码").fill(PASSWORD)
    doctor.get_by_role("button", name="登录").click()
    doctor.wait_for_url(re.compile(r"/desk/remote\?room=ecg"))
    expect(doctor.get_by_text("附件传送中：1/4 块")).to_be_visible()
    with hub.client(token) as clinic:  # the link comes back: the rest arrives
        upload(clinic, strip, "image/png")
        upload(clinic, report)
    doctor.get_by_role("link", name=number).click()
    expect(doctor.get_by_role("link", name="心电图 II 导联.png")).to_be_visible()
    _shot(doctor, "18-attachment-request")
    pdf = doctor.request.get(f"{hub.base_url}/desk/remote/{number}/attachments/{entries[1]['sha256']}")
    assert pdf.ok and pdf.body() == report  # through the browser's own session, byte for byte
    assert pdf.headers["content-type"] == "application/pdf" and pdf.headers["content-disposition"].startswith("inline")
    doctor.get_by_role("link", name="心电图 II 导联.png").click()
    doctor.wait_for_url(re.compile(r"/attachments/"))
    image = doctor.locator("img")
    expect(image).to_be_visible()
    assert doctor.evaluate("document.images[0].naturalWidth") == 1200  # drawn by the browser, not downloaded
    _shot(doctor, "18-attachment-image")
    doctor.go_back()
    downloads: list = []
    doctor.on("download", lambda download: downloads.append(download))
    with doctor.expect_response(re.compile(r"/attachments/")) as opened:
        doctor.get_by_role("link", name="十二导联心电图.pdf").click()  # chromium's own PDF viewer, inline
    assert opened.value.headers["content-type"] == "application/pdf"
    doctor.wait_for_timeout(2000)  # the viewer draws the page (look at the screenshot)
    assert downloads == [] and doctor.url.endswith(entries[1]["sha256"])  # shown, not downloaded
    _shot(doctor, "18-attachment")
    doctor.close()
