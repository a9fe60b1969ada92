"""A rejection the hub sent in one language reads in the doctor's language, whatever it is now
(issue 14, item 13): the outbox keeps the code and the sentence's values, sync/rejections.py
says the sentence again."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select, update

from clinic_hub.messages import MESSAGES
from clinic_tui import i18n
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.engine import run_sync
from clinic_tui.sync.rejections import TEMPLATES, rejection_text

from .conftest import database_path


def test_the_clinics_sentences_are_the_hubs_in_both_languages():
    for code, template in TEMPLATES.items():
        assert template == MESSAGES["en"][code], code
        i18n.set_language("zh")
        assert i18n._(template) == MESSAGES["zh"][code], code
        # Every value the hub's sentence names is one the clinic's sentence names.
        assert set(re.findall(r"{(\w+)}", template)) == set(re.findall(r"{(\w+)}", MESSAGES["zh"][code])), code


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh", "字段取值无效：诊断"), ("en", "Invalid value for field Diagnoses")],
)
def test_a_stored_rejection_is_said_in_the_language_of_the_moment(language, expected):
    i18n.set_language(language)
    assert rejection_text("invalid_value", {"field": "diagnoses"}, "字段取值无效：diagnoses") == expected


def test_without_its_values_or_from_a_newer_hub_the_hubs_own_message_is_shown():
    i18n.set_language("en")
    # Stored before the values were kept: the sentence cannot be made again; the hub's one stands.
    assert rejection_text("invalid_value", None, "字段取值无效：diagnoses") == "字段取值无效：diagnoses"
    assert rejection_text("new_rule_of_2027", {"x": "1"}, "新规则") == "新规则"
    assert rejection_text("new_rule_of_2027", None, None) == "new_rule_of_2027"
    # A sentence without values needs none.
    assert rejection_text("storage_error", None, "保存失败") == "Could not store the record; push it again later"


def test_a_rejection_pushed_in_chinese_reads_in_english_after_the_switch(hub, small_clinic, clinic_settings):
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Clinic, Referral

    engine = small_clinic
    code, token = hub.new_clinic()
    with unit_of_work(engine) as session:
        session.execute(update(Clinic).values(code=code))
        clinic = session.execute(select(Clinic)).scalar_one()
        # Another clinic's number: the hub refuses it, naming the number and this clinic's prefix.
        records.create(
            session,
            Referral(
                clinic_id=clinic.id,
                referral_no="OTHER-20261120-0001",
                direction="up",
                status="sent",
                referral_date=date(2026, 11, 20),
                patient_name="王小明",
            ),
            None,
        )
    i18n.set_language("zh")
    report = run_sync(engine, clinic_settings(hub, database_path(engine)), token=token)
    assert report.outcome == "rejected", report.message
    (rejected,) = sync_state.rejected_records(engine)
    assert rejected.code == "foreign_referral_no"
    assert rejected.message.startswith("转诊单号 OTHER-20261120-0001 不是本机构的编号") and code in rejected.message

    i18n.set_language("en")
    (rejected,) = sync_state.rejected_records(engine)
    assert rejected.message == (f"Referral number OTHER-20261120-0001 is not this clinic's: it must start with {code}-")
