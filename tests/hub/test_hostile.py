"""A careless or hostile clinic (issue 16): every input below is refused with a 4xx and a code, or
stored where valid; nothing a clinic sends blocks another clinic or the hospital. On SQLite and
PostgreSQL (the ``hub`` fixture)."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from clinic_hub import accounts, changes, directory
from clinic_hub import desk as desk_service
from clinic_hub.incoming import Incoming
from clinic_hub.models import Referral
from clinic_hub.pull import encode_cursor
from clinic_hub.record_store import RecordWriter
from tests.hub.conftest import make_record, make_referral, push


def _send_down(desk, code: str):
    return desk.post("/api/v1/desk/downward-referrals", json={"clinic_code": code, "patient_name": "赵六"})


# --- 1. the hub's downward numbers: its own sequence, a space no clinic number can enter -----------


def test_a_clinic_cannot_squat_the_hubs_next_downward_number(hub):
    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    with hub.engine.connect() as conn:
        hospital_code, _ = directory.hospital(conn)
    with hub.client(staff) as desk, hub.client(token) as clinic:
        first = _send_down(desk, code)
        assert first.status_code == 201, first.text
        made = first.json()["referral"]["referral_no"]
        assert "-" not in made and made.startswith(hospital_code)
        day, sequence = made[len(hospital_code) :].split("D")
        squats = [
            desk_service.down_number(hospital_code, f"{day[:4]}-{day[4:6]}-{day[6:]}", int(sequence) + n)
            for n in (1, 2)
        ]
        results = push(clinic, [make_referral(code, referral_no=no) for no in squats]).json()["results"]
        assert [r["code"] for r in results] == ["foreign_referral_no"] * 2
        nexts = [_send_down(desk, code) for _ in range(2)]
        assert [r.status_code for r in nexts] == [201, 201]
        assert [r.json()["referral"]["referral_no"] for r in nexts] == squats


def test_a_number_already_taken_before_the_check_is_skipped(hub):
    """Rows squatted before clinic numbers were checked do not block the desk: skipped."""
    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    with hub.engine.connect() as conn:
        hospital_code, _ = directory.hospital(conn)
    today = directory.today_in_china().isoformat()
    with hub.client(staff) as desk:
        made = _send_down(desk, code).json()["referral"]["referral_no"]
        sequence = int(made.rsplit("D", 1)[1])
        squatted = desk_service.down_number(hospital_code, today, sequence + 1)
        with hub.engine.begin() as conn:  # as an old hub would have stored it
            clinic_id = conn.execute(sa.text("SELECT id FROM clinic WHERE code = :c"), {"c": code}).scalar()
            conn.execute(
                sa.insert(Referral.__table__).values(
                    id=str(uuid.uuid4()),
                    clinic_id=clinic_id,
                    direction="up",
                    referral_no=squatted,
                    urgency="normal",
                    status="sent",
                    clinic_status="sent",
                    created_at=sa.func.now(),
                    updated_at=sa.func.now(),
                )
            )
        after = _send_down(desk, code)
        assert after.status_code == 201, after.text
        assert after.json()["referral"]["referral_no"] == desk_service.down_number(hospital_code, today, sequence + 2)


# --- 2. a clinic's numbers carry its own code -------------------------------------------------------


def test_a_clinic_cannot_take_another_clinics_numbers(hub):
    code_a, token_a = hub.new_clinic()
    code_b, token_b = hub.new_clinic()
    tomorrow_first = f"{code_a}-20991231-0001"
    with hub.client(token_b, **{"Accept-Language": "en"}) as b, hub.client(token_a) as a:
        stolen = push(
            b,
            [
                make_referral(code_b, referral_no=tomorrow_first),
                make_referral(code_b, referral_no=code_b),  # the bare code, nothing after it
                make_referral(code_b, referral_no=f"x{code_b}-20991231-0001"),
            ],
        ).json()["results"]
        assert [r["code"] for r in stolen] == ["foreign_referral_no"] * 3
        assert f"{code_b}-" in stolen[0]["message"]
        own = push(b, [make_referral(code_b, referral_no=f"{code_b.lower()}-20991231-0001")]).json()["results"]
        assert own[0]["status"] == "accepted"  # letter case aside, as the clinic app upper-cases codes
        mine = push(a, [make_referral(code_a, referral_no=tomorrow_first)]).json()["results"]
        assert mine[0]["status"] == "accepted"


# --- helpers for raw bodies --------------------------------------------------------------------------


def _raw_push(client, records_json: list[bytes], **kwargs):
    body = b'{"batch_id":"' + uuid.uuid4().hex.encode() + b'","records":[' + b",".join(records_json) + b"]}"
    return client.post(
        "/api/v1/sync/push",
        content=body,
        headers={"Content-Type": "application/json", **kwargs.pop("headers", {})},
        **kwargs,
    )


def _with_data_value(record: dict, raw_value: bytes) -> bytes:
    """The record's JSON with ``"odd": <raw_value>`` added to its data, as bytes no encoder makes."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    return text.replace(b'"data":{', b'"data":{"odd":' + raw_value + b",", 1)


def _clinic_id(hub, code: str) -> str:
    with hub.engine.connect() as conn:
        return accounts.clinic_by_code(conn, code).id


# --- 3. one stored record never breaks the indicators ------------------------------------------------

POISON = [b"9" * 5000, b"-" + b"9" * 5000, b"[" * 900 + b"]" * 900, b"1e400", b'"' + "长".encode() * 70000 + b'"']


def test_indicators_survive_any_stored_record(hub):
    """Records an older hub let in (stored straight through the record writer, as pushes were): the
    indicators still answer, on both databases, and what push refuses now is refused."""
    code, token = hub.new_clinic()
    viewer = hub.new_staff("viewer")
    now = datetime.now(UTC)
    stored = []
    for kind, raw in itertools.product(("resident", "contract"), POISON[:3]):
        record = make_record(
            kind,
            code,
            status="active",
            birth_date="0000-01-01",
            sex=5,
            resident_id=str(uuid.uuid4()),
            chronic_conditions={"not": "a list"},
        )
        data = json.loads(_with_data_value(record, b"0"))["data"]
        text = json.dumps(data, ensure_ascii=False).replace('"odd": 0', '"odd": ' + raw.decode(), 1)
        stored.append(Incoming(kind, uuid.UUID(record["id"]), record["id"], 1, now, False, code, data_json=text))
    stored.append(
        Incoming(
            "resident",
            uuid.uuid4(),
            "",
            1,
            now,
            False,
            code,
            data_json=json.dumps(
                {"clinic_id": code, "birth_date": 19491231, "sex": None, "manual_population_tags": "x"}
            ),
        )
    )
    stored[-1].id_text = str(stored[-1].id)
    clinic_id = _clinic_id(hub, code)
    with hub.engine.begin() as conn:
        RecordWriter(conn, clinic_id, now).insert(stored)
    with hub.client(viewer) as reader:
        for params in ({"month": f"{now:%Y-%m}", "clinic": code}, {"month": f"{now:%Y-%m}"}):
            answer = reader.get("/api/v1/indicators", params=params)
            assert answer.status_code == 200, answer.text
        mine = reader.get("/api/v1/indicators", params={"month": f"{now:%Y-%m}", "clinic": code}).json()
        assert mine["clinics"][0]["contracts"]["residents"] == 4
    with hub.client(token) as clinic:  # the same content pushed now: refused, record by record
        fresh = [_with_data_value(make_record("resident", code), raw) for raw in POISON]
        results = _raw_push(clinic, [*fresh, json.dumps(make_record("resident", code)).encode()])
        assert results.status_code == 200, results.text
        assert [r["code"] for r in results.json()["results"]] == ["invalid_record"] * len(POISON) + [None]


# --- 4. inputs that got a 500 -------------------------------------------------------------------------


def test_a_cursor_beyond_a_bigint_or_not_plain_digits_is_a_400(hub):
    _, token = hub.new_clinic()
    with hub.engine.connect() as conn:
        epoch = changes.current_epoch(conn)
    raw = [
        f"v1:{epoch}:{2**63}",
        f"v1:{epoch}:{10**40}",
        f"v1:{epoch}:1_0",
        f"v1:{epoch}:+1",
        f"v1:{epoch}: 1",
        f"v1:{epoch}:-1",
        f"v1:{epoch}:٣",
        "v1:x",
        f"v2:{epoch}:1",
        f"v1:{epoch}:5\n",  # Python's "$" matches before a final newline; a JSON Schema pattern's does not
    ]
    cursors = [base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") for text in raw]
    cursors += [encode_cursor(epoch, 5) + "!", "é", "=" * 4, "a" * 199, encode_cursor(epoch, 5) + "\n"]
    with hub.client(token) as client:
        for cursor in cursors:
            answer = client.get("/api/v1/sync/pull", params={"cursor": cursor})
            assert answer.status_code == 400 and answer.json()["code"] == "bad_cursor", (cursor, answer.text)
        top = client.get("/api/v1/sync/pull", params={"cursor": encode_cursor(epoch, 2**63 - 1)})
        assert top.status_code == 200 and top.json()["changes"] == []


def test_a_batch_id_is_matched_whole(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        for batch_id in ("b-1\n", "\nb-1", "b 1"):
            answer = push(client, [make_record("visit", code)], batch_id=batch_id)
            assert answer.status_code == 422 and answer.json()["code"] == "invalid_request", (batch_id, answer.text)


def test_months_outside_the_calendar_window_are_a_422(hub):
    viewer = hub.new_staff("viewer")
    with hub.client(viewer) as reader:
        for month in ("0000-01", "9999-12", "1899-12", "2200-01", "2025-00", "2025-1", "２０２５-07"):
            answer = reader.get("/api/v1/indicators", params={"month": month})
            assert answer.status_code == 422, (month, answer.text)
        for month in ("1900-01", "2199-12"):
            assert reader.get("/api/v1/indicators", params={"month": month}).status_code == 200, month


def test_deep_nesting_and_invalid_utf8_inside_data_are_refused_alone(hub):
    code, token = hub.new_clinic()
    good = make_record("visit", code)
    deep_40 = _with_data_value(make_record("visit", code), b"[" * 40 + b"]" * 40)
    bad_utf8 = _with_data_value(make_record("visit", code), b'"\xff\xfe"')
    control = _with_data_value(make_record("visit", code), b'"tab\there"')
    with hub.client(token) as client:
        answer = _raw_push(client, [json.dumps(good).encode(), deep_40, bad_utf8, control])
        assert answer.status_code == 200, answer.text
        assert [r["code"] for r in answer.json()["results"]] == [
            None,
            "invalid_record",
            "invalid_record",
            "invalid_record",
        ]
        for depth in (1000, 5000, 300_000):  # up to what the body limit lets in (here 1 MiB)
            deep = make_record("visit", code)
            goods = [make_record("visit", code), make_record("visit", code)]
            raw = _with_data_value(deep, b"[" * depth + b"]" * depth)
            answer = _raw_push(client, [json.dumps(goods[0]).encode(), raw, json.dumps(goods[1]).encode()])
            assert answer.status_code == 200, (depth, answer.text[:300])
            results = answer.json()["results"]
            assert [(r["id"], r["status"], r["code"]) for r in results] == [
                (goods[0]["id"], "accepted", None),
                (deep["id"], "rejected", "invalid_record"),
                (goods[1]["id"], "accepted", None),
            ], depth
        assert client.get("/api/v1/sync/reconcile").json()["kinds"]["visit"]["count"] == 7


def test_a_deep_envelope_is_still_a_400_or_a_422(hub):
    """Only the records are split from a body too deep for the fast split: an envelope that is
    broken, deep or not, is refused whole."""
    code, token = hub.new_clinic()
    good = json.dumps(make_record("visit", code)).encode()
    deep = b"[" * 2000 + b"]" * 2000
    with hub.client(token) as client:
        for body, status, error in [
            (b'{"batch_id":' + deep + b',"records":[' + good + b"]}", 422, "invalid_request"),
            (b'{"batch_id":"b1","records":' + deep + b"}", 200, None),  # records, each not an object
            (b'{"batch_id":"b2","records":[' + good + b"," + deep[:-1] + b"]}", 400, "bad_json"),
            (b'{"batch_id":"b3","records":[' + good + b',{"data":' + deep + b"}}", 400, "bad_json"),
            (b'{"batch_id":"b4","records":[' + good + b',{"data":"' + deep + b"}]}", 400, "bad_json"),
            (b"[" + deep + b"]", 400, "bad_json"),
            (b'{"batch_id":"b5","records":[' + good + b"]," + b'"x":' + deep + b"}", 200, None),
        ]:
            answer = client.post("/api/v1/sync/push", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == status, (body[:60], answer.text[:300])
            if error:
                assert answer.json()["code"] == error
        one = answer.json()["results"]
        assert [(r["status"], r["code"]) for r in one] == [("accepted", None)]


# --- 5. the careful path coerces nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("deleted", "yes"),
        ("deleted", 1),
        ("revision", True),
        ("revision", "1"),
        ("revision", 1.0),
        ("updated_at", 1700000000),
        ("updated_at", "1700000000"),
        ("updated_at", "2026-11-23"),
        ("updated_at", "0001-01-01T00:00:00Z"),
        ("updated_at", "9999-12-31T23:59:59Z"),
        ("kind", ["visit"]),
    ],
)
def test_no_field_is_coerced_on_either_path(hub, field, value):
    code, token = hub.new_clinic()
    odd = {**make_record("visit", code), field: value}
    # Alone with good records (the fast path refuses the batch, the careful path reads it) and
    # behind something only the careful path reads (a lone surrogate): the same answer.
    careful_only = make_record("visit", code, note="\ud800")
    with hub.client(token) as client:
        for batch in ([make_record("visit", code), odd], [careful_only, odd]):
            body = json.dumps({"batch_id": uuid.uuid4().hex, "records": batch}).encode()
            answer = client.post("/api/v1/sync/push", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 200, answer.text
            result = answer.json()["results"][1]
            assert (result["status"], result["code"]) == ("rejected", "invalid_record"), result
            assert field in result["message"]
        assert client.get("/api/v1/sync/reconcile").json()["kinds"]["visit"]["count"] == 1


# --- 6. one bad record inside a batch -------------------------------------------------------------------


def test_a_referral_nested_deep_or_holding_a_huge_number_is_refused_alone(hub):
    code, token = hub.new_clinic()
    deep = _with_data_value(make_referral(code), b"[" * 500 + b"]" * 500)
    huge = _with_data_value(make_referral(code), b"9" * 5000)
    good = [make_referral(code), make_record("visit", code)]
    with hub.client(token) as client:
        answer = _raw_push(client, [json.dumps(good[0]).encode(), deep, huge, json.dumps(good[1]).encode()])
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [(r["status"], r["code"]) for r in results] == [
            ("accepted", None),
            ("rejected", "invalid_record"),
            ("rejected", "invalid_record"),
            ("accepted", None),
        ]
        assert results[1]["id"] and results[2]["id"]  # the answers say which records


# --- 7. gzip: one member, nothing after it -----------------------------------------------------------------


def test_gzip_with_trailing_bytes_or_a_second_member_is_a_400(hub):
    code, token = hub.new_clinic()
    record = make_record("visit", code)
    body = json.dumps({"batch_id": uuid.uuid4().hex, "records": [record]}).encode()
    member = gzip.compress(body)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with hub.client(token) as client:
        for odd in (member + b"garbage", member + gzip.compress(b"{}"), member + member, member[:-4]):
            answer = client.post("/api/v1/sync/push", content=odd, headers=headers)
            assert answer.status_code == 400 and answer.json()["code"] == "bad_gzip", answer.text
        assert client.get("/api/v1/sync/reconcile").json()["kinds"] == {}  # nothing stored
        assert client.post("/api/v1/sync/push", content=member, headers=headers).status_code == 200


# --- 8. a referral first seen cancelled needs its reason ---------------------------------------------------


def test_a_referral_first_pushed_cancelled_without_a_reason_is_refused(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        results = push(
            client,
            [
                make_referral(code, "cancelled"),
                make_referral(code, "cancelled", cancel_reason="  "),
                make_referral(code, "cancelled", cancel_reason="家属要求"),
            ],
        ).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("rejected", "reason_required"),
        ("rejected", "reason_required"),
        ("accepted", None),
    ]


# --- parameters the database would refuse, parameters nobody declared ------------------------------------


def test_nul_or_nothing_in_a_query_or_path_parameter_and_unknown_parameters_are_a_422(hub):
    _, token = hub.new_clinic()
    staff, viewer = hub.new_staff("desk"), hub.new_staff("viewer")
    with hub.client(token) as clinic, hub.client(staff) as desk, hub.client(viewer) as reader:
        answers = [
            reader.get("/api/v1/indicators", params={"month": "2025-07", "clinic": "C\x00"}),
            reader.get(
                "/api/v1/indicators", params={"month": "2025-07", "clinic": ""}
            ),  # no clinic is not every clinic
            desk.get("/api/v1/desk/referrals", params={"clinic": "C\x00"}),
            desk.get("/api/v1/desk/referrals/C1-20250701-0001%00"),
            desk.post("/api/v1/desk/referrals/C1%0020250701/arrive"),
            clinic.get("/api/v1/sync/pull", params={"limt": 5}),
            clinic.get("/api/v1/sync/reconcile", params={"x": 1}),
            desk.get("/api/v1/desk/referrals", params={"statuss": "sent"}),
            clinic.get("/api/v1/health", params={"a": "b"}),
            desk.get("/api/v1/desk/referrals", params=[("clinic", "C1"), ("clinic", "C2")]),
            clinic.get("/api/v1/sync/pull", params=[("limit", 5), ("limit", 6)]),
        ]
        for answer in answers:
            assert answer.status_code == 422 and answer.json()["code"] == "invalid_request", (answer.url, answer.text)


def test_data_larger_than_its_bound_is_refused_alone(hub):
    code, token = hub.new_clinic()
    big = make_record("visit", code, items=["abcdefghij"] * 30_000)  # about 390 KB, each text short
    with hub.client(token, **{"Accept-Language": "en"}) as client:
        results = push(client, [big, make_record("visit", code)]).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "invalid_record"), ("accepted", None)]
    assert "262144" in results[0]["message"]


# --- whatever the hub stores it reads back and answers with ------------------------------------------------

DEEP = b"[" * 900 + b"]" * 900
HUGE = b"9" * 5000


def _poison(hub, record_id: str, **raw_fields: bytes) -> None:
    """Set fields of a stored record's data to raw JSON no push lets in now (as an older hub stored them)."""
    with hub.engine.begin() as conn:
        text = conn.exec_driver_sql(
            f"SELECT CAST(data AS TEXT) FROM sync_record WHERE id = {'?' if hub.backend == 'sqlite' else '%s'}",
            (record_id,),
        ).scalar_one()
        data = {**json.loads(text), **{name: f"@{name}@" for name in raw_fields}}
        poisoned = json.dumps(data, ensure_ascii=False)
        for name, raw in raw_fields.items():
            poisoned = poisoned.replace(f'"@{name}@"', raw.decode())
        mark = "?" if hub.backend == "sqlite" else "%s"
        value = mark if hub.backend == "sqlite" else f"CAST({mark} AS JSONB)"
        conn.exec_driver_sql(f"UPDATE sync_record SET data = {value} WHERE id = {mark}", (poisoned, record_id))


def test_whatever_is_stored_reads_back_on_every_route_that_shows_it(hub, cheap_passwords):
    """Rows an older hub stored beyond the bounds (nested 900 deep, a 5000-digit integer): every
    route that reads a record's data answers 2xx, never a 500 (the own records of a restored
    clinic, the pull, the desk's JSON API and its pages)."""
    from tests.hub.remote_support import make_remote
    from tests.hub.web_support import DeskClient, add_staff

    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    deep_visit, huge_visit = make_record("visit", code), make_record("visit", code)
    referral, remote = make_referral(code), make_remote(code)
    with hub.client(token) as clinic, hub.client(staff) as desk:
        cursor = hub.cursor_now()
        results = push(clinic, [deep_visit, huge_visit, referral, remote]).json()["results"]
        assert [r["status"] for r in results] == ["accepted"] * 4
        down = desk.post(
            "/api/v1/desk/downward-referrals",
            json={"clinic_code": code, "patient_name": "赵六", "up_referral_no": referral["data"]["referral_no"]},
        )
        assert down.status_code == 201, down.text
        _poison(hub, deep_visit["id"], odd=DEEP)
        _poison(hub, huge_visit["id"], odd=HUGE, odd_float=b"-1e400")
        _poison(hub, referral["id"], odd=DEEP, resident_id=DEEP, patient_name=HUGE, odd_number=b"1e400")
        _poison(hub, remote["id"], preliminary_diagnoses=DEEP, patient_name=HUGE, question=DEEP)
        _poison(hub, down.json()["referral"]["id"], odd=DEEP, patient_name=HUGE)

        for kind in ("visit", "referral", "remote_request"):
            own = clinic.get("/api/v1/sync/own", params={"kind": kind})
            assert own.status_code == 200, (kind, own.text[:300])
        visits = {
            r["id"]: r["data"] for r in clinic.get("/api/v1/sync/own", params={"kind": "visit"}).json()["records"]
        }
        assert visits[huge_visit["id"]]["odd"] == "9" * 5000  # too long for Python: its digits
        # Beyond a float: null from SQLite (JSON has no infinity), its digits from PostgreSQL (numeric).
        assert visits[huge_visit["id"]]["odd_float"] in (None, -(10**400))
        assert visits[deep_visit["id"]]["clinic_id"] == code  # the rest of the record as it was
        pulled = clinic.get("/api/v1/sync/pull", params={"cursor": cursor})
        assert pulled.status_code == 200, pulled.text[:300]
        sent_down = [c for c in pulled.json()["changes"] if c["id"] == down.json()["referral"]["id"]]
        assert sent_down and sent_down[0]["data"]["patient_name"] == "9" * 5000
        number = referral["data"]["referral_no"]
        for path in (
            "/api/v1/desk/referrals",
            f"/api/v1/desk/referrals/{number}",
            "/api/v1/remote/requests",
            f"/api/v1/remote/requests/{remote['data']['request_no']}",
        ):
            answer = desk.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
    _, login = add_staff(hub.engine, "desk")
    web = DeskClient(hub.base_url)
    try:
        web.sign_in(login)
        for path in (
            "/desk/queue",
            f"/desk/referrals/{number}",
            f"/desk/referrals/{down.json()['referral']['referral_no']}",
            "/desk/remote?room=ecg",
            f"/desk/remote/{remote['data']['request_no']}",
        ):
            answer = web.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
    finally:
        web.close()


@pytest.mark.parametrize("depth", [1, 32, 201, 202, 256, 300, 900, 5000])
def test_a_json_column_of_any_depth_reads_back_as_something_a_response_carries(depth):
    from pydantic_core import to_json

    from clinic_hub.db import READ_DEPTH, read_json

    nested = "[" * depth + "]" * depth
    value = read_json(f'{{"clinic_id":"C1","odd":{nested},"n":{"9" * 5000}}}')
    assert to_json(value)  # a response model writes up to 256 levels
    if depth < 990:  # deeper than Python's json module reads: {} (and a warning)
        assert value["clinic_id"] == "C1" and value["n"] == "9" * 5000
        odd, levels = value["odd"], 0  # data is depth 1: "odd" 2, its inner lists 3, 4, ...
        while isinstance(odd, list) and odd:
            (odd,), levels = odd, levels + 1
        if depth + 1 <= READ_DEPTH:
            assert (odd, levels) == ([], depth - 1)
        else:  # what lies below READ_DEPTH: its JSON text
            rest = depth - (READ_DEPTH - 1)
            assert (odd, levels) == ("[" * rest + "]" * rest, READ_DEPTH - 1)
