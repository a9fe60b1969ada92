"""Issue 18: the lead hospital's results a clinic chose for a referral slip reach the desk's copy of
the slip, each with its institution, report date and 互认 mark; a slip without them (an older
clinic app pushes no ``results``) is accepted and shows no such section."""

from __future__ import annotations

import uuid

import pytest

from .conftest import BACKENDS, HubServer, make_referral, push
from .web_support import DeskClient, add_staff

pytestmark = pytest.mark.usefixtures("cheap_passwords")

GLUCOSE = {
    "source": "lab",
    "source_id": str(uuid.uuid4()),
    "code": "GLU",
    "item": "血糖（空腹）",
    "value": "8.4",
    "unit": "mmol/L",
    "reference_range": "3.9-6.1",
    "flag": "H",
    "institution": "县人民医院检验科",
    "reported_at": "2026-11-04T16:30:00+00:00",  # 11-05 in China
    "recognised": True,
    "order_no": "C1-20261104-L0001",
}
ECG = {
    "source": "report",
    "source_id": str(uuid.uuid4()),
    "code": "ecg",
    "item": "心电诊断",
    "value": "窦性心律，ST 段压低",
    "flag": "critical",
    "institution": "示范县人民医院",
    "reported_at": "2026-11-08T02:00:00+00:00",
    "recognised": False,
}


@pytest.fixture(scope="module", params=BACKENDS)
def own_hub(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('slip-hub') / 'hub.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    server = HubServer(request.param, url)
    yield server
    server.stop()


def _page(hub, **fields) -> str:
    code, token = hub.new_clinic()
    client = hub.client(token)
    record = make_referral(code, **fields)
    answer = push(client, [record])
    client.close()
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted", answer.text
    _staff_id, login = add_staff(hub.engine, "desk")
    nurse = DeskClient(hub.base_url)
    nurse.sign_in(login)
    page = nurse.get(f"/desk/referrals/{record['data']['referral_no']}")
    nurse.close()
    assert page.status_code == 200
    return page.text


def test_the_desk_shows_the_results_on_the_slip_with_their_mark(own_hub):
    html = _page(own_hub, results=[GLUCOSE, ECG, "not a result"])
    assert "上级医院检查检验结果" in html
    for shown in ("血糖（空腹）", "8.4", "mmol/L", "3.9-6.1", "偏高 H", "县人民医院检验科", "2026-11-05", "互认"):
        assert f"<td>{shown}</td>" in html, shown
    for shown in ("心电诊断", "危急值", "示范县人民医院", "2026-11-08", "未互认"):
        assert f"<td>{shown}</td>" in html, shown


def test_a_slip_without_results_as_an_older_app_pushes_it_shows_none(own_hub):
    html = _page(own_hub)
    assert "上级医院检查检验结果" not in html and "血压控制不佳" in html
