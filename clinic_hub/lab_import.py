"""Results imported as CSV from the lab system (LIS) on the lab desk (issue 18, tests at the lead
hospital): decoded (UTF-8, or GB18030 as Chinese lab systems export GBK), read, planned row by row
(what each row will do, or why it cannot), then committed.

One row is one test's result. Columns (docs/hub.md, header names in English or Chinese):
``order_no`` (检验单号) or ``barcode`` (条码), ``code`` (项目代码), ``value`` (结果), ``unit`` (单位),
``reference_range`` (参考范围), ``flag`` (标志, optional: computed from the row's range, else the
catalogue's, with the catalogue's critical limits), ``method`` (检测方法), ``reporter`` (检验者),
``reviewer`` (审核者), ``reported_at`` (报告时间, China time). A row for an order the hub does not
know, or one cancelled, goes to the desk's exceptions list (``lab_import_exception``), never
dropped; a row with an error is not imported and says why; the rows of one order are published
together (a report when they complete it, else a partial report; lab_desk.publish_results).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import directory
from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.errors import ApiError
from clinic_hub.lab_desk import _query, publish_results
from clinic_hub.lab_intake import CANCELLED
from clinic_hub.models import LabImport, LabImportException, LabOrder, table_of
from clinic_tui.domain import lab

_imports = table_of(LabImport)
_exceptions = table_of(LabImportException)
_orders = table_of(LabOrder)

MAX_BYTES = 512 * 1024  # a day's results of a county lab are a few thousand rows
MAX_ROWS = 5000
COLUMNS = (
    "order_no",
    "barcode",
    "code",
    "value",
    "unit",
    "reference_range",
    "flag",
    "method",
    "reporter",
    "reviewer",
    "reported_at",
)
ALIASES = {
    "检验单号": "order_no",
    "条码": "barcode",
    "项目代码": "code",
    "结果": "value",
    "单位": "unit",
    "参考范围": "reference_range",
    "标志": "flag",
    "检测方法": "method",
    "检验者": "reporter",
    "审核者": "reviewer",
    "报告时间": "reported_at",
}
FLAGS = {
    "n": "N",
    "正常": "N",
    "h": "H",
    "↑": "H",
    "偏高": "H",
    "l": "L",
    "↓": "L",
    "偏低": "L",
    "critical": "critical",
    "危急": "critical",
    "危急值": "critical",
}
RESULT, EXCEPTION, ERROR = "result", "exception", "error"
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


@dataclass
class RowPlan:
    """What one row will do: ``outcome`` result (entered on ``order_no``), exception (to the
    exceptions list) or error (not imported); ``problem`` the code saying why."""

    line: int
    order_ref: str
    code: str
    value: str
    outcome: str
    problem: str | None = None
    order_no: str | None = None
    result: dict[str, Any] | None = None
    raw: dict[str, str] = field(default_factory=dict)


def decode(raw: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (a byte-order mark dropped), else GB18030 (a superset of
    GBK and GB2312); 422 ``import_encoding`` when it is neither."""
    if len(raw) > MAX_BYTES:
        raise ApiError(413, "import_too_large", limit=MAX_BYTES)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), "gb18030" if encoding == "gb18030" else "utf-8"
        except UnicodeDecodeError:
            continue
    raise ApiError(422, "import_encoding")


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The rows with their line numbers, keyed by column; 422 when the header is not one."""
    if "\x00" in text:
        raise ApiError(422, "import_not_csv")
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            raise ApiError(422, "import_empty")
        names = [ALIASES.get(h.strip(), h.strip().lower()) for h in header]
        unknown = [h for h, n in zip(header, names, strict=True) if n not in COLUMNS]
        if unknown:
            raise ApiError(422, "import_column_unknown", columns=", ".join(unknown)[:200])
        missing = [n for n in ("code", "value") if n not in names]
        if "order_no" not in names and "barcode" not in names:
            missing.insert(0, "order_no/barcode")
        if missing:
            raise ApiError(422, "import_column_missing", columns=", ".join(missing))
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ApiError(413, "import_too_many_rows", limit=MAX_ROWS)
            padded = [*cells, *[""] * (len(names) - len(cells))]
            rows.append((reader.line_num, {n: padded[i].strip() for i, n in enumerate(names)}))
    except csv.Error:
        raise ApiError(422, "import_not_csv") from None
    return rows


def _range(text: str) -> tuple[Decimal | None, Decimal | None] | None:
    text = text.replace("～", "-").replace("~", "-").replace(" ", "")
    if not text:
        return None
    for prefix, side in ((">=", 0), ("≥", 0), ("<=", 1), ("≤", 1), (">", 0), ("<", 1)):
        if text.startswith(prefix):
            bound = lab.number(text[len(prefix) :])
            if bound is None:
                return None
            return (bound, None) if side == 0 else (None, bound)
    low, sep, high = text.partition("-")
    if not sep or lab.number(low) is None or lab.number(high) is None:
        return None
    return lab.number(low), lab.number(high)


def reported_time(text: str) -> datetime | None:
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=directory.CHINA_TZ).astimezone(UTC)
        except ValueError:
            continue
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (found if found.tzinfo else found.replace(tzinfo=directory.CHINA_TZ)).astimezone(UTC)


def _checked(row: dict[str, str]) -> tuple[str | None, dict[str, Any] | None]:
    """The row's own checks (before its order is looked up): an error code, or its result."""
    code = row.get("code", "").upper()
    known = lab.catalogue().get(code)
    if known is None:
        return "row_unknown_item", None
    value = row.get("value", "")
    if not value or len(value) > 100:
        return "row_bad_value", None
    entered = row.get("flag", "")
    flag = FLAGS.get(entered.lower()) if entered else None
    if entered and flag is None:
        return "row_bad_flag", None
    unit = row.get("unit", "")
    if unit and unit != known.unit:
        return "row_unit_mismatch", None
    stated = row.get("reference_range", "")
    bounds = _range(stated) if stated else (known.low, known.high)
    if bounds is None:
        return "row_bad_range", None
    if flag is None:
        computed = lab.flag_for(value, bounds[0], bounds[1], known.critical_low, known.critical_high)
        if computed is None:
            return "row_flag_required", None  # 阴性, 2+: the lab system says its flag
        flag = computed.value
    if row.get("reported_at") and reported_time(row["reported_at"]) is None:
        return "row_bad_time", None
    return None, {
        "code": code,
        "name": known.name,
        "value": value,
        "unit": known.unit,
        "reference_range": stated or known.reference_range,
        "flag": flag,
        "method": row.get("method") or None,
    }


def _find(conn: Connection, row: dict[str, str]):
    number = row.get("order_no", "").upper()
    if number:
        return conn.execute(_query().where(_orders.c.order_no == number[:64])).first()
    barcode = row.get("barcode", "")
    found = conn.execute(_query().where(_orders.c.barcode == barcode[:40])).all() if barcode else []
    return found[-1] if found else None


def plan(conn: Connection, rows: list[tuple[int, dict[str, str]]]) -> list[RowPlan]:
    """What each row will do, against the orders as they are now."""
    plans: list[RowPlan] = []
    seen: set[tuple[str, str]] = set()
    for line, row in rows:
        ref = row.get("order_no") or row.get("barcode") or ""
        item = RowPlan(line, ref, row.get("code", "").upper(), row.get("value", ""), ERROR, raw=row)
        plans.append(item)
        if not ref:
            item.problem = "row_order_missing"
            continue
        problem, result = _checked(row)
        if problem:
            item.problem = problem
            continue
        order = _find(conn, row)
        if order is None:
            item.outcome, item.problem = EXCEPTION, "order_unknown"
            continue
        item.order_no = order.order_no
        if order.status == CANCELLED or order.clinic_status == CANCELLED or order.deleted:
            item.outcome, item.problem = EXCEPTION, "order_cancelled"
            continue
        data = order.data if isinstance(order.data, dict) else {}
        ordered = {str(i.get("code")) for i in data.get("items") or [] if isinstance(i, dict)}
        done = {str(r.get("code")) for r in order.results or []}
        if item.code not in ordered:
            item.problem = "row_not_ordered"
        elif order.status not in (lab.Status.RECEIVED.value, lab.Status.REPORTED.value):
            item.problem = "row_not_received"
        elif item.code in done:
            item.problem = "row_already_reported"
        elif (order.order_no, item.code) in seen:
            item.problem = "row_duplicate"
        else:
            seen.add((order.order_no, item.code))
            item.outcome, item.result = RESULT, result
    return plans


def store(conn: Connection, actor: Principal, filename: str, raw: bytes) -> str:
    """Keep an uploaded file (checked readable) for its preview and commit; its id."""
    text, encoding = decode(raw)
    read_rows(text)
    import_id = str(uuid.uuid4())
    conn.execute(
        sa.insert(_imports).values(
            id=import_id,
            filename=(filename or "results.csv")[:200],
            encoding=encoding,
            content=text,
            uploaded_by=actor.id,
            uploaded_at=utcnow(),
        )
    )
    return import_id


def load(conn: Connection, import_id: str, lock: bool = False):
    query = sa.select(_imports).where(_imports.c.id == import_id[:36])
    if lock:
        query = query.with_for_update()
    found = conn.execute(query).first()
    if found is None:
        raise ApiError(404, "import_not_found")
    return found


def preview(conn: Connection, import_id: str) -> tuple[Any, list[RowPlan]]:
    batch = load(conn, import_id)
    return batch, plan(conn, read_rows(batch.content))


def commit(conn: Connection, actor: Principal, import_id: str) -> dict[str, int]:
    """Enter the rows' results (each order's together), file the exceptions, once."""
    batch = load(conn, import_id, lock=True)
    if batch.committed_at is not None:
        raise ApiError(409, "import_committed")
    plans = plan(conn, read_rows(batch.content))
    by_order: dict[str, list[RowPlan]] = defaultdict(list)
    for item in plans:
        if item.outcome == RESULT and item.order_no:
            by_order[item.order_no].append(item)
    now = utcnow()
    for number, items in by_order.items():
        row = conn.execute(_query().where(_orders.c.order_no == number).with_for_update(of=_orders)).one()
        data = row.data if isinstance(row.data, dict) else {}
        codes = [str(i.get("code")) for i in data.get("items") or [] if isinstance(i, dict)]
        earlier = {str(r.get("code")): r for r in row.results or []}
        new = {i.code: i.result for i in items}
        results = [earlier.get(c) or new[c] for c in codes if c in earlier or c in new]
        first = items[0].raw
        times = [reported_time(i.raw["reported_at"]) for i in items if i.raw.get("reported_at")]
        publish_results(
            conn,
            row,
            actor,
            [r for r in results if r is not None],
            reviewer=first.get("reviewer") or None,
            reporter=first.get("reporter") or None,
            reported_at=max((t for t in times if t is not None), default=None),
        )
    for item in plans:
        if item.outcome == EXCEPTION:
            conn.execute(
                sa.insert(_exceptions).values(
                    import_id=import_id,
                    line=item.line,
                    order_ref=item.order_ref[:64],
                    code=item.code[:20],
                    value=item.value[:100],
                    problem=item.problem or "order_unknown",
                    row=item.raw,
                    at=now,
                )
            )
    conn.execute(sa.update(_imports).where(_imports.c.id == import_id).values(committed_at=now, committed_by=actor.id))
    counts = {RESULT: 0, EXCEPTION: 0, ERROR: 0}
    for item in plans:
        counts[item.outcome] += 1
    return {**counts, "orders": len(by_order)}


def exceptions(conn: Connection, limit: int = 200) -> list[Any]:
    """Imported rows with no order to go to (unknown, cancelled), newest first."""
    return list(conn.execute(sa.select(_exceptions).order_by(_exceptions.c.id.desc()).limit(limit)).all())
