"""The county lab's catalogue file checked line by line (domain.lab_catalogue): the shipped one
passes; each kind of bad line is named with its line and column; nothing is taken from a file with
a problem."""

from __future__ import annotations

from importlib import resources

import pytest

from clinic_tui.domain import lab
from clinic_tui.domain.lab_catalogue import LineProblem, read_catalogue

HEADER = "code,name,name_en,specimen,unit,low,high,critical_low,critical_high\n"


def test_the_shipped_catalogue_passes_and_reads_as_the_app_reads_it():
    text = resources.files("clinic_tui.domain").joinpath("lab_catalogue.csv").read_text(encoding="utf-8")
    items, problems = read_catalogue(text)
    assert problems == [] and items == lab.catalogue()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("k+,血钾,Potassium,serum,mmol/L,3.5,5.3,2.5,6.5", LineProblem(2, "catalogue_bad_code", "code")),
        ("K,,Potassium,serum,mmol/L,3.5,5.3,2.5,6.5", LineProblem(2, "catalogue_missing_value", "name")),
        ("K,血钾,Potassium,blood,mmol/L,3.5,5.3,2.5,6.5", LineProblem(2, "catalogue_bad_specimen", "specimen")),
        ("K,血钾,Potassium,serum,mmol/L,三,5.3,2.5,6.5", LineProblem(2, "catalogue_bad_number", "low")),
        ("K,血钾,Potassium,serum,mmol/L,5.3,3.5,,", LineProblem(2, "catalogue_range_reversed", "high")),
        (
            "K,血钾,Potassium,serum,mmol/L,3.5,5.3,4.0,",
            LineProblem(2, "catalogue_critical_inside_range", "critical_low"),
        ),
        (
            "K,血钾,Potassium,serum,mmol/L,3.5,5.3,,5.0",
            LineProblem(2, "catalogue_critical_inside_range", "critical_high"),
        ),
    ],
)
def test_each_bad_line_is_named(line, problem):
    items, problems = read_catalogue(HEADER + line + "\n")
    assert problems == [problem] and items == {}


def test_a_repeated_code_and_a_missing_column_are_refused():
    repeated = HEADER + "K,血钾,Potassium,serum,mmol/L,3.5,5.3,,\nK,血钾,Potassium,serum,mmol/L,3.5,5.3,,\n"
    assert read_catalogue(repeated)[1] == [LineProblem(3, "catalogue_duplicate_code", "code")]
    assert read_catalogue("code,name\nK,血钾\n")[1] == [
        LineProblem(1, "catalogue_column_missing", "name_en, specimen, unit, low, high, critical_low, critical_high")
    ]
    assert read_catalogue(HEADER)[1] == [LineProblem(1, "catalogue_empty")]
