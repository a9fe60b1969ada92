"""The referral slip (转诊单) as a printable page: A4 HTML and fixed-width plain text.

Both are made from one list of sections (``slip_sections``), in the current language, so the
printed page and the text copy never disagree. No Textual here: the CLI or a test can print one.
Every value the user typed is HTML-escaped; the text copy aligns columns by display cells, since
a Chinese character takes two columns of a terminal or a fixed-width printer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.cells import cell_len

from clinic_tui import clock
from clinic_tui.domain.codes import ID_DOCUMENT_TYPE, INSURANCE_TYPE, SEX
from clinic_tui.domain.record_text import CONSENT_BY_LABELS, HISTORY_KIND_LABELS, TRANSPORT_LABELS, verdict_label
from clinic_tui.domain.referral import (
    DIRECTION_LABELS,
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    Urgency,
)
from clinic_tui.domain.slip_results import SlipResult, flag_text, recognised_label
from clinic_tui.i18n import _, current_language

TEXT_WIDTH = 78  # cells of the plain-text copy: fits an 80-column printer or terminal
MAX_LABEL_WIDTH = 26  # a longer label wraps its value under it rather than squeezing it


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    more: list[Table] = field(default_factory=list)  # further tables under the first (when not empty)

    @property
    def tables(self) -> list[Table]:
        return ([self.table] if self.table is not None else []) + self.more


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.local(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _label(labels: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return _(labels[code]) if code in labels else code


def _code_label(code_set, code: str | None) -> str:
    if not code:
        return ""
    return code_set.label(code) if code_set.is_valid(code) else code


def _joined(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p not in (None, ""))


def _diagnoses(items: Iterable[dict]) -> str:
    return _("; ").join(_joined(d.get("code"), d.get("name")) for d in items or ())


def is_green_channel(urgency: str) -> bool:
    return urgency == Urgency.EMERGENCY


def slip_sections(referral: Any, answer: Any = None) -> list[Section]:
    """The slip's content: the patient's part, the hospital's part, the downward part if any.

    ``referral`` is a ``Referral`` row; ``answer`` the hospital's decision (a history entry with
    ``to_status``, ``reason`` and the appointment fields), when it has answered.
    """
    r = referral
    yes, no = _("Yes"), _("No")
    document = _joined(_code_label(ID_DOCUMENT_TYPE, r.patient_id_type), r.patient_id_number)
    sections = [
        Section(
            _("Referral"),
            [
                (_("Direction"), _label(DIRECTION_LABELS, r.direction)),
                (_("Purpose"), _label(PURPOSE_LABELS, r.purpose)),
                (_("Urgency"), _label(URGENCY_LABELS, r.urgency)),
                (_("Referral date"), _day(r.referral_date)),
                (_("Status"), _label(STATUS_LABELS, r.status)),
            ],
        ),
        Section(
            _("Patient"),
            [
                (_("Name"), r.patient_name),
                (_("Sex"), _code_label(SEX, r.patient_sex)),
                (_("Birth date"), _day(r.patient_birth_date)),
                (_("ID document"), document),
                (_("Phone"), r.patient_phone or ""),
                (_("Address"), r.patient_address or ""),
                (
                    _("Insurance"),
                    _joined(_code_label(INSURANCE_TYPE, r.patient_insurance_type), r.patient_insurance_no),
                ),
            ],
        ),
        Section(
            _("Referred from"),
            [
                (_("Institution"), _joined(r.from_org_name, f"({r.from_org_code})" if r.from_org_code else "")),
                (_("Department"), r.from_department or ""),
                (_("Doctor"), r.from_doctor_name or ""),
                (_("Doctor's phone"), r.from_doctor_phone or ""),
            ],
        ),
        Section(
            _("Receiving institution"),
            [
                (_("Institution"), _joined(r.to_org_name, f"({r.to_org_code})" if r.to_org_code else "")),
                (_("Department"), r.to_department_name or r.to_department_code or ""),
                (_("Doctor wished"), r.to_doctor_wished or ""),
                (_("Date wished"), _day(r.wished_date)),
            ],
        ),
        Section(
            _("Condition"),
            [
                (_("Preliminary diagnoses"), _diagnoses(r.diagnoses)),
                (_("Reason for referral"), r.reason or ""),
                (_("Chief complaint"), r.chief_complaint or ""),
                (_("Present illness"), r.present_illness or ""),
                (
                    _("Past history"),
                    _joined(
                        r.past_history,
                        _("(kinds: {kinds})").format(
                            kinds=_(", ").join(_label(HISTORY_KIND_LABELS, k) for k in r.past_history_kinds)
                        )
                        if r.past_history_kinds
                        else "",
                    ),
                ),
                (_("Treatment so far"), r.treatment_so_far or ""),
                (_("Allergies"), r.allergies or ""),
                (_("Precautions"), r.precautions or ""),
            ],
        ),
        Section(
            _("Examinations and results"),
            table=Table(
                [_("Item"), _("Result"), _("Normal or abnormal")],
                [
                    [e.get("item") or "", e.get("result") or "", _(verdict_label(e.get("abnormal")))]
                    for e in r.examinations or ()
                ],
            ),
            more=_results_tables(getattr(r, "results", None)),
        ),
        Section(
            _("Current medication"),
            table=Table(
                [_("Drug"), _("Dose"), _("Frequency"), _("Route"), _("Days")],
                [
                    [
                        m.get("drug") or "",
                        _joined(m.get("dose"), m.get("unit")),
                        m.get("frequency") or "",
                        m.get("route") or "",
                        str(m.get("days") or ""),
                    ]
                    for m in r.medications or ()
                ],
            ),
        ),
        Section(
            _("Informed consent"),
            [
                (_("Consent given"), yes if r.consent_given else no),
                (_("Signed by"), _joined(_label(CONSENT_BY_LABELS, r.consent_by), r.consent_signer)),
            ],
        ),
    ]
    if is_green_channel(r.urgency) or r.transport:
        sections.append(
            Section(
                _("Transport assessment"),
                [(_(label), yes if (r.transport or {}).get(key) else no) for key, label in TRANSPORT_LABELS.items()],
            )
        )
    if r.direction == "up":
        sections.append(Section(_("Hospital's answer"), _answer_fields(r, answer)))
    else:
        sections.append(
            Section(
                _("Discharge and care at home"),
                [
                    (_("Discharge diagnoses"), _diagnoses(r.discharge_diagnoses)),
                    (_("Outcome"), _label(OUTCOME_LABELS, r.outcome)),
                    (_("Treatment plan"), r.treatment_plan or ""),
                    (_("Rehabilitation guidance"), r.rehab_guidance or ""),
                    (_("Medication to continue"), r.medication_to_continue or ""),
                    (
                        _("Follow-up schedule"),
                        _("; ").join(
                            _("after {days} days: {what}").format(days=f.get("after_days", ""), what=f.get("what", ""))
                            for f in r.followup_schedule or ()
                        ),
                    ),
                ],
            )
        )
    return sections


def _results_tables(entries: Any) -> list[Table]:
    """The lead hospital's results chosen for the slip, each with its institution, report date
    and 互认 mark (an unrecognised one says so); no table when none were chosen."""
    results = [SlipResult.from_wire(e) for e in entries or () if isinstance(e, dict)]
    if not results:
        return []
    headers = [
        _("Item"),
        _("Result"),
        _("Unit"),
        _("Reference range"),
        _("Flag"),
        _("Performed at"),
        _("Report date"),
        _("Mutual recognition"),
    ]
    rows = [
        [
            r.item,
            r.value,
            r.unit,
            r.reference_range,
            flag_text(r),
            r.institution or "",
            clock.local(r.reported_at).date().isoformat() if r.reported_at else "",
            recognised_label(r.recognised),
        ]
        for r in results
    ]
    return [Table(headers, rows)]


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def slot_text(answer: Any) -> str:
    """The appointment slot as a person reads it: department, day and time, number.

    The hub names a slot "<slot pool id>#<number>"; the pool's id is for machines, never shown.
    """
    slot = (answer and answer.appointment_slot_id) or ""
    if not slot:
        return ""
    _pool, hash_sign, number = slot.rpartition("#")
    if not hash_sign:
        number = "" if _UUID.search(slot) else slot
    numbered = _("No. {number}").format(number=number) if number else ""
    return _joined(answer.appointment_department, _day(answer.appointment_at), numbered)


def _answer_fields(r: Any, answer: Any) -> list[tuple[str, str]]:
    """The hospital's part: the appointment, or why it refused; blank lines to fill by hand."""
    rows = [
        (_("Appointment department"), (answer and answer.appointment_department) or ""),
        (_("Appointment doctor"), (answer and answer.appointment_doctor) or ""),
        (_("Appointment time"), _day(answer.appointment_at) if answer else ""),
        (_("Slot"), slot_text(answer)),
    ]
    if answer is not None and answer.to_status == "rejected":
        rows.append((_("Rejection reason"), answer.reason or ""))
    if r.cancel_reason:
        rows.append((_("Cancellation reason"), r.cancel_reason))
    return rows


def _title(referral: Any) -> str:
    title = _("Two-way referral slip") + " · " + _label(DIRECTION_LABELS, referral.direction)
    return title + (" · " + _("Green channel") if is_green_channel(referral.urgency) else "")


def _header_lines(clinic: Any) -> list[str]:
    if clinic is None:
        return []
    return [_joined(clinic.name, f"({clinic.code})"), _joined(clinic.address, clinic.phone)]


# --- HTML

_CSS = """
@page { size: A4; margin: 15mm 15mm 18mm 15mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 11pt; color: #000; }
header { text-align: center; border-bottom: 2px solid #000; margin-bottom: 4mm; }
header .clinic { font-size: 14pt; font-weight: bold; }
h1 { font-size: 16pt; text-align: center; margin: 2mm 0; }
.number { display: flex; justify-content: space-between; font-size: 10pt; margin-bottom: 3mm; }
.green { color: #fff; background: #1a7f37; padding: 0 2mm; font-weight: bold; }
section { break-inside: avoid; margin-bottom: 3mm; }
h2 { font-size: 12pt; border-bottom: 1px solid #000; margin: 2mm 0 1mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid #555; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th.label { width: 32mm; background: #eee; font-weight: normal; white-space: nowrap; }
.signatures { display: flex; justify-content: space-between; margin-top: 8mm; }
@media print { body { margin: 0; } }
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def render_html(referral: Any, clinic: Any = None, answer: Any = None) -> str:
    """A self-contained A4 page: the clinic's header, the number, every field of the slip."""
    header = "".join(
        f'<div class="{"clinic" if i == 0 else "contact"}">{_e(line)}</div>'
        for i, line in enumerate(_header_lines(clinic))
        if line
    )
    green = f' <span class="green">{_e(_("Green channel"))}</span>' if is_green_channel(referral.urgency) else ""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if current_language() == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(_title(referral))} {_e(referral.referral_no)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header>{header}</header>",
        f"<h1>{_e(_('Two-way referral slip'))} · {_e(_label(DIRECTION_LABELS, referral.direction))}{green}</h1>",
        f'<div class="number"><span>{_e(_("Referral number"))}: <b>{_e(referral.referral_no)}</b></span>'
        f"<span>{_e(_('Referral date'))}: {_e(_day(referral.referral_date))}</span></div>",
    ]
    for section in slip_sections(referral, answer):
        parts.append(f"<section><h2>{_e(section.title)}</h2>")
        if section.fields:
            rows = "".join(
                f'<tr><th class="label">{_e(label)}</th><td>{_e(value)}</td></tr>' for label, value in section.fields
            )
            parts.append(f"<table>{rows}</table>")
        for table in section.tables:
            head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
            body = (
                "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in table.rows)
                or f'<tr><td colspan="{len(table.headers)}">{_e(_("None recorded"))}</td></tr>'
            )
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
        parts.append("</section>")
    parts.append(
        '<div class="signatures">'
        f"<span>{_e(_('Referring doctor (signature)'))}: ________</span>"
        f"<span>{_e(_('Patient or family (signature)'))}: ________</span>"
        f"<span>{_e(_('Date'))}: ________</span></div>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


# --- Plain text


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` display cells (CJK characters count two)."""
    return text + " " * max(0, width - cell_len(text))


_TOKENS = re.compile(r"[!-~]+|\s+|.", re.S)


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells: breaks between CJK characters or at spaces."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        line = ""
        for token in _TOKENS.findall(paragraph):
            while cell_len(token) > width:  # a word longer than the line: cut it
                room = width - cell_len(line)
                cut = 0
                while cut < len(token) and cell_len(token[: cut + 1]) <= room:
                    cut += 1
                if cut == 0:
                    lines.append(line.rstrip())
                    line = ""
                    continue
                lines.append(line + token[:cut])
                line, token = "", token[cut:]
            if cell_len(line) + cell_len(token) > width:
                lines.append(line.rstrip())
                line = "" if token.isspace() else token
            else:
                line += token
        lines.append(line.rstrip())
    return lines


MIN_COLUMN = 4  # cells: a column narrowed to fit the line keeps at least this (two CJK characters)
MAX_WORD = 12  # a longer word may be cut when its column has to give way


def _longest_word(text: str) -> int:
    return max((cell_len(token) for token in _TOKENS.findall(text or "") if not token.isspace()), default=0)


def _text_table(table: Table, width: int) -> list[str]:
    """The table in columns two cells apart; when it is wider than ``width``, the widest column
    gives way first and its cells wrap onto more lines (nothing is cut off the page)."""
    rows = [table.headers, *table.rows]
    columns = range(len(table.headers))
    widths = [max(cell_len(row[i]) for row in rows) for i in columns]
    # A column narrows down to its longest word first (a date, "Recognised"), so words are not cut
    # while any column can still give way at a space or between CJK characters.
    words = [max(max(min(_longest_word(row[i]), MAX_WORD) for row in rows), MIN_COLUMN) for i in columns]
    for floor in (words, [MIN_COLUMN] * len(widths)):
        while sum(widths) + 2 * (len(widths) - 1) > width:
            slack = [w if w > floor[i] else 0 for i, w in enumerate(widths)]
            if not any(slack):
                break
            widths[slack.index(max(slack))] -= 1
    lines = []
    for row in rows:
        cells = [wrap_cells(cell, widths[i]) for i, cell in enumerate(row)]
        for n in range(max(len(c) for c in cells)):
            lines.append("  ".join(pad(c[n] if n < len(c) else "", widths[i]) for i, c in enumerate(cells)).rstrip())
        if row is table.headers:
            header_end = len(lines)
    lines.insert(header_end, "-" * min(width, max(cell_len(line) for line in lines)))
    if not table.rows:
        lines.append(_("None recorded"))
    return lines


def render_text(referral: Any, clinic: Any = None, answer: Any = None, width: int = TEXT_WIDTH) -> str:
    """The slip as fixed-width text, labels and values aligned in columns of display cells."""

    def centred(line: str) -> str:
        return " " * max(0, (width - cell_len(line)) // 2) + line

    sections = slip_sections(referral, answer)
    labels = [_("Referral number")] + [label for s in sections for label, _v in s.fields]
    label_width = min(MAX_LABEL_WIDTH, max(cell_len(label) for label in labels) + 2)
    lines = [centred(line) for line in _header_lines(clinic) if line]
    lines += [
        centred(_title(referral)),
        "=" * width,
        f"{pad(_('Referral number'), label_width)}{referral.referral_no}",
    ]
    for section in sections:
        lines += ["", f"[{section.title}]"]
        for label, value in section.fields:
            if cell_len(label) + 2 > label_width:
                lines.append(label)
                label = ""
            wrapped = wrap_cells(value, width - label_width)
            lines.append((pad(label, label_width) + wrapped[0]).rstrip())
            lines += [" " * label_width + more for more in wrapped[1:]]
        for table in section.tables:
            lines += _text_table(table, width)
    lines += ["", "-" * width, ""]
    for label in (_("Referring doctor (signature)"), _("Patient or family (signature)"), _("Date")):
        lines += [f"{pad(label, label_width)}________________", ""]
    return "\n".join(line.rstrip() for line in lines)


# --- Files


def slip_file_stem(referral_no: str) -> str:
    """A file name made of the referral number, safe on every file system."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", referral_no).strip("._") or "referral"


def save_slip(referral: Any, clinic: Any, answer: Any, folder: Path) -> tuple[Path, Path]:
    """Write ``<number>.html`` and ``<number>.txt`` into ``folder``; returns both paths."""
    from clinic_tui.data.private_files import private_folder, write_private_text

    private_folder(folder)  # a slip names a patient: owner-only, like the database
    stem = slip_file_stem(referral.referral_no)
    html_path, text_path = folder / f"{stem}.html", folder / f"{stem}.txt"
    write_private_text(html_path, render_html(referral, clinic, answer), encoding="utf-8")
    # UTF-8 with a BOM, so Notepad on an older Windows reads the Chinese correctly.
    write_private_text(text_path, render_text(referral, clinic, answer), encoding="utf-8-sig")
    return html_path, text_path


def open_in_viewer(path: Path) -> bool:
    """Ask the system to show ``path``; False when there is no graphical viewer to ask.

    A console browser (lynx, w3m) is never started: it would take over the app's terminal.
    """
    import os
    import sys
    import webbrowser

    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]
            return True
        browser = webbrowser.get()
        if isinstance(browser, webbrowser.GenericBrowser) and not isinstance(browser, webbrowser.BackgroundBrowser):
            return False
        return bool(browser.open(path.resolve().as_uri()))
    except (webbrowser.Error, OSError):
        return False


def slips_folder() -> Path:
    from clinic_tui.config import data_dir

    return data_dir() / "slips"
