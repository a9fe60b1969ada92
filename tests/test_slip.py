"""The printable referral slip: every field, escaped HTML, the clinic's header, A4, aligned text."""

from __future__ import annotations

import re
import stat
from datetime import UTC, date, datetime
from types import SimpleNamespace

from rich.cells import cell_len

from clinic_tui import i18n
from clinic_tui.data.models import Clinic, Referral
from clinic_tui.slip import render_html, render_text, save_slip, slip_file_stem, wrap_cells

CLINIC = Clinic(code="QS0101", name="石桥镇青石村卫生室", phone="0838-6201234", address="青石村一组")


def _referral(**changes) -> Referral:
    values = dict(
        id="5f0c3c1e-0000-4000-8000-000000000001",
        clinic_id="c",
        referral_no="QS0101-20261120-0007",
        direction="up",
        purpose="inpatient",
        urgency="emergency",
        status="sent",
        referral_date=date(2026, 11, 20),
        patient_name="欧阳<秀>英",
        patient_sex="2",
        patient_birth_date=date(1950, 3, 1),
        patient_id_type="01",
        patient_id_number="11010519491231002X",
        patient_phone="13800001111",
        patient_address="青石村三组 12 号",
        patient_insurance_type="2",
        patient_insurance_no="YB-778899",
        from_org_code="QS0101",
        from_org_name="青石村卫生室",
        from_department="全科",
        from_doctor_name="李建国",
        from_doctor_phone="13990001111",
        to_org_code="SFX001",
        to_org_name="示范县人民医院",
        to_department_name="心血管内科",
        to_doctor_wished="王主任",
        wished_date=date(2026, 11, 22),
        diagnoses=[{"code": "I20.9", "name": "心绞痛"}, {"code": None, "name": "胸闷待查"}],
        reason="胸痛 & 血压高 <180>",
        chief_complaint="胸痛半小时",
        present_illness="活动后胸痛",
        past_history="高血压十年",
        past_history_kinds=["disease"],
        treatment_so_far="舌下含服硝酸甘油",
        examinations=[{"item": "心电图", "result": "ST 段压低", "abnormal": True}],
        medications=[
            {"drug": "阿司匹林肠溶片", "dose": "100", "unit": "mg", "frequency": "qd", "route": "口服", "days": 7}
        ],
        allergies="青霉素",
        precautions="途中监测血压",
        consent_given=True,
        consent_by="family",
        consent_signer="欧阳明",
        transport={"oxygen": True, "monitor": True, "ambulance_120": False},
    )
    values.update(changes)
    return Referral(**values)


ANSWER = SimpleNamespace(
    to_status="accepted",
    reason=None,
    appointment_department="心内科门诊",
    appointment_doctor="张医生",
    appointment_at=datetime(2026, 11, 21, 1, 30, tzinfo=UTC),
    appointment_slot_id="A-17",
)
FIELD_VALUES = [
    "QS0101-20261120-0007",
    "上转",
    "住院",
    "急诊",
    "2026-11-20",
    "女",
    "1950-03-01",
    "居民身份证",
    "11010519491231002X",
    "13800001111",
    "青石村三组 12 号",
    "城乡居民",
    "YB-778899",
    "青石村卫生室",
    "全科",
    "李建国",
    "13990001111",
    "示范县人民医院",
    "SFX001",
    "心血管内科",
    "王主任",
    "2026-11-22",
    "I20.9 心绞痛",
    "胸闷待查",
    "胸痛半小时",
    "活动后胸痛",
    "高血压十年",
    "疾病史",
    "舌下含服硝酸甘油",
    "心电图",
    "ST 段压低",
    "异常",
    "阿司匹林肠溶片",
    "100 mg",
    "qd",
    "口服",
    "青霉素",
    "途中监测血压",
    "家属",
    "欧阳明",
    "吸氧",
    "心内科门诊",
    "张医生",
    "2026-11-21 09:30",
    "A-17",
    "绿色通道",
]


def test_html_has_every_field_the_header_and_a4():
    page = render_html(_referral(), CLINIC, ANSWER)
    for value in FIELD_VALUES:
        assert value in page, value
    assert "@page { size: A4" in page
    assert "石桥镇青石村卫生室" in page and "(QS0101)" in page and "0838-6201234" in page
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert "<link" not in page and "<script" not in page  # self-contained


def test_html_escapes_what_was_typed():
    page = render_html(_referral(), CLINIC, ANSWER)
    assert "欧阳&lt;秀&gt;英" in page and "<秀>" not in page
    assert "胸痛 &amp; 血压高 &lt;180&gt;" in page


def test_text_has_every_field_and_aligns_values_by_display_cells():
    text = render_text(_referral(), CLINIC, ANSWER)
    for value in FIELD_VALUES:
        assert value in text, value
    assert "欧阳<秀>英" in text
    starts = {}
    for label in ("姓名", "性别", "转诊单号", "出生日期"):
        line = next(line for line in text.splitlines() if line.startswith(label))
        value = line[len(label) :].lstrip()
        starts[label] = cell_len(line[: len(line) - len(value)])
    assert len(set(starts.values())) == 1, starts  # every value begins in the same column
    assert max(cell_len(line) for line in text.splitlines()) <= 78


def test_text_in_english_and_the_rejection_and_cancel_reasons():
    i18n.set_language("en")
    rejected = SimpleNamespace(
        to_status="rejected",
        reason="No beds <today>",
        appointment_department=None,
        appointment_doctor=None,
        appointment_at=None,
        appointment_slot_id=None,
    )
    text = render_text(_referral(urgency="normal", cancel_reason="moved away"), CLINIC, rejected)
    assert "Two-way referral slip · Upward referral" in text
    assert "Rejection reason" in text and "No beds <today>" in text
    assert "Cancellation reason" in text and "moved away" in text
    assert "Green channel" not in text and "Transport assessment" in text  # transport was recorded


def test_downward_slip_has_the_discharge_part():
    referral = _referral(
        direction="down",
        urgency="normal",
        transport={},
        outcome="2",
        discharge_diagnoses=[{"code": "J18.9", "name": "肺炎"}],
        treatment_plan="口服抗生素",
        rehab_guidance="逐步活动",
        medication_to_continue="阿莫西林",
        followup_schedule=[{"after_days": 14, "what": "复查胸片"}],
    )
    text = render_text(referral, CLINIC)
    for value in ("出院诊断", "J18.9 肺炎", "好转", "口服抗生素", "逐步活动", "阿莫西林", "14 天后：复查胸片"):
        assert value in text, value
    assert "医院答复" not in text and "转运评估" not in text


def test_wrap_cells_counts_chinese_as_two_columns():
    lines = wrap_cells("一二三四五六七八九十 abc defghij", 8)
    assert all(cell_len(line) <= 8 for line in lines)
    assert "".join(lines).replace(" ", "") == "一二三四五六七八九十abcdefghij"


def test_save_slip_writes_both_files_named_by_number(tmp_path):
    html_path, text_path = save_slip(_referral(referral_no="QS0101/2026 07"), CLINIC, None, tmp_path / "slips")
    assert slip_file_stem("QS0101/2026 07") == "QS0101_2026_07"
    assert html_path.name == "QS0101_2026_07.html" and text_path.name == "QS0101_2026_07.txt"
    assert "QS0101/2026 07" in html_path.read_text(encoding="utf-8")
    assert text_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Notepad
    # A slip names a patient: readable by its owner only, like the database.
    assert {stat.S_IMODE(p.stat().st_mode) for p in (html_path, text_path)} == {0o600}
    assert stat.S_IMODE(html_path.parent.stat().st_mode) == 0o700


def test_an_examination_without_a_verdict_is_not_judged_never_normal():
    """Issue 14.1: every item states the verdict it was given; none given prints 未判定."""
    examinations = [
        {"item": "血压", "result": "185/115 mmHg (2026-11-20 14:30)", "abnormal": True},
        {"item": "心率", "result": "78 次/分 (2026-11-20 14:30)", "abnormal": False},
        {"item": "餐后血糖", "result": "9.1 mmol/L (2026-11-20)", "abnormal": None},
    ]
    text = render_text(_referral(examinations=examinations), CLINIC, ANSWER)
    rows = {
        line.split()[0]: line.split()[-1] for line in text.splitlines() if line.startswith(("血压", "心率", "餐后"))
    }
    assert rows == {"血压": "异常", "心率": "正常", "餐后血糖": "未判定"}
    assert "<td>未判定</td>" in render_html(_referral(examinations=examinations), CLINIC, ANSWER)


def test_the_hubs_copy_of_the_slip_states_the_same_verdicts():
    from clinic_hub.web.i18n import Translator
    from clinic_hub.web.views import slip_sections

    data = {
        "examinations": [
            {"item": "血压", "result": "185/115 mmHg", "abnormal": True},
            {"item": "心率", "result": "78 次/分", "abnormal": False},
            {"item": "餐后血糖", "result": "9.1 mmol/L", "abnormal": None},
        ]
    }
    section = next(s for s in slip_sections(Translator("zh"), data, "up", "sent", "normal") if s.title == "检查及结果")
    assert [row[-1] for row in section.rows] == ["异常", "正常", "未判定"]


def test_no_uuid_on_the_slip_the_slot_reads_as_department_day_time_and_number():
    """Issue 14.11: `号源 b437fc20-…#1` and `记录编号 dd3bd205-…` become what a person reads."""
    pool = "b437fc20-1111-4222-8333-444455556666"
    answer = SimpleNamespace(
        to_status="accepted",
        reason=None,
        appointment_department="心内科门诊",
        appointment_doctor="张医生",
        appointment_at=datetime(2026, 11, 21, 1, 30, tzinfo=UTC),
        appointment_slot_id=f"{pool}#1",
    )
    referral = _referral()
    for page in (render_text(referral, CLINIC, answer), render_html(referral, CLINIC, answer)):
        assert referral.id not in page and pool not in page
        assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", page) is None
        assert "QS0101-20261120-0007" in page  # the record is named by its referral number
    slot_line = next(line for line in render_text(referral, CLINIC, answer).splitlines() if line.startswith("号源"))
    assert slot_line.split(None, 1)[1] == "心内科门诊 2026-11-21 09:30 1号"


SLIP_RESULTS = [
    {
        "source": "lab",
        "source_id": "e1",
        "code": "GLU",
        "item": "血糖（空腹）",
        "value": "8.4",
        "unit": "mmol/L",
        "reference_range": "3.9-6.1",
        "flag": "H",
        "institution": "示范县人民医院检验科",
        "reported_at": "2026-11-04T16:30:00+00:00",  # 11-05 in China
        "recognised": True,
    },
    {
        "source": "report",
        "source_id": "e2",
        "code": "ecg",
        "item": "心电诊断",
        "value": "窦性心律，下壁导联 ST 段压低 0.1 mV，建议<复查>",
        "flag": "critical",
        "institution": "示范县人民医院",
        "reported_at": "2026-11-08T02:00:00+00:00",
        "recognised": False,
    },
]


def test_the_lead_hospitals_results_print_in_the_examinations_with_their_mark():
    """Issue 18: each chosen result with unit, range, flag, institution, report date and 互认 mark;
    one not recognised says so; the text copy stays within its 78 cells by wrapping."""
    referral = _referral(results=SLIP_RESULTS)
    text = render_text(referral, CLINIC, ANSWER)
    assert [line for line in text.splitlines() if cell_len(line) > 78] == []
    section = text.split("[检查及结果]")[1].split("[目前用药]")[0]
    assert "心电图" in section  # the typed examinations stay, above the results
    for shown in ("项目", "单位", "参考范围", "执行机构", "报告日期", "互认"):
        assert shown in section, shown
    glucose = next(line for line in section.splitlines() if line.startswith("血糖"))
    for shown in ("8.4", "mmol/L", "3.9-6.1", "偏高 H", "2026-11-05", "互认"):
        assert shown in glucose, shown
    assert "未互认" in section and "危急值" in section and "2026-11-08" in section
    page = render_html(referral, CLINIC, ANSWER)
    assert "<td>未互认</td>" in page and "<td>示范县人民医院检验科</td>" in page
    assert "建议&lt;复查&gt;" in page and "<复查>" not in page


def test_a_slip_without_results_has_no_results_table():
    text = render_text(_referral(), CLINIC, ANSWER)
    assert "执行机构" not in text and "互认" not in text
    assert "执行机构" not in render_html(_referral(), CLINIC, ANSWER)
