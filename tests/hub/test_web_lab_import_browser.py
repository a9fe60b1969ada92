"""The lab's CSV import in a real browser (Playwright on Debian's chromium), issue 18: a lab nurse
signs in, uploads the lab system's results exported in GBK, sees per row what will happen (entered
on which order, to the exceptions list, or not imported and why), commits, and finds the order
reported and the unknown order's row on the exceptions list. A file past the limit is answered
413 on the page. Screenshots 18-lab-import-preview and 18-lab-import-exceptions."""

from __future__ import annotations

import re

import pytest

from clinic_hub import accounts, lab_desk, lab_import

from .conftest import push
from .lab_support import make_order
from .test_web_browser import VIEWPORT, _shot, browser, hub  # noqa: F401 (fixtures)
from .web_support import PASSWORD, add_staff

pytestmark = pytest.mark.slow


def test_a_nurse_uploads_previews_and_commits_a_gbk_csv(hub, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    with hub.engine.begin() as conn:
        _id, token = accounts.add_clinic(conn, "QS0101", "石桥镇青石村卫生室")
    record = make_order("QS0101")
    number = record["data"]["order_no"]
    with hub.client(token) as clinic:
        assert push(clinic, [record]).json()["results"][0]["status"] == "accepted"
    _staff_id, login = add_staff(hub.engine, "desk", name="检验科王护士")
    nurse = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    nurse.goto(f"{hub.base_url}/desk/login?next=/desk/lab/{number}")
    nurse.get_by_label("登录名").fill(login)
    nurse.get_by_label("密码").fill(PASSWORD)
    nurse.get_by_role("button", name="登录").click()
    nurse.wait_for_url(re.compile(r"/desk/lab/"))
    nurse.get_by_role("button", name="接收标本").first.click()
    nurse.wait_for_url(re.compile(r"done=received"))

    csv = (
        "检验单号,条码,项目代码,结果,单位,参考范围,标志,检测方法,检验者,审核者,报告时间\n"
        f"{number},,K,4.2,mmol/L,3.5-5.3,,离子选择电极法,李检验,赵主任,2026-12-03 10:20\n"
        f"{number},,NA,140,mmol/L,137-147,,,李检验,赵主任,2026-12-03 10:20\n"
        f"{number},,CREA,130,μmol/L,57-111,,,李检验,赵主任,2026-12-03 10:25\n"
        f"{number},,XYZ,1,,,,,李检验,,\n"
        "QS0101-20250101-L0999,,K,4.0,mmol/L,,,,李检验,,\n"
    )
    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * (lab_import.MAX_BYTES + 10))
    nurse.goto(f"{hub.base_url}/desk/lab")
    nurse.get_by_role("link", name="导入结果（CSV）").click()
    nurse.get_by_label(re.compile("CSV 文件")).set_input_files(str(big))
    nurse.get_by_role("button", name="上传并预览").click()
    expect(nurse.locator("#error")).to_contain_text("文件过大")
    path = tmp_path / "lis.csv"
    path.write_bytes(csv.encode("gbk"))
    nurse.get_by_label(re.compile("CSV 文件")).set_input_files(str(path))
    nurse.get_by_role("button", name="上传并预览").click()
    nurse.wait_for_url(re.compile(r"/desk/lab-import/[0-9a-f-]{36}$"))
    expect(nurse.locator("#counts")).to_contain_text("3 条结果将录入")
    rows = nurse.locator("#preview tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text(f"录入到 {number}")
    expect(rows.nth(2)).to_contain_text("H")
    expect(rows.nth(3)).to_contain_text("检验目录中没有此项目")
    expect(rows.nth(4)).to_contain_text("枢纽中没有此检验单")
    _shot(nurse, "18-lab-import-preview")
    # A connection closed at once: on SQLite a hub connection's transaction takes the write lock
    # (BEGIN IMMEDIATE), and one left to the garbage collector held it while the commit below waited.
    with hub.engine.connect() as conn:
        assert lab_desk.get_order(conn, number).status == "received"  # nothing before the commit
    nurse.get_by_role("button", name="导入这些结果").click()
    expect(nurse.locator("#done")).to_contain_text("已在 1 张检验单上录入 3 条结果")
    with hub.engine.connect() as conn:
        done = lab_desk.get_order(conn, number)
    assert done.status == "reported" and done.reporter == "李检验" and done.reviewer == "赵主任"
    nurse.get_by_role("link", name="异常").click()
    expect(nurse.locator("#imported-exceptions")).to_contain_text("QS0101-20250101-L0999")
    _shot(nurse, "18-lab-import-exceptions")
    nurse.goto(f"{hub.base_url}/desk/lab/{number}")
    expect(nurse.get_by_text("李检验").first).to_be_visible()


def test_a_nurse_reports_in_parts_then_corrects_a_result_in_the_browser(hub, browser):  # noqa: F811
    """Priority 1 on the desk, by the keyboard's forms: a partial report (the second button), the
    rest, then a correction with its reason; the page shows the earlier value struck through and
    the order back on the critical list. Screenshot 18-lab-correction."""
    from playwright.sync_api import expect

    with hub.engine.begin() as conn:
        _id, token = accounts.add_clinic(conn, "QS0102", "石桥镇白水村卫生室")
    record = make_order("QS0102")
    number = record["data"]["order_no"]
    with hub.client(token) as clinic:
        assert push(clinic, [record]).json()["results"][0]["status"] == "accepted"
    _staff_id, login = add_staff(hub.engine, "desk", name="检验科李护士")
    nurse = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    nurse.goto(f"{hub.base_url}/desk/login?next=/desk/lab/{number}")
    nurse.get_by_label("登录名").fill(login)
    nurse.get_by_label("密码").fill(PASSWORD)
    nurse.get_by_role("button", name="登录").click()
    nurse.wait_for_url(re.compile(r"/desk/lab/"))
    nurse.get_by_role("button", name="接收标本").first.click()
    nurse.wait_for_url(re.compile(r"done=received"))
    nurse.get_by_label("血钾", exact=True).fill("4.2")
    nurse.get_by_role("button", name="先发送已填项目，其余稍后报告").click()
    nurse.wait_for_url(re.compile(r"done=partial"))
    expect(nurse.locator("#pending")).to_contain_text("血钠、肌酐")
    nurse.get_by_label("血钠", exact=True).fill("139")
    nurse.get_by_label("肌酐", exact=True).fill("80")
    nurse.get_by_role("button", name="发送结果").click()
    nurse.wait_for_url(re.compile(r"done=reported"))
    nurse.locator("#correct_code").select_option("NA")
    nurse.locator("#correct_value").fill("118")
    nurse.get_by_label("更正原因（开单机构可见）").fill("录入错误，复核后更正")
    nurse.get_by_role("button", name="发送更正").click()
    nurse.wait_for_url(re.compile(r"done=corrected"))
    expect(nurse.locator("#corrections del")).to_have_text("139")
    expect(nurse.locator("#corrections")).to_contain_text("危急值：已再次提醒开单机构")
    _shot(nurse, "18-lab-correction")
    nurse.goto(f"{hub.base_url}/desk/lab")
    expect(nurse.locator(".critical-list")).to_contain_text(number)
