"""The desk's indicators page and its exports, over real HTTP on SQLite and PostgreSQL: every
signed-in role sees the county's figures of a month, the same as the JSON API's
(/api/v1/indicators) for that month; the CSV (with a BOM) and the XLSX carry the same numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from clinic_hub import directory

from .conftest import BACKENDS, HubServer, make_record, make_referral, push
from .web_support import DeskClient, add_staff, audit_actions

pytestmark = pytest.mark.usefixtures("cheap_passwords")
ROLES = ("viewer", "desk", "doctor", "admin")
DATA_KEY = re.compile(r'data-key="([^"]+)">([^<]*)<')


@pytest.fixture(scope="module", params=BACKENDS)
def own_hub(request, tmp_path_factory):
    """A hub of this module alone: the county is the clinics made here."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web-indicators') / 'hub.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    server = HubServer(request.param, url)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def month(own_hub):
    """This month's referrals, answered and sent down, residents and contracts, in two clinics;
    one reserved slot taken. Returns the month (YYYY-MM, China time)."""
    today = directory.today_in_china()
    day = today.isoformat()
    department = own_hub.new_department()
    with own_hub.engine.begin() as conn:
        directory.set_slots(conn, department, today + timedelta(days=1), 9, 3)
    desk_token = own_hub.new_staff("desk")
    desk = own_hub.client(desk_token)
    for n, statuses in enumerate((("sent", "sent", "sent", "review", "draft"), ("sent", "sent"))):
        code, token = own_hub.new_clinic(f"第{n + 1}村卫生室")
        clinic = own_hub.client(token)
        referrals = [make_referral(code, status=s) for s in statuses]
        for referral in referrals:
            referral["data"]["referral_date"] = day  # this month's
        residents = [
            make_record("resident", code, birth_date="1950-03-01", sex="1", chronic_conditions=["02"]),
            make_record("resident", code, birth_date="1980-03-01", sex="2", chronic_conditions=["03"]),
            make_record("resident", code, birth_date="1990-03-01", sex="2"),
        ]
        contracts = [make_record("contract", code, resident_id=residents[0]["id"], status="active", signed_date=day)]
        assert push(clinic, referrals + residents + contracts).status_code == 200
        numbers = [r["data"]["referral_no"] for r in referrals]
        if n == 0:
            at = f"{(today + timedelta(days=1)).isoformat()}T09:00:00+08:00"
            accepted = desk.post(
                f"/api/v1/desk/referrals/{numbers[0]}/accept",
                json={"department_code": department, "appointment_at": at},
            )
            assert accepted.status_code == 200, accepted.text
            assert desk.post(f"/api/v1/desk/referrals/{numbers[0]}/arrive", json={}).status_code == 200
            assert (
                desk.post(f"/api/v1/desk/referrals/{numbers[1]}/reject", json={"reason": "无此专科"}).status_code == 200
            )
            down = desk.post("/api/v1/desk/downward-referrals", json={"clinic_code": code, "patient_name": "赵六"})
            assert down.status_code in (200, 201), down.text
        clinic.close()
    desk.close()
    return f"{today:%Y-%m}"


@pytest.fixture(scope="module")
def api(own_hub, month):
    with own_hub.client(own_hub.new_staff("viewer")) as reader:
        answer = reader.get("/api/v1/indicators", params={"month": month})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _signed_in(hub, role: str) -> DeskClient:
    staff_id, login = add_staff(hub.engine, role)
    client = DeskClient(hub.base_url)
    client.sign_in(login)
    client.staff_id = staff_id
    return client


def _percent(share) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def expected(api: dict) -> dict[str, str]:
    """What the page must show, read from the JSON API: each clinic's figures, and the county's as
    the clinics' counts summed."""
    clinics = api["clinics"]
    want: dict[str, str] = {}
    for c in clinics:
        k = c["clinic_code"]
        want |= {
            f"{k}.up.total": str(c["upward"]["total"]),
            f"{k}.down.total": str(c["downward"]["total"]),
            f"{k}.accepted.rate": _percent(c["accepted_share"]),
            f"{k}.effective.rate": _percent(c["effective_share"]),
            f"{k}.within_24h.rate": _percent(c["answered_within_24h_share"]),
            f"{k}.coverage.rate": _percent(c["contracts"]["coverage"]),
        }

    def total(get) -> int:
        return sum(get(c) for c in clinics)

    up, down = total(lambda c: c["upward"]["total"]), total(lambda c: c["downward"]["total"])
    reached = total(lambda c: c["upward_to_hospital"])
    residents = total(lambda c: c["contracts"]["residents"])
    signed = total(lambda c: c["contracts"]["signed_residents"])
    want |= {
        "county.up.total": str(up),
        "county.down.total": str(down),
        "county.accepted": str(total(lambda c: c["upward_accepted"])),
        "county.effective": str(total(lambda c: c["upward_arrived"])),
        "county.effective.rate": _percent(round(total(lambda c: c["upward_arrived"]) / reached, 4)),
        "county.within_24h": str(total(lambda c: c["answered_within_24h"])),
        "county.down_share.rate": _percent(round(down / (up + down), 4)),
        "county.coverage": str(signed),
        "county.coverage.rate": _percent(round(signed / residents, 4)),
        "county.signed_in_month": str(total(lambda c: c["contracts"]["signed_in_month"])),
    }
    for status in {s for c in clinics for s in c["upward"]["by_status"]}:
        want[f"county.up.{status}"] = str(total(lambda c, s=status: c["upward"]["by_status"].get(s, 0)))
    for tag in {t for c in clinics for t in c["contracts"]["key_populations"]}:
        pops = [c["contracts"]["key_populations"][tag] for c in clinics if tag in c["contracts"]["key_populations"]]
        n, s = sum(p["residents"] for p in pops), sum(p["signed"] for p in pops)
        want[f"county.population.{tag}"] = str(s)
        want[f"county.population.{tag}.rate"] = _percent(round(s / n, 4) if n else None)
    for slot in api["reserved_slots"]:
        want[f"slots.{slot['department_code']}.used"] = str(slot["used"])
        want[f"slots.{slot['department_code']}.used.rate"] = _percent(slot["used_share"])
    return want


def test_the_figures_are_the_json_apis(api):
    """The data of this module is what the other tests read: a check of the setup itself."""
    first = next(c for c in api["clinics"] if c["upward"]["total"] == 4)
    assert first["upward"]["by_status"] == {"arrived": 1, "rejected": 1, "sent": 1, "review": 1}
    assert (first["upward_to_hospital"], first["upward_accepted"], first["upward_arrived"]) == (3, 1, 1)
    assert first["downward"]["total"] == 1
    assert [s["used"] for s in api["reserved_slots"]] == [1]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_months_indicators_as_the_api_gives_them(own_hub, month, api, role):
    client = _signed_in(own_hub, role)
    page = client.get(f"/desk/indicators?month={month}")
    assert page.status_code == 200, page.text[:500]
    shown = dict(DATA_KEY.findall(page.text))
    want = expected(api)
    assert {k: shown.get(k) for k in want} == want
    assert "全县指标" in page.text and "有效转诊率" in page.text and "<svg" in page.text
    assert 'href="/desk/indicators"' in page.text  # in the top navigation
    assert ('href="/desk/queue"' in page.text) == (role != "viewer")  # a viewer has no queue
    assert "<script" not in page.text and "http://" not in page.text.replace(own_hub.base_url, "")
    (action, status, ids) = audit_actions(own_hub.engine, client.staff_id)[-1]
    assert (action, status) == ("web.indicators", 200) and sorted(ids) == sorted(
        c["clinic_code"] for c in api["clinics"]
    )
    client.close()


def test_the_current_month_by_default_and_the_months_around(own_hub, month, api):
    client = _signed_in(own_hub, "viewer")
    page = client.get("/desk/indicators").text
    assert f'value="{month}"' in page and 'rel="prev"' in page and 'rel="next"' not in page  # no future months
    year, number = map(int, month.split("-"))
    before = f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
    assert f'href="/desk/indicators?month={before}" rel="prev"' in page
    earlier = client.get(f"/desk/indicators?month={before}")
    assert earlier.status_code == 200 and f'href="/desk/indicators?month={month}" rel="next"' in earlier.text
    assert dict(DATA_KEY.findall(earlier.text))["county.up.total"] == "0"
    client.close()


def test_a_viewer_lands_on_the_indicators(own_hub):
    staff_id, login = add_staff(own_hub.engine, "viewer")
    client = DeskClient(own_hub.base_url)
    answer = client.sign_in(login)
    assert answer.headers["location"] == "/desk/indicators"
    assert client.get("/desk/").headers["location"] == "/desk/indicators"
    client.close()


def test_the_csv_has_a_bom_a_header_and_the_same_numbers(own_hub, month, api):
    client = _signed_in(own_hub, "desk")
    answer = client.get(f"/desk/indicators.csv?month={month}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="indicators-{month}.csv"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["月份", "编码", "范围", "类别", "项目", "数量", "基数", "比率（%）"]
    _check_rows(rows[1:], api, month)
    assert audit_actions(own_hub.engine, client.staff_id)[-1][:2] == ("web.indicators.csv", 200)
    client.close()


def test_the_xlsx_opens_with_openpyxl_and_has_the_same_numbers(own_hub, month, api):
    client = _signed_in(own_hub, "admin")
    answer = client.get(f"/desk/indicators.xlsx?month={month}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "月份" and sheet.title == month
    assert all(isinstance(row[5], int) for row in rows[1:])  # numbers, not text
    _check_rows([["" if v is None else str(v) for v in row] for row in rows[1:]], api, month)
    assert audit_actions(own_hub.engine, client.staff_id)[-1][:2] == ("web.indicators.xlsx", 200)
    client.close()


def _check_rows(rows: list[list[str]], api: dict, month: str) -> None:
    """Month, code, scope, section, item, count, of, rate: the county's rows come first."""
    assert {row[0] for row in rows} == {month}
    by_scope: dict[str, dict[tuple[str, str], list[str]]] = {}
    for row in rows:
        rate = str(float(row[7])) if row[7] else ""  # XLSX reads 20.0 back as 20
        by_scope.setdefault(row[1], {})[row[3], row[4]] = [*row[5:7], rate]
    county = by_scope[""]
    up = sum(c["upward"]["total"] for c in api["clinics"])
    arrived = sum(c["upward_arrived"] for c in api["clinics"])
    reached = sum(c["upward_to_hospital"] for c in api["clinics"])
    assert county["转诊指标", "有效转诊率（患者到诊）"] == [
        str(arrived),
        str(reached),
        str(round(arrived / reached * 100, 1)),
    ]
    assert county["上转", "合计"][0] == str(up)
    for c in api["clinics"]:
        mine = by_scope[c["clinic_code"]]
        assert mine["转诊指标", "上转接收率"] == [
            str(c["upward_accepted"]),
            str(c["upward_to_hospital"]),
            str(round(c["accepted_share"] * 100, 1)) if c["accepted_share"] is not None else "",
        ]
        assert mine["家庭医生签约覆盖率", "全体居民"][:2] == [
            str(c["contracts"]["signed_residents"]),
            str(c["contracts"]["residents"]),
        ]
    (slot,) = api["reserved_slots"]
    assert by_scope[slot["department_code"]]["基层预留号源使用率", slot["department_name"]][:2] == [
        str(slot["used"]),
        str(slot["reserved"]),
    ]


@pytest.mark.parametrize("bad", ["2026-13", "abc", "2026-1", "1899-12", "x" * 300])
@pytest.mark.parametrize("path", ["/desk/indicators", "/desk/indicators.csv", "/desk/indicators.xlsx"])
def test_a_month_that_is_not_one_gets_a_page_that_says_so(own_hub, bad, path):
    client = _signed_in(own_hub, "viewer")
    answer = client.get(path, params={"month": bad})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "月份须写成 YYYY-MM" in answer.text
    assert audit_actions(own_hub.engine, client.staff_id)[-1][1] == 422
    client.close()


def test_english_by_the_language_switch(own_hub, month):
    client = _signed_in(own_hub, "viewer")
    assert client.get(f"/desk/language/en?next=/desk/indicators?month={month}").status_code == 303
    page = client.get(f"/desk/indicators?month={month}")
    assert f"County indicators of {month}" in page.text and "Effective referral rate" in page.text
    bad = client.get("/desk/indicators?month=2026-13")
    assert bad.status_code == 422 and "The month must be written YYYY-MM" in bad.text
    exported = client.get(f"/desk/indicators.csv?month={month}").content.decode("utf-8-sig")
    assert exported.startswith("Month,Code,Scope,Section,Item,Count,Of,Rate (%)")
    client.close()


def test_the_county_sums_the_clinics_counts_and_takes_the_shares_of_the_sums():
    from clinic_hub.indicators import county
    from clinic_hub.schemas.indicators import (
        ClinicIndicators,
        ContractIndicators,
        IndicatorsResponse,
        PopulationCoverage,
        StatusCounts,
    )

    def clinic(code, up, down, reached, arrived, residents, signed, elderly):
        return ClinicIndicators(
            clinic_code=code,
            clinic_name=code,
            upward=StatusCounts(total=sum(up.values()), by_status=up),
            downward=StatusCounts(total=down, by_status={"received": down} if down else {}),
            downward_share=None,
            upward_sent=reached,
            answered_within_24h=reached,
            answered_within_24h_share=None,
            upward_to_hospital=reached,
            upward_accepted=arrived,
            upward_arrived=arrived,
            accepted_share=None,
            effective_share=None,
            contracts=ContractIndicators(
                by_status={"active": signed},
                signed_in_month=1,
                residents=residents,
                signed_residents=signed,
                coverage=None,
                key_populations={
                    "elderly_65": PopulationCoverage(residents=elderly[0], signed=elderly[1], coverage=None)
                },
            ),
        )

    whole = county(
        IndicatorsResponse(
            month="2026-11",
            clinics=[
                clinic("A", {"sent": 1, "arrived": 1}, 0, 2, 1, 10, 9, (4, 4)),
                clinic("B", {"sent": 5, "review": 1}, 2, 5, 0, 90, 10, (6, 0)),
            ],
        ),
        "全县",
    )
    assert whole.clinic_name == "全县" and whole.upward.by_status == {"sent": 6, "arrived": 1, "review": 1}
    assert (whole.upward.total, whole.downward.total, whole.downward_share) == (8, 2, 0.2)
    assert (whole.upward_to_hospital, whole.upward_arrived, whole.effective_share) == (
        7,
        1,
        0.1429,
    )  # not (0.5 + 0) / 2
    assert (whole.contracts.residents, whole.contracts.signed_residents, whole.contracts.coverage) == (100, 19, 0.19)
    assert whole.contracts.key_populations["elderly_65"] == PopulationCoverage(residents=10, signed=4, coverage=0.4)
    assert whole.contracts.signed_in_month == 2
    assert county(IndicatorsResponse(month="2026-11", clinics=[])).effective_share is None
