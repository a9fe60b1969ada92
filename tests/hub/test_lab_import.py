"""The lab system's CSV of results (issue 18), on SQLite and PostgreSQL: decoded from UTF-8 and
GB18030, read by English or Chinese headers, planned row by row with a specific reason for each
row that cannot be entered, and committed: each order's rows together (a report when they
complete it, a partial report else), rows for unknown or cancelled orders on the exceptions list,
nothing twice; a file too large is 413."""

from __future__ import annotations

import pytest

from clinic_hub import accounts, lab_desk, lab_import
from clinic_hub.accounts import Principal
from clinic_hub.errors import ApiError
from tests.hub.conftest import pull_all, push
from tests.hub.lab_support import make_order
from tests.hub.remote_support import revised

API = "/api/v1/lab/orders"
HEADER = "order_no,barcode,code,value,unit,reference_range,flag,method,reporter,reviewer,reported_at\n"


def _orders(hub, count=2):
    code, token = hub.new_clinic()
    records = [make_order(code) for _ in range(count)]
    with hub.client(token) as client:
        for r in records:
            assert push(client, [r]).json()["results"][0]["status"] == "accepted"
    with hub.client(hub.new_staff("desk")) as nurse:
        for r in records:
            assert nurse.post(f"{API}/{r['data']['order_no']}/receive").status_code == 200
    return code, token, [r["data"]["order_no"] for r in records], records


def _actor(hub) -> Principal:
    with hub.engine.begin() as conn:
        staff_id = accounts.add_staff(conn, "检验科王护士", "desk", token=False)[0]
    return Principal(kind="staff", id=staff_id, role="desk")


def test_decoding_takes_utf8_and_gb18030_and_refuses_the_rest():
    text = "检验单号,项目代码,结果\nC1-20250101-L0001,K,4.1\n"
    assert lab_import.decode(text.encode("utf-8")) == (text, "utf-8")
    assert lab_import.decode(b"\xef\xbb\xbf" + text.encode("utf-8"))[0] == text  # Excel's BOM
    assert lab_import.decode(text.encode("gbk")) == (text, "gb18030")
    with pytest.raises(ApiError) as too_big:
        lab_import.decode(b"x" * (lab_import.MAX_BYTES + 1))
    assert (too_big.value.status, too_big.value.code) == (413, "import_too_large")
    rows = lab_import.read_rows(text)
    assert rows == [(2, {"order_no": "C1-20250101-L0001", "code": "K", "value": "4.1"})]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "import_empty"),
        ("order_no,code,value,colour\n", "import_column_unknown"),
        ("order_no,code\n", "import_column_missing"),
        ("code,value\n", "import_column_missing"),
        ("order_no,code,value\n\x00", "import_not_csv"),
    ],
)
def test_a_header_that_is_not_one_is_refused_with_its_code(text, code):
    with pytest.raises(ApiError) as refused:
        lab_import.read_rows(text)
    assert (refused.value.status, refused.value.code) == (422, code)


def test_each_row_says_what_happens_to_it(hub):
    _code, token, (first, second), records = _orders(hub)
    with hub.client(token) as clinic:  # the second is cancelled after the lab received it: too late
        assert push(clinic, [revised(records[1], status="cancelled")]).json()["results"][0]["code"]
    text = HEADER + "\n".join(
        [
            f"{first},,K,6.9,mmol/L,3.5-5.3,,离子选择电极法,李检验,赵主任,2026-12-03 10:20",  # 2 critical
            f"{first},,NA,119,,,,,,,",  # 3 from the catalogue's range: critical
            ",S0012345,NA,140,,,,,,,",  # 4 by barcode (the newest order with it): the second, cancelled
            f"{first},,GLU,5.1,,,,,,,",  # 5 in the catalogue, not on this order
            f"{first},,XYZ,1,,,,,,,",  # 6 unknown item
            f"{first},,CREA,,,,,,,,",  # 7 no value
            f"{first},,CREA,阳性,,,,,,,",  # 8 a text result without its flag
            f"{first},,CREA,80,g/L,,,,,,",  # 9 unit mismatch
            f"{first},,CREA,80,,,X,,,,",  # 10 bad flag
            f"{first},,CREA,80,,,,,,,yesterday",  # 11 bad time
            f"{first},,K,7.0,,,,,,,",  # 12 the same test twice
            "C9-20250101-L0001,,K,4.0,,,,,,,",  # 13 unknown order
            f"{second},,K,4.0,,,,,,,",  # 14 cancelled
            ",,K,4.0,,,,,,,",  # 15 no reference
            f"{first},,CREA,90,,57-111,偏高,,,,",  # 16 a Chinese flag stands as given
        ]
    )
    with hub.engine.begin() as conn:
        plans = lab_import.plan(conn, lab_import.read_rows(text))
    got = {p.line: (p.outcome, p.problem) for p in plans}
    assert got == {
        2: ("result", None),
        3: ("result", None),
        4: ("exception", "order_cancelled"),
        5: ("error", "row_not_ordered"),
        6: ("error", "row_unknown_item"),
        7: ("error", "row_bad_value"),
        8: ("error", "row_flag_required"),
        9: ("error", "row_unit_mismatch"),
        10: ("error", "row_bad_flag"),
        11: ("error", "row_bad_time"),
        12: ("error", "row_duplicate"),
        13: ("exception", "order_unknown"),
        14: ("exception", "order_cancelled"),
        15: ("error", "row_order_missing"),
        16: ("result", None),
    }
    flags = {p.line: p.result["flag"] for p in plans if p.result}
    assert flags == {2: "critical", 3: "critical", 16: "H"}


def test_a_commit_enters_each_orders_rows_and_files_the_exceptions_once(hub):
    code, token, (first, second), _records = _orders(hub)
    cursor = hub.cursor_now()
    text = HEADER + "\n".join(
        [
            f"{first},,K,4.2,mmol/L,3.5-5.3,,,李检验,赵主任,2026-12-03 10:20",
            f"{first},,NA,140,,,,,李检验,赵主任,2026-12-03 10:20",
            f"{first},,CREA,80,,,,,李检验,赵主任,2026-12-03 10:25",
            f"{second},,K,6.9,,,,,李检验,,",
            "C9-20250101-L0002,,K,4.0,,,,,,,",
        ]
    )
    actor = _actor(hub)
    with hub.engine.begin() as conn:
        import_id = lab_import.store(conn, actor, "lis.csv", text.encode("gb18030"))
    with hub.engine.begin() as conn:
        counts = lab_import.commit(conn, actor, import_id)
    assert counts == {"result": 4, "exception": 1, "error": 0, "orders": 2}
    with hub.engine.begin() as conn, pytest.raises(ApiError) as twice:
        lab_import.commit(conn, actor, import_id)
    assert (twice.value.status, twice.value.code) == (409, "import_committed")
    with hub.engine.connect() as conn:
        done = lab_desk.get_order(conn, first)
        part = lab_desk.get_order(conn, second)
        filed = [(e.order_ref, e.problem) for e in lab_import.exceptions(conn) if e.import_id == import_id]
    assert done.status == "reported" and done.reporter == "李检验" and done.reviewer == "赵主任"
    assert done.reported_at.isoformat().startswith("2026-12-03T02:25")  # 10:25 China time
    assert part.status == "received" and part.partial and part.critical_pending and part.pending == ["NA", "CREA"]
    assert filed == [("C9-20250101-L0002", "order_unknown")]
    with hub.client(token) as clinic:
        events = [c["data"] for c in pull_all(clinic, cursor)[0] if c["kind"] == "lab_event"]
    assert sorted((e["order_no"], e["to_status"], e["partial"]) for e in events) == [
        (first, "reported", False),
        (second, "received", True),
    ]
    assert code
