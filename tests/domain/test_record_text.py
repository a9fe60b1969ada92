"""One line of text for the medications of either shape, and back."""

from clinic_tui.domain.record_text import medications_text, parse_medications


def test_a_followups_medications_read_back_as_typed():
    typed = "硝苯地平缓释片 2 10mg; 阿司匹林"
    assert medications_text(parse_medications(typed)) == typed


def test_a_slips_medications_show_drug_dose_and_frequency():
    slip = [
        {
            "drug": "硝苯地平缓释片",
            "dose": "10mg",
            "unit": None,
            "frequency": "2 times a day",
            "route": None,
            "days": None,
        },
        {"drug": "阿司匹林", "dose": None, "frequency": None},
    ]
    assert medications_text(slip) == "硝苯地平缓释片 10mg 2 times a day; 阿司匹林"
    assert medications_text(None) == medications_text([]) == ""
