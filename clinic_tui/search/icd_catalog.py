"""The diagnosis catalogue: ICD-10 codes with Chinese names and pinyin keys.

Two lists ship with the app (see ``clinic_tui/resources/icd10/README.md``): a curated list of the
codes common in primary care, and the ICD-10 three-character categories. A county replaces or
completes them with its official list (国家临床版2.0 or 医保版2.0), read by ``read_county_list``.
Every diagnosis keeps its code system and version, so a stored code can always be traced back.
Files are read on first use and cached; nothing is loaded at import time.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_
from clinic_tui.search.pinyin import text_keys

CATEGORIES_SYSTEM = "ICD-10"
CATEGORIES_VERSION = "chaseliu-2017-05-03"
PRIMARY_CARE_SYSTEM = "ICD-10-primary-care"
PRIMARY_CARE_VERSION = "clinic-tui-1"

# WHO form: letter, two digits, optionally "." and one or two digits (E11.9, S72.00).
# 国家临床版2.0 / 医保版2.0 form: "." then three characters, the first of which is "x" when the
# category has no subdivision, optionally followed by an "x" and a three-digit extension
# (I10.x00, E11.900, I10.x00x002).
_ICD10_CODE = re.compile(r"[A-Z][0-9]{2}(\.([0-9]{1,2}|[0-9X][0-9]{2}(X[0-9]{3})?))?", re.IGNORECASE)
# Dagger (the underlying disease) and asterisk (its manifestation) written after a code; the
# sources write the dagger as "+", some county lists as "†".
_MARKERS = {"+": "+", "†": "+", "*": "*"}

# Where pypinyin misreads medical vocabulary (颈椎 "jingchui", 脑卒中 "naozuzhong", 粘膜 "zhanmo",
# 出血 "chuxie"), or a function word next to another character (热和光 "rehuoguang", 物质的影响 "di").
# In diagnosis titles 椎 is always zhuī, 粘 (= 黏) nián, 和 hé and 的 de.
MEDICAL_READINGS: dict[str, tuple[str, ...]] = {
    "卒中": ("cu", "zhong"),
    "出血": ("chu", "xue"),
    "剥脱": ("bo", "tuo"),
    "椎": ("zhui",),
    "粘": ("nian",),
    "和": ("he",),
    "的": ("de",),
}

# Header cells that name the code and name columns, most specific first: 医保版 lists have
# 类目代码, 亚目代码 and 诊断代码 side by side, and the last one is the diagnosis. Compared after
# NFKC, lower-casing and removing spaces, "-" and "_" ("ICD-10 编码" -> "icd10编码").
CODE_HEADERS = (
    "诊断编码",
    "诊断代码",
    "疾病编码",
    "疾病代码",
    "疾病诊断编码",
    "icd10编码",
    "icd10代码",
    "icd编码",
    "icd代码",
    "主要编码",
    "编码",
    "代码",
    "icd10",
    "icd",
    "code",
)
NAME_HEADERS = ("诊断名称", "疾病名称", "疾病诊断名称", "名称", "中文名称", "name", "诊断", "疾病")
# Exported sheets often start with a title row or two ("XX县基层诊断目录").
_HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class Diagnosis:
    code: str  # canonical: upper-case letter, lower-case "x" placeholder, no dagger/asterisk
    name: str
    system: str  # which list the code comes from, e.g. "ICD-10", "ICD-10-primary-care"
    version: str  # version of that list, e.g. "chaseliu-2017-05-03"
    level: int  # characters in the code, not counting the dot: 3 for I10, 4 for E11.9
    pinyin_full: str  # of the name, every character read normally
    pinyin_initials: str
    dagger_asterisk: str = ""  # "+" dagger, "*" asterisk, "" neither
    note: str = ""  # the common clinical name (冠心病) or a remark on the title
    note_keys: str = ""  # initials and full pinyin of each clinical name in the note, space-separated


@dataclass(frozen=True)
class ImportResult:
    diagnoses: tuple[Diagnosis, ...]
    problems: tuple[Problem, ...]  # one per refused row; the other rows are imported


def is_icd10_code(code: str) -> bool:
    """Whether ``code`` is an ICD-10 code in WHO or 国家临床版2.0 form (case does not matter).

    The code must be bare: no spaces and no dagger/asterisk marker.
    """
    return _ICD10_CODE.fullmatch(code) is not None


def builtin_catalog() -> list[Diagnosis]:
    """The diagnoses shipped with the app: the curated primary-care list, then the categories."""
    return [*_primary_care(), *_categories()]


# Bump when the way keys are made from a row changes (the shipped files are fingerprinted anyway).
CATALOG_KEYS_VERSION = 2

# Parts of a note that are remarks for the curators, not names a doctor would type.
_NOTE_REMARK = re.compile(r"待核对|编码|ICD|版|合用")
_NOTE_SEPARATORS = re.compile(r"[;；、,，]")
_NOTE_ASIDE = re.compile(r"(.*?)[(（](.*?)[)）]\s*$")


def note_terms(note: str) -> list[str]:
    """The clinical names in a curated note: "冠心病(冠状动脉粥样硬化性心脏病)" gives both names,
    "常称急性胃肠炎;待核对" gives 急性胃肠炎, "原发性高血压;国临版2.0编码为I10.x00" gives 原发性高血压."""
    terms: list[str] = []
    for part in _NOTE_SEPARATORS.split(note):
        part = part.strip().removeprefix("常称")
        if not part or _NOTE_REMARK.search(part):
            continue
        aside = _NOTE_ASIDE.fullmatch(part)
        terms += [t.strip() for t in (aside.groups() if aside else (part,)) if t.strip()]
    return terms


def _note_keys(note: str) -> str:
    """Pairs "initials full" for each clinical name of the note: "yfxgxy yuanfaxinggaoxueya"."""
    pairs: list[str] = []
    for term in note_terms(note):
        if term.isascii():  # COPD, TIA: typed as they are
            letters = re.sub(r"[^0-9a-z]", "", term.lower())
            pairs.append(f"{letters} {letters}" if letters else "")
            continue
        term_keys = text_keys(term, MEDICAL_READINGS)
        pairs.append(f"{term_keys.initials} {term_keys.full}" if term_keys.initials else "")
    return " ".join(p for p in pairs if p)


def key_pairs(initials: str, full: str, note_keys: str) -> list[tuple[str, str]]:
    """The (initials, full pinyin) of a diagnosis's name and of each clinical name in its note."""
    words = note_keys.split()
    return [(initials, full), *zip(words[::2], words[1::2], strict=False)]


# The app_setting row that holds the fingerprint of the lists last loaded into a database.
BUILTIN_FINGERPRINT_KEY = "builtin_diagnoses"


def builtin_fingerprint() -> str:
    """Changes whenever the shipped lists, their versions or the pinyin readings used change."""
    import hashlib

    digest = hashlib.sha256(
        repr(
            (CATALOG_KEYS_VERSION, CATEGORIES_VERSION, PRIMARY_CARE_VERSION, sorted(MEDICAL_READINGS.items()))
        ).encode()
    )
    for filename in ("primary_care.csv", "disease.csv"):
        digest.update(_resource_text(filename).encode())
    return digest.hexdigest()[:16]


def read_county_list(path: str | Path, system: str, version: str) -> ImportResult:
    """Read a county's official diagnosis list from CSV or XLSX.

    CSV may be UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 as Chinese Excel
    saves it, separated by commas, tabs or semicolons. The header row is found among the first
    rows by the names in ``CODE_HEADERS`` and ``NAME_HEADERS``. Rows with an empty or malformed
    code, no name, or a code already seen are reported with their row number (as the spreadsheet
    shows it) and skipped. Raises ``DomainError`` when the file as a whole cannot be read.
    """
    path = Path(path)
    rows = _read_rows(path)
    header_row, code_column, name_column = _find_columns(rows, path.name)
    diagnoses: list[Diagnosis] = []
    problems: list[Problem] = []
    first_row_of_code: dict[str, int] = {}
    for row_number, cells in enumerate(rows[header_row + 1 :], start=header_row + 2):
        raw_code = _cell(cells, code_column)
        name = _cell(cells, name_column)
        if not raw_code and not name:
            continue  # blank line or a footnote in another column
        code, marker = _split_code(raw_code)
        problem = _row_problem(row_number, raw_code, code, name, first_row_of_code)
        if problem is not None:
            problems.append(problem)
            continue
        first_row_of_code[code] = row_number
        diagnoses.append(_diagnosis(code, marker, name, system, version))
    return ImportResult(tuple(diagnoses), tuple(problems))


@lru_cache(maxsize=1)
def _categories() -> tuple[Diagnosis, ...]:
    rows = csv.DictReader(io.StringIO(_resource_text("disease.csv")), delimiter="\t")
    return tuple(
        _diagnosis(*_split_code(row["code"]), row["disease"], CATEGORIES_SYSTEM, CATEGORIES_VERSION) for row in rows
    )


@lru_cache(maxsize=1)
def _primary_care() -> tuple[Diagnosis, ...]:
    rows = csv.DictReader(io.StringIO(_resource_text("primary_care.csv")))
    return tuple(
        _diagnosis(
            *_split_code(row["code"]),
            row["name"],
            PRIMARY_CARE_SYSTEM,
            PRIMARY_CARE_VERSION,
            note=row["note"],
        )
        for row in rows
    )


def _resource_text(filename: str) -> str:
    return resources.files("clinic_tui.resources").joinpath("icd10", filename).read_text("utf-8")


def _diagnosis(code: str, marker: str, name: str, system: str, version: str, note: str = "") -> Diagnosis:
    keys = text_keys(name, MEDICAL_READINGS)
    return Diagnosis(
        code=code,
        name=name,
        system=system,
        version=version,
        level=len(code.replace(".", "")),
        pinyin_full=keys.full,
        pinyin_initials=keys.initials,
        dagger_asterisk=marker,
        note=note,
        note_keys=_note_keys(note) if note else "",
    )


def _split_code(raw: str) -> tuple[str, str]:
    """The canonical code and its dagger/asterisk marker: " i10.X00 " -> ("I10.x00", "")."""
    code = re.sub(r"\s", "", unicodedata.normalize("NFKC", raw))
    marker = ""
    if code and code[-1] in _MARKERS:
        code, marker = code[:-1], _MARKERS[code[-1]]
    category, dot, rest = code.partition(".")
    return category.upper() + dot + rest.lower(), marker


def _row_problem(row: int, raw_code: str, code: str, name: str, first_row_of_code: dict[str, int]) -> Problem | None:
    if not code:
        return Problem("icd_import.empty_code", N_("Row {row}: the code is empty."), {"row": row}, field="code")
    if not is_icd10_code(code):
        return Problem(
            "icd_import.malformed_code",
            N_('Row {row}: "{code}" is not an ICD-10 code.'),
            {"row": row, "code": raw_code},
            field="code",
        )
    if not name:
        return Problem(
            "icd_import.empty_name",
            N_("Row {row}: code {code} has no name."),
            {"row": row, "code": code},
            field="name",
        )
    if code in first_row_of_code:
        return Problem(
            "icd_import.duplicate_code",
            N_("Row {row}: code {code} already appears in row {first_row}."),
            {"row": row, "code": code, "first_row": first_row_of_code[code]},
            field="code",
        )
    return None


def _read_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):  # a zip archive: .xlsx whatever the file is called
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2 container: Excel 97-2003 .xls
        raise DomainError(
            Problem(
                "icd_import.old_xls",
                N_("{file} is an old Excel .xls file: save it as .xlsx or CSV first."),
                {"file": path.name},
            )
        )
    text = _decode(data, path.name)
    return list(csv.reader(io.StringIO(text), delimiter=_delimiter(text)))


def _decode(data: bytes, filename: str) -> str:
    # GBK text almost never happens to be valid UTF-8, so trying UTF-8 first is safe.
    # GB18030 is a superset of GBK, which Chinese Excel uses for "CSV (逗号分隔)".
    encodings: tuple[str, ...]
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(
        Problem(
            "icd_import.unknown_encoding",
            N_("{file} is neither UTF-8 nor GBK text: save it again as CSV UTF-8 or as .xlsx."),
            {"file": filename},
        )
    )


def _delimiter(text: str) -> str:
    """The separator used most in the first lines: comma, tab or semicolon."""
    sample = "\n".join(text.splitlines()[:_HEADER_SEARCH_ROWS])
    return max((",", "\t", ";"), key=sample.count)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        from openpyxl import load_workbook
    except ImportError as missing:
        raise DomainError(
            Problem(
                "icd_import.needs_openpyxl",
                N_("Reading .xlsx files needs openpyxl: pip install clinic-tui[xlsx]"),
            )
        ) from missing
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        # Leading blank rows are included, so row numbers match what Excel shows.
        return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _find_columns(rows: list[list[str]], filename: str) -> tuple[int, int, int]:
    """Index of the header row, and of the code and name columns in it."""
    for index, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        headers = [_header_key(cell) for cell in cells]
        code_column = _first_column(headers, CODE_HEADERS)
        name_column = _first_column(headers, NAME_HEADERS)
        if code_column is not None and name_column is not None:
            return index, code_column, name_column
    raise DomainError(
        Problem(
            "icd_import.no_columns",
            N_(
                "{file}: no header row with a code column (编码, 代码, 疾病编码, 诊断编码, ICD编码 "
                "or code) and a name column (名称, 疾病名称, 诊断名称 or name) in the first {rows} rows."
            ),
            {"file": filename, "rows": _HEADER_SEARCH_ROWS},
        )
    )


def _header_key(cell: str) -> str:
    return re.sub(r"[\s\-_]", "", unicodedata.normalize("NFKC", cell).lower())


def _first_column(headers: list[str], wanted: tuple[str, ...]) -> int | None:
    for header in wanted:
        if header in headers:
            return headers.index(header)
    return None


def _cell(cells: list[str], column: int) -> str:
    return cells[column].strip() if column < len(cells) else ""
