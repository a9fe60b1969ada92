"""The diagnosis catalogue shipped with the app, and a county's own list imported from a file."""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from clinic_tui import i18n
from clinic_tui.domain.problems import DomainError
from clinic_tui.search.icd_catalog import (
    CATEGORIES_SYSTEM,
    CATEGORIES_VERSION,
    PRIMARY_CARE_SYSTEM,
    PRIMARY_CARE_VERSION,
    Diagnosis,
    builtin_catalog,
    is_icd10_code,
    read_county_list,
)

RESOURCES = Path(__file__).parents[2] / "clinic_tui" / "resources" / "icd10"
# chaseliu/ICD-10-CN stops at chapter XIX (A00-T98): chapters XX (V-Y) and XXI (Z) are absent.
CHAPTERS_MISSING_FROM_SOURCE = ("V", "W", "X", "Y", "Z")
KEY = re.compile("[a-z0-9]+")

REQUIRED_PRIMARY_CARE_CODES = (
    "I10 I11.9 E11.9 E11.2 E11.3 E11.4 E11.5 E11.6 E11.7 E14.9 J06.9 J20.9 J18.9 J44.9 J45.9 K29.7 "
    "K21.9 I25.1 I20.9 I69.4 I63.9 M51.2 M17.9 M54.5 N39.0 M10.9 E78.5 D64.9 L30.9 H10.9 H66.9 "
    "B18.1 A16.2 F32.9 F41.9 F20.9 Z34.9 Z00.0 Z23"
).split()


def by_system(system: str) -> list[Diagnosis]:
    return [diagnosis for diagnosis in builtin_catalog() if diagnosis.system == system]


def category_names() -> dict[str, str]:
    with (RESOURCES / "disease.csv").open(encoding="utf-8") as source:
        rows = csv.DictReader(source, delimiter="\t")
        return {row["code"].rstrip("+*"): row["disease"] for row in rows}


# --- data files --------------------------------------------------------------------------------


# SHA-256 of the files at chaseliu/ICD-10-CN commit a12ed01 (2017-05-03).
UPSTREAM_SHA256 = {
    "disease.csv": "79d17781d84271db2010af2727083020740aaa0e5db3b8507333213ad91ca09d",
    "disease_catalog.csv": "7b83372903e42f15da5814f3c1057eab8c4964c58f5d7934ed1cd5293122aa8d",
    "LICENSE": "1aaadd9e83adfc5481002c5cad4b40844753e9ce6c4c03c27faa6c099dd694be",
}


@pytest.mark.parametrize("filename, sha256", UPSTREAM_SHA256.items())
def test_source_files_are_copied_unchanged(filename: str, sha256: str) -> None:
    assert hashlib.sha256((RESOURCES / filename).read_bytes()).hexdigest() == sha256


def test_licence_and_readme_say_where_the_data_comes_from() -> None:
    assert "MIT License" in (RESOURCES / "LICENSE").read_text(encoding="utf-8")
    assert "chaseliu/ICD-10-CN" in (RESOURCES / "README.md").read_text(encoding="utf-8")


# --- the three-character categories ------------------------------------------------------------


def test_all_categories_are_loaded() -> None:
    # The source README says 1,585; the file holds 1,586 rows (A00 ... T98).
    categories = by_system(CATEGORIES_SYSTEM)
    assert len(categories) == 1586
    assert (categories[0].code, categories[0].name) == ("A00", "霍乱")
    assert (categories[-1].code, categories[-1].name) == ("T98", "外因的其他和未特指效应的后遗症")
    assert {diagnosis.version for diagnosis in categories} == {CATEGORIES_VERSION}
    assert {diagnosis.level for diagnosis in categories} == {3}


def test_dagger_and_asterisk_are_kept_apart_from_the_code() -> None:
    categories = {diagnosis.code: diagnosis for diagnosis in by_system(CATEGORIES_SYSTEM)}
    assert categories["A17"].dagger_asterisk == "+"
    assert categories["D63"].dagger_asterisk == "*"
    assert categories["A15"].dagger_asterisk == ""
    assert sum(1 for diagnosis in categories.values() if diagnosis.dagger_asterisk) == 84


def test_source_has_no_chapters_xx_and_xxi() -> None:
    assert not [code for code in category_names() if code.startswith(CHAPTERS_MISSING_FROM_SOURCE)]


# --- the curated primary-care list -------------------------------------------------------------


def test_curated_list_size_and_order() -> None:
    curated = by_system(PRIMARY_CARE_SYSTEM)
    assert 150 <= len(curated) <= 250
    assert builtin_catalog()[: len(curated)] == curated  # curated first
    assert {diagnosis.version for diagnosis in curated} == {PRIMARY_CARE_VERSION}


@pytest.mark.parametrize("code", REQUIRED_PRIMARY_CARE_CODES)
def test_common_primary_care_code_is_in_the_curated_list(code: str) -> None:
    assert code in {diagnosis.code for diagnosis in by_system(PRIMARY_CARE_SYSTEM)}


def test_curated_codes_are_valid_and_their_categories_exist() -> None:
    categories = category_names()
    for diagnosis in by_system(PRIMARY_CARE_SYSTEM):
        assert is_icd10_code(diagnosis.code), diagnosis
        assert diagnosis.level in (3, 4), diagnosis
        if not diagnosis.code.startswith("Z"):  # chapter XXI, absent from the source
            assert diagnosis.code[:3] in categories, diagnosis


def test_curated_three_character_codes_carry_the_category_name() -> None:
    categories = category_names()
    for diagnosis in by_system(PRIMARY_CARE_SYSTEM):
        if diagnosis.level == 3 and diagnosis.code in categories:
            assert diagnosis.name == categories[diagnosis.code], diagnosis


def test_names_and_pinyin_are_present() -> None:
    for diagnosis in builtin_catalog():
        assert diagnosis.name and diagnosis.name == diagnosis.name.strip(), diagnosis
        assert KEY.fullmatch(diagnosis.pinyin_full), diagnosis
        assert KEY.fullmatch(diagnosis.pinyin_initials), diagnosis


def test_no_duplicate_codes_within_a_system() -> None:
    counts = Counter((diagnosis.system, diagnosis.code) for diagnosis in builtin_catalog())
    assert [key for key, count in counts.items() if count > 1] == []


def test_curated_entries() -> None:
    curated = {diagnosis.code: diagnosis for diagnosis in by_system(PRIMARY_CARE_SYSTEM)}
    assert curated["I10"].name == "特发性(原发性)高血压"
    assert curated["E11.9"].name == "非胰岛素依赖型糖尿病不伴有并发症"
    assert curated["E11.9"].note == "2型糖尿病"
    assert (curated["H36.0"].level, curated["H36.0"].dagger_asterisk) == (4, "*")
    assert curated["K29.7"].pinyin_initials == "wtzdwy"


def test_medical_readings_correct_pypinyin() -> None:
    curated = {diagnosis.code: diagnosis for diagnosis in by_system(PRIMARY_CARE_SYSTEM)}
    assert "jingzhui" in curated["M50.2"].pinyin_full  # 颈椎, not "jingchui"
    assert curated["I69.4"].pinyin_initials.startswith("ncz")  # 脑卒中, not "nzz"
    assert "jiannianlian" in curated["M75.0"].pinyin_full  # 肩粘连
    assert "chuxue" in curated["I61.9"].pinyin_full  # 脑内出血


def test_builtin_catalog_cannot_be_changed_by_a_caller() -> None:
    builtin_catalog().clear()
    assert len(builtin_catalog()) > 1586


# --- code validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["I10", "E11.9", "S72.00", "U07.1", "e11.9", "I10.x00", "I10.X00", "E11.900", "I10.x00x002"]
)
def test_valid_codes(code: str) -> None:
    assert is_icd10_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "I1",
        "I100",
        "110",
        "II0",
        "I10.",
        "I10.1234",
        "I10.xx0",
        "I10.x",
        "I10.x0",
        "I10.x00x02",
        "I10.x00y002",
        "E11.9+",
        " I10",
        "I10 ",
        "E11,9",
    ],
)
def test_invalid_codes(code: str) -> None:
    assert not is_icd10_code(code)


# --- county lists ------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as target:
        csv.writer(target, delimiter=delimiter).writerows(rows)
    return path


COUNTY_ROWS = [
    ["疾病编码", "疾病名称"],  # row 1
    ["I10.x00", "原发性高血压"],
    ["", "没有编码的诊断"],  # row 3: empty code
    ["I10.X00x002", "高血压1级"],  # canonical form I10.x00x002
    ["I1O", "字母O不是数字"],  # row 5: malformed
    ["", ""],  # blank: skipped silently
    ["I10.x00", "原发性高血压(重复)"],  # row 7: duplicate of row 2
    ["E11.900", ""],  # row 8: no name
    ["A17.0+", "结核性脑膜炎"],
]


def check_county_result(path: Path) -> None:
    result = read_county_list(path, "ICD-10-GJLC", "2.0")
    assert [(d.code, d.name) for d in result.diagnoses] == [
        ("I10.x00", "原发性高血压"),
        ("I10.x00x002", "高血压1级"),
        ("A17.0", "结核性脑膜炎"),
    ]
    assert [(p.code, p.params["row"]) for p in result.problems] == [
        ("icd_import.empty_code", 3),
        ("icd_import.malformed_code", 5),
        ("icd_import.duplicate_code", 7),
        ("icd_import.empty_name", 8),
    ]
    assert result.problems[2].params["first_row"] == 2
    first = result.diagnoses[0]
    assert (first.system, first.version, first.level) == ("ICD-10-GJLC", "2.0", 6)
    assert (first.pinyin_full, first.pinyin_initials) == ("yuanfaxinggaoxueya", "yfxgxy")
    assert result.diagnoses[2].dagger_asterisk == "+"


def test_county_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "county.csv", COUNTY_ROWS, "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    check_county_result(path)


def test_county_csv_gbk(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "county.csv", COUNTY_ROWS, "gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    check_county_result(path)


def test_county_text_utf16_tab_separated(tmp_path: Path) -> None:
    # Excel's "Unicode text" export.
    check_county_result(write_csv(tmp_path / "county.txt", COUNTY_ROWS, "utf-16", delimiter="\t"))


def test_county_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in COUNTY_ROWS:
        sheet.append([cell or None for cell in row])
    path = tmp_path / "county.xlsx"
    workbook.save(path)
    check_county_result(path)


def test_xlsx_with_blank_and_title_rows_number_cells_and_dagger_sign(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A2"] = "某县基层医疗机构诊断目录"  # title row after a blank row
    sheet.append(["序号", "ICD-10 编码", "诊断名称"])  # row 3: header
    sheet.append([1, "A17.0†", "结核性脑膜炎"])
    sheet.append([2, 10.5, "数字"])  # row 5: a number is not a code
    path = tmp_path / "county.xlsx"
    workbook.save(path)
    result = read_county_list(path, "ICD-10-GJLC", "2.0")
    assert [(d.code, d.dagger_asterisk) for d in result.diagnoses] == [("A17.0", "+")]
    assert [(p.code, p.params["row"], p.params["code"]) for p in result.problems] == [
        ("icd_import.malformed_code", 5, "10.5")
    ]


def test_most_specific_code_column_wins(tmp_path: Path) -> None:
    rows = [
        ["类目代码", "类目名称", "诊断代码", "诊断名称"],
        ["I10", "特发性(原发性)高血压", "I10.x00", "原发性高血压"],
    ]
    result = read_county_list(write_csv(tmp_path / "yb.csv", rows, "utf-8"), "ICD-10-YB", "2.0")
    assert [(d.code, d.name) for d in result.diagnoses] == [("I10.x00", "原发性高血压")]


def test_problem_messages_are_translated_when_read(tmp_path: Path) -> None:
    result = read_county_list(write_csv(tmp_path / "c.csv", COUNTY_ROWS, "utf-8"), "ICD-10-GJLC", "2.0")
    empty_code, malformed = result.problems[:2]
    i18n.set_language("en")
    assert empty_code.message == "Row 3: the code is empty."
    assert malformed.message == 'Row 5: "I1O" is not an ICD-10 code.'


def test_file_without_code_and_name_columns_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["序号", "说明"], ["1", "I10"]], "utf-8")
    with pytest.raises(DomainError) as refused:
        read_county_list(path, "ICD-10-GJLC", "2.0")
    assert refused.value.problem.code == "icd_import.no_columns"


def test_old_xls_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "county.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(DomainError) as refused:
        read_county_list(path, "ICD-10-GJLC", "2.0")
    assert refused.value.problem.code == "icd_import.old_xls"


def test_text_in_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "county.csv"
    path.write_bytes("编码,名称\n".encode() + b"I10,\x80\x80\n")
    with pytest.raises(DomainError) as refused:
        read_county_list(path, "ICD-10-GJLC", "2.0")
    assert refused.value.problem.code == "icd_import.unknown_encoding"


def test_xlsx_without_openpyxl_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "county.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes "import openpyxl" fail
    with pytest.raises(DomainError) as refused:
        read_county_list(path, "ICD-10-GJLC", "2.0")
    assert "pip install clinic-tui[xlsx]" in refused.value.message


# --- translations ------------------------------------------------------------------------------


def test_every_message_has_a_chinese_translation() -> None:
    babel_extract = pytest.importorskip("babel.messages.extract")
    from babel.messages.pofile import read_po

    package = Path(__file__).parents[2] / "clinic_tui"
    with (package / "locale" / "zh_CN" / "LC_MESSAGES" / "clinic_tui.po").open("rb") as po:
        catalog = read_po(po)
    msgids = [
        message
        for module in ("pinyin.py", "icd_catalog.py")
        for _, message, _, _ in babel_extract.extract_from_file(
            "python", package / "search" / module, keywords={"_": None, "N_": None}
        )
    ]
    assert len(msgids) == 8
    for msgid in msgids:
        translation = catalog.get(msgid)
        assert translation is not None and translation.string, msgid
        placeholders = set(re.findall(r"\{\w+\}", msgid))
        assert set(re.findall(r"\{\w+\}", translation.string)) == placeholders, msgid
