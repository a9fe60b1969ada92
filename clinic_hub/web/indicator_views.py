"""The county's indicators of a month, shaped for the indicators page and its CSV/XLSX exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinic_hub.indicators import county
from clinic_hub.schemas.indicators import ClinicIndicators, IndicatorsResponse, ReservedSlotUse
from clinic_hub.web.views import T, label
from clinic_tui.domain.contract import KEY_POPULATION_COVERAGE_TARGET_PERCENT as TARGET
from clinic_tui.domain.contract import KEY_POPULATION_LABELS
from clinic_tui.domain.indicators import next_month, previous_month
from clinic_tui.domain.referral import (
    STATUS_LABELS,
    Status,
)

# --- the county's indicators of a month -------------------------------------------------------------

STATUS_ORDER = [s.value for s in Status]


@dataclass
class Figure:
    """One figure of the indicators page and of its exports: a count, maybe of a whole, and its share."""

    key: str  # e.g. "county.up.sent", "C01.effective", "slots.NEI.used": the page's data-key
    item: str
    count: int
    of: int | None = None
    share: float | None = None  # 0..1, as the indicator service rounds it
    bar: float = 0.0  # 0..100, the width of its bar
    below_target: bool = False

    @property
    def percent(self) -> str:
        return "-" if self.share is None else f"{self.share * 100:.1f}%"

    @property
    def rate(self) -> float | None:
        return None if self.share is None else round(self.share * 100, 1)


@dataclass
class FigureGroup:
    key: str
    title: str
    figures: list[Figure]


@dataclass
class Scope:
    """The county or one clinic."""

    key: str
    code: str
    name: str
    groups: list[FigureGroup]

    def figure(self, name: str) -> Figure:
        return next(f for g in self.groups for f in g.figures if f.key == f"{self.key}.{name}")


@dataclass
class IndicatorsView:
    month: str
    previous: str
    next: str | None  # None: the next month has not begun
    county: Scope
    clinics: list[Scope]
    slots: FigureGroup
    beds: FigureGroup  # the same for inpatient bed days
    target: int  # the key populations' coverage target, percent


def _rate_figure(key: str, item: str, part: int, whole: int, share: float | None, target: int | None = None) -> Figure:
    return Figure(
        key,
        item,
        part,
        whole,
        share,
        bar=min(100.0, (share or 0.0) * 100),
        below_target=target is not None and share is not None and share * 100 < target,
    )


def _status_figures(t: T, key: str, total: int, by_status: dict[str, int]) -> list[Figure]:
    order = [s for s in STATUS_ORDER if s in by_status] + sorted(set(by_status) - set(STATUS_ORDER))
    biggest = max([total, 1])
    return [Figure(f"{key}.total", t("Total"), total, bar=100.0 if total else 0.0)] + [
        Figure(f"{key}.{s}", label(t, STATUS_LABELS, s), by_status[s], bar=100 * by_status[s] / biggest) for s in order
    ]


def _scope(t: T, key: str, c: ClinicIndicators, target: int) -> Scope:
    """One scope's figures from the indicator service's own (a ClinicIndicators)."""
    k = key
    contracts = c.contracts
    return Scope(
        key,
        c.clinic_code,
        c.clinic_name,
        [
            FigureGroup("up", t("Upward referrals"), _status_figures(t, f"{k}.up", c.upward.total, c.upward.by_status)),
            FigureGroup(
                "down", t("Downward referrals"), _status_figures(t, f"{k}.down", c.downward.total, c.downward.by_status)
            ),
            FigureGroup(
                "rates",
                t("Referral rates"),
                [
                    _rate_figure(
                        f"{k}.accepted",
                        t("Acceptance rate (upward)"),
                        c.upward_accepted,
                        c.upward_to_hospital,
                        c.accepted_share,
                    ),
                    _rate_figure(
                        f"{k}.effective",
                        t("Effective referral rate (the patient arrived)"),
                        c.upward_arrived,
                        c.upward_to_hospital,
                        c.effective_share,
                    ),
                    _rate_figure(
                        f"{k}.within_24h",
                        t("Answered within 24 h"),
                        c.answered_within_24h,
                        c.upward_sent,
                        c.answered_within_24h_share,
                    ),
                    _rate_figure(
                        f"{k}.down_share",
                        t("Downward share of all referrals"),
                        c.downward.total,
                        c.upward.total + c.downward.total,
                        c.downward_share,
                    ),
                ],
            ),
            FigureGroup(
                "contracts",
                t("Family doctor contracts"),
                [
                    _rate_figure(
                        f"{k}.coverage",
                        t("All residents"),
                        contracts.signed_residents,
                        contracts.residents,
                        contracts.coverage,
                        target,
                    ),
                    *(
                        _rate_figure(
                            f"{k}.population.{tag}",
                            label(t, KEY_POPULATION_LABELS, tag),
                            cover.signed,
                            cover.residents,
                            cover.coverage,
                            target,
                        )
                        for tag, cover in contracts.key_populations.items()
                    ),
                    Figure(f"{k}.signed_in_month", t("Contracts signed in the month"), contracts.signed_in_month),
                ],
            ),
        ],
    )


def indicators_view(t: T, result: IndicatorsResponse, today: date) -> IndicatorsView:
    """The page's figures from the indicator service's answer (clinic_hub.indicators.compute):
    the county (the clinics summed), each clinic, and the hospital's reserved slots."""

    first = date.fromisoformat(f"{result.month}-01")
    following = next_month(first)

    def reserved_figures(key: str, uses: list[ReservedSlotUse]) -> list[Figure]:
        figures = []
        for s in uses:
            figures.append(
                _rate_figure(f"{key}.{s.department_code}.used", s.department_name, s.used, s.reserved, s.used_share)
            )
            figures.append(
                Figure(
                    f"{key}.{s.department_code}.over_quota",
                    t("{department}: over the quota", department=s.department_name),
                    s.over_quota,
                )
            )
        return figures

    return IndicatorsView(
        month=result.month,
        previous=f"{previous_month(first):%Y-%m}" if first.year > 1900 or first.month > 1 else result.month,
        next=f"{following:%Y-%m}" if following <= today and following.year <= 2199 else None,
        county=_scope(t, "county", county(result, t("County")), TARGET),
        clinics=[_scope(t, c.clinic_code, c, TARGET) for c in result.clinics],
        slots=FigureGroup(
            "slots", t("Reserved primary-care slots used"), reserved_figures("slots", result.reserved_slots)
        ),
        beds=FigureGroup("beds", t("Reserved primary-care beds used"), reserved_figures("beds", result.reserved_beds)),
        target=TARGET,
    )


def indicator_rows(t: T, view: IndicatorsView) -> list[list[Any]]:
    """The page's figures as rows (the CSV and XLSX exports): a header, then one row a figure."""
    rows: list[list[Any]] = [
        [t("Month"), t("Code"), t("Scope"), t("Section"), t("Item"), t("Count"), t("Of"), t("Rate (%)")]
    ]
    for scope in (view.county, *view.clinics):
        for group in scope.groups:
            for f in group.figures:
                rows.append([view.month, scope.code, scope.name, group.title, f.item, f.count, f.of, f.rate])
    for group in (view.slots, view.beds):
        for f in group.figures:
            rows.append(
                [
                    view.month,
                    f.key.removeprefix(f"{group.key}.").rsplit(".", 1)[0],
                    t("Lead hospital"),
                    group.title,
                    f.item,
                    f.count,
                    f.of,
                    f.rate,
                ]
            )
    return rows


def csv_bytes(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel reads the Chinese; a missing value is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[list[Any]], title: str) -> bytes:
    """One sheet: the header in bold, counts and rates as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (9, 10, 22, 16, 34, 8, 8, 9), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
