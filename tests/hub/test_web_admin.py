"""The administrator's pages and everyone's own password, over real HTTP on SQLite and PostgreSQL:
each action changes the database as the command line would (tokens that work or stop working,
staff who can or cannot sign in, departments and the hospital published to the clinics' next
pull), bad input gets a specific message and changes nothing, and neither tokens nor passwords
reach the audit log. The guards (session, role, CSRF) of every route: test_web_security.py."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clinic_hub import accounts, directory
from clinic_hub.accounts import hash_token
from clinic_hub.db import utcnow

from .conftest import make_record, pull_all, push
from .web_support import PASSWORD, DeskClient, add_staff, audit_actions, csrf_of

pytestmark = pytest.mark.usefixtures("cheap_passwords")

TOKEN = re.compile(r'value="(chub_[A-Za-z0-9_-]+)"')
NEW_PASSWORD = "a new and longer one"


def _client(hub, role: str = "admin", password: str = PASSWORD) -> DeskClient:
    staff_id, login = add_staff(hub.engine, role, password=password)
    client = DeskClient(hub.base_url)
    client.sign_in(login, password)
    client.staff_id, client.login = staff_id, login
    return client


@pytest.fixture
def admin(hub):
    client = _client(hub)
    yield client
    client.close()


def _code() -> str:
    return "W" + uuid.uuid4().hex[:7].upper()


def _count(hub, table: str) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def _pull_status(hub, token: str) -> int:
    with hub.client(token) as clinic:
        return clinic.get("/api/v1/sync/pull").status_code


def _audit_text(hub) -> str:
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action, record_ids FROM audit_log")).all()
    return json.dumps([[a, ids if isinstance(ids, list) else json.loads(ids)] for a, ids in rows], ensure_ascii=False)


# --- clinics ----------------------------------------------------------------------------------------


def test_adding_a_clinic_shows_its_token_once_and_the_token_works(hub, admin):
    code = _code()
    page = admin.post("/desk/admin/clinics", {"code": code.lower(), "name": "白沙村卫生室"})
    assert page.status_code == 200 and "只显示这一次" in page.text and "clinic-tui sync set-token" in page.text
    token = TOKEN.search(page.text).group(1)
    assert hub.base_url in page.text  # the hub's address for the clinic's settings
    with hub.engine.connect() as conn:
        clinic = accounts.clinic_by_code(conn, code)  # the code is kept in capitals
        stored = conn.execute(sa.text("SELECT token_hash FROM api_token WHERE principal_id = :id"), {"id": clinic.id})
        assert stored.scalars().all() == [hash_token(token)]  # only its fingerprint
    assert clinic.name == "白沙村卫生室"
    assert _pull_status(hub, token) == 200
    listing = admin.get("/desk/admin/clinics").text
    assert code in listing and token not in listing
    detail = admin.get(f"/desk/admin/clinics/{code}")
    assert detail.status_code == 200 and token not in detail.text and "令牌有效" in detail.text
    assert ("web.admin.clinic_add", 200, [code]) in audit_actions(hub.engine, admin.staff_id)
    assert token not in _audit_text(hub)


@pytest.mark.parametrize(
    ("code", "name", "says"),
    [
        ("", "东村卫生室", "请填写机构编码"),
        ("C-1", "东村卫生室", "不含空格或“-”"),
        ("东村", "东村卫生室", "不含空格或“-”"),
        ("X" * 31, "东村卫生室", "1 到 30 个字母或数字"),
        ("OK1", "", "请填写机构名称"),
        ("OK1", "村" * 201, "名称最多 200 个字符"),
    ],
)
def test_a_clinic_with_a_bad_code_or_name_is_refused_with_a_reason(hub, admin, code, name, says):
    before = _count(hub, "clinic")
    answer = admin.post("/desk/admin/clinics", {"code": code, "name": name})
    assert answer.status_code == 422 and says in answer.text and "chub_" not in answer.text
    assert name[:50] in answer.text  # what was typed stays in the form
    assert _count(hub, "clinic") == before


def test_a_clinic_code_already_taken_is_refused_whatever_its_case(hub, admin):
    code, _token = hub.new_clinic()
    before = _count(hub, "api_token")
    answer = admin.post("/desk/admin/clinics", {"code": code.lower(), "name": "重复"})
    assert answer.status_code == 422 and f"编码为 {code} 的机构已存在" in answer.text
    assert _count(hub, "api_token") == before
    assert audit_actions(hub.engine, admin.staff_id)[-2][:2] == ("web.admin.clinic_add", 422)


def test_a_rotated_token_works_and_the_old_one_gets_401_at_once(hub, admin):
    code, old = hub.new_clinic()
    assert _pull_status(hub, old) == 200
    page = admin.post(f"/desk/admin/clinics/{code}/token")
    assert page.status_code == 200 and "旧令牌已立即失效" in page.text
    new = TOKEN.search(page.text).group(1)
    assert new != old
    assert _pull_status(hub, old) == 401
    assert _pull_status(hub, new) == 200
    assert admin.post("/desk/admin/clinics/NOSUCH1/token").status_code == 404
    assert new not in _audit_text(hub)


def test_revoking_asks_first_then_the_clinics_sync_gets_401(hub, admin):
    code, token = hub.new_clinic()
    confirm = admin.get(f"/desk/admin/clinics/{code}/revoke")
    assert confirm.status_code == 200 and "吊销" in confirm.text and "401" in confirm.text
    assert _pull_status(hub, token) == 200  # asking changed nothing
    done = admin.post(f"/desk/admin/clinics/{code}/revoke")
    assert done.status_code == 303 and done.headers["location"].endswith("?done=revoked")
    assert _pull_status(hub, token) == 401
    page = admin.get(done.headers["location"]).text
    assert "令牌已吊销" in page and "签发新令牌" in page


def test_a_clinics_page_shows_its_last_push_its_records_by_kind_and_what_was_refused(hub, admin):
    code, token = hub.new_clinic("南村卫生室")
    fresh = admin.get(f"/desk/admin/clinics/{code}").text
    assert "尚未上传过数据" in fresh and "从未" in fresh
    good = [make_record("followup", code, disease="hypertension") for _ in range(3)]
    bad = make_record("no_such_kind", code)
    with hub.client(token) as clinic:
        answer = push(clinic, [*good, bad])
        assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * 3 + ["rejected"]
        assert clinic.get("/api/v1/sync/reconcile").status_code == 200
    page = admin.get(f"/desk/admin/clinics/{code}")
    assert page.status_code == 200
    text = page.text
    assert "最近上传及平台答复" in text and "followup" in text
    assert re.search(r"<td>followup</td><td class=\"num\">3</td>", text)  # held by kind
    assert bad["id"] in text and "枢纽不接收此类记录：no_such_kind" in text and "平台上没有" in text
    assert "已 " not in text.split("最近同步")[1][:200]  # heard from just now: not silent
    assert ("web.admin.clinic", 200, [code]) in audit_actions(hub.engine, admin.staff_id)
    assert admin.get("/desk/admin/clinics/NOSUCH1").status_code == 404


def test_a_clinic_not_heard_from_for_days_stands_out(hub, admin):
    code, token = hub.new_clinic()
    with hub.client(token) as clinic:
        assert push(clinic, [make_record("followup", code)]).status_code == 200
    with hub.engine.begin() as conn:  # as if all that was five days ago
        clinic_id = accounts.clinic_by_code(conn, code).id
        five_days_ago = utcnow() - timedelta(days=5)
        conn.execute(
            sa.text("UPDATE push_batch SET created_at = :t WHERE clinic_id = :id"),
            {"t": five_days_ago, "id": clinic_id},
        )
        conn.execute(
            sa.text("UPDATE audit_log SET at = :t WHERE actor_type = 'clinic' AND actor_id = :code"),
            {"t": five_days_ago, "code": code},
        )
    assert "已 5 天无同步" in admin.get(f"/desk/admin/clinics/{code}").text
    row = re.search(rf'<tr class="quiet">\s*<td><a [^>]+>{code}</a>', admin.get("/desk/admin/clinics").text)
    assert row, "the quiet clinic's row is marked"


# --- staff ------------------------------------------------------------------------------------------


def _add(admin: DeskClient, **fields) -> object:
    form = {
        "name": "李医生",
        "login": f"li-{uuid.uuid4().hex[:6]}",
        "role": "desk",
        "department": "",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    form.update(fields)
    return admin.post("/desk/admin/staff", form)


def test_a_new_staff_member_signs_in_with_the_password_given(hub, admin):
    department = hub.new_department()
    login = f"doctor-{uuid.uuid4().hex[:6]}"
    added = _add(admin, login=login, role="doctor", department=department)
    assert added.status_code == 303
    staff_id = added.headers["location"].split("/")[-1].split("?")[0]
    page = admin.get(added.headers["location"]).text
    assert "已新增员工" in page and login in page and department in page
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT s.role, l.login, l.department_code, l.password_hash FROM staff s "
                "JOIN staff_login l ON l.staff_id = s.id WHERE s.id = :id"
            ),
            {"id": staff_id},
        ).one()
        tokens = conn.execute(sa.text("SELECT count(*) FROM api_token WHERE principal_id = :id"), {"id": staff_id})
        assert tokens.scalar_one() == 0  # a desk account, no API token
    assert row[:3] == ("doctor", login, department) and row[3].startswith("$argon2id$")
    doctor = DeskClient(hub.base_url)
    doctor.sign_in(login, NEW_PASSWORD)
    assert doctor.get("/desk/queue").status_code == 200
    listing = admin.get("/desk/admin/staff").text
    assert login in listing and "科室医生" in listing
    assert ("web.admin.staff_add", 200, [staff_id]) in audit_actions(hub.engine, admin.staff_id)
    assert NEW_PASSWORD not in _audit_text(hub)
    doctor.close()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name": ""}, "请填写员工姓名"),
        ({"login": ""}, "登录名须为 1 到 100 个字符"),
        ({"role": "superuser"}, "请选择角色"),
        ({"role": "doctor"}, "科室医生须选择科室"),
        ({"role": "doctor", "department": "NO-SUCH"}, "没有编码为 NO-SUCH 的科室"),
        ({"password": "short", "password_again": "short"}, "密码至少需要 8 个字符"),
        ({"password_again": "something else"}, "两次输入的新密码不一致"),
    ],
)
def test_a_staff_member_with_bad_input_is_refused_with_a_reason(hub, admin, fields, says):
    before = _count(hub, "staff"), _count(hub, "staff_login")
    answer = _add(admin, **fields)
    assert answer.status_code == 422 and says in answer.text
    assert NEW_PASSWORD not in answer.text  # a password is never sent back
    assert (_count(hub, "staff"), _count(hub, "staff_login")) == before


def test_a_login_name_already_taken_is_refused(hub, admin):
    _other_id, taken = add_staff(hub.engine, "desk")
    before = _count(hub, "staff")
    answer = _add(admin, login=taken)
    assert answer.status_code == 422 and "该登录名已被其他员工使用" in answer.text
    assert _count(hub, "staff") == before


def test_a_new_password_set_by_the_administrator_ends_that_persons_sessions(hub, admin):
    nurse = _client(hub, "desk")
    assert nurse.get("/desk/queue").status_code == 200
    short = admin.post(f"/desk/admin/staff/{nurse.staff_id}/password", {"password": "x", "password_again": "x"})
    assert short.status_code == 422 and "密码至少需要 8 个字符" in short.text
    assert nurse.get("/desk/queue").status_code == 200  # a refused reset ends nothing
    done = admin.post(
        f"/desk/admin/staff/{nurse.staff_id}/password", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 303 and "已结束" in admin.get(done.headers["location"]).text
    assert nurse.get("/desk/queue").status_code == 303  # signed out
    nurse.sign_in(nurse.login, PASSWORD, expect=401)
    nurse.sign_in(nurse.login, NEW_PASSWORD)
    assert NEW_PASSWORD not in _audit_text(hub)
    nurse.close()


def test_unlock_lets_a_locked_login_sign_in_again(hub, admin):
    nurse = _client(hub, "desk")
    with hub.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE staff_login SET locked_until = :t WHERE staff_id = :id"),
            {"t": utcnow() + timedelta(minutes=10), "id": nurse.staff_id},
        )
    nurse.sign_in(nurse.login, PASSWORD, expect=429)
    assert "锁定至" in admin.get("/desk/admin/staff").text
    assert admin.post(f"/desk/admin/staff/{nurse.staff_id}/unlock").status_code == 303
    nurse.sign_in(nurse.login, PASSWORD)
    no_login = add_staff_without_login(hub)
    refused = admin.post(f"/desk/admin/staff/{no_login}/unlock")
    assert refused.status_code == 422 and "还没有工作台账号" in refused.text
    nurse.close()


def add_staff_without_login(hub) -> str:
    with hub.engine.begin() as conn:
        return accounts.add_staff(conn, "只有接口令牌", "viewer")[0]


def test_a_new_role_and_department_apply_at_once(hub, admin):
    nurse = _client(hub, "desk")
    department = hub.new_department()
    refused = admin.post(f"/desk/admin/staff/{nurse.staff_id}/role", {"role": "doctor", "department": ""})
    assert refused.status_code == 422 and "科室医生须选择科室" in refused.text
    done = admin.post(f"/desk/admin/staff/{nurse.staff_id}/role", {"role": "doctor", "department": department})
    assert done.status_code == 303
    with hub.engine.connect() as conn:
        role, dept = conn.execute(
            sa.text(
                "SELECT s.role, l.department_code FROM staff s JOIN staff_login l ON l.staff_id = s.id WHERE s.id = :id"
            ),
            {"id": nurse.staff_id},
        ).one()
    assert (role, dept) == ("doctor", department)
    assert "预约至" in nurse.get("/desk/queue").text  # the same session, now a doctor of that department
    assert admin.post(f"/desk/admin/staff/{nurse.staff_id}/role", {"role": "viewer"}).status_code == 303
    assert nurse.get("/desk/queue").status_code == 403
    with hub.engine.connect() as conn:  # a department only for doctors
        assert (
            conn.execute(
                sa.text("SELECT department_code FROM staff_login WHERE staff_id = :id"), {"id": nurse.staff_id}
            ).scalar_one()
            is None
        )
    nurse.close()


def test_a_disabled_account_cannot_sign_in_and_loses_its_sessions_and_token(hub, admin):
    nurse = _client(hub, "desk")
    with hub.engine.begin() as conn:
        token = accounts.rotate_token(conn, staff_id=nurse.staff_id)
    with hub.client(token) as api:
        assert api.get("/api/v1/desk/referrals").status_code == 200
    confirm = admin.get(f"/desk/admin/staff/{nurse.staff_id}/disable")
    assert confirm.status_code == 200 and "停用" in confirm.text
    assert nurse.get("/desk/queue").status_code == 200  # asking changed nothing
    assert admin.post(f"/desk/admin/staff/{nurse.staff_id}/disable").status_code == 303
    assert nurse.get("/desk/queue").status_code == 303
    refused = nurse.sign_in(nurse.login, PASSWORD, expect=403)
    assert "该账号已停用" in refused.text
    nurse.sign_in(nurse.login, "wrong password", expect=401)  # without the password: no hint
    with hub.client(token) as api:
        assert api.get("/api/v1/desk/referrals").status_code == 401
    assert "已停用" in admin.get("/desk/admin/staff").text
    assert admin.post(f"/desk/admin/staff/{nurse.staff_id}/enable").status_code == 303
    nurse.sign_in(nurse.login, PASSWORD)
    nurse.close()


def test_an_administrator_cannot_disable_or_demote_themself(hub, admin):
    disable = admin.post(f"/desk/admin/staff/{admin.staff_id}/disable")
    assert disable.status_code == 422 and "不能停用您本人的账号" in disable.text
    demote = admin.post(f"/desk/admin/staff/{admin.staff_id}/role", {"role": "desk"})
    assert demote.status_code == 422 and "不能取消您本人的管理员角色" in demote.text
    reset = admin.post(
        f"/desk/admin/staff/{admin.staff_id}/password", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert reset.status_code == 422 and "修改密码" in reset.text
    with hub.engine.connect() as conn:
        role, disabled = conn.execute(
            sa.text("SELECT role, disabled_at FROM staff WHERE id = :id"), {"id": admin.staff_id}
        ).one()
    assert (role, disabled) == ("admin", None)
    assert admin.get("/desk/admin/staff").status_code == 200
    assert admin.get(f"/desk/admin/staff/{uuid.uuid4()}").status_code == 404


# --- departments and the directory ------------------------------------------------------------------


def _directory_changes(hub, cursor: str, kind: str) -> list[dict]:
    code, token = hub.new_clinic()
    with hub.client(token) as clinic:
        found, _cursor = pull_all(clinic, cursor)
    return [c for c in found if c["kind"] == kind]


def test_a_department_added_and_edited_reaches_the_clinics_next_pull(hub, admin):
    code = "D" + uuid.uuid4().hex[:6].upper()
    cursor = hub.cursor_now()
    added = admin.post(
        "/desk/admin/departments", {"code": code, "name": "康复医学科", "daily_outpatient_slots": "12", "active": "1"}
    )
    assert added.status_code == 303 and "已新增科室" in admin.get(added.headers["location"]).text
    edited = admin.post(f"/desk/admin/departments/{code}", {"name": "康复科", "daily_outpatient_slots": "30"})
    assert edited.status_code == 303
    with hub.engine.connect() as conn:
        row = directory.department(conn, code)
    assert (row.name, row.daily_outpatient_slots, row.active) == ("康复科", 30, False)  # unticked: inactive
    published = [c["data"] for c in _directory_changes(hub, cursor, "department") if c["data"]["code"] == code]
    assert published[-1]["name"] == "康复科" and published[-1]["reserved_daily"] == 10
    assert published[-1]["active"] is False
    page = admin.get("/desk/admin/departments").text
    assert code in page and "康复科" in page
    assert ("web.admin.department_edit", 200, [code]) in audit_actions(hub.engine, admin.staff_id)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"code": "心内"}, "科室编码为 1 到 40 个字母"),
        ({"name": ""}, "请填写科室名称"),
        ({"daily_outpatient_slots": "-1"}, "0 到 10000 的整数"),
        ({"daily_outpatient_slots": "十"}, "0 到 10000 的整数"),
        ({"daily_outpatient_slots": "10001"}, "0 到 10000 的整数"),
    ],
)
def test_a_department_with_bad_input_is_refused_with_a_reason(hub, admin, fields, says):
    form = {"code": "D" + uuid.uuid4().hex[:6].upper(), "name": "眼科", "daily_outpatient_slots": "8", "active": "1"}
    form.update(fields)
    before = _count(hub, "department"), hub.cursor_now()
    answer = admin.post("/desk/admin/departments", form)
    assert answer.status_code == 422 and says in answer.text
    assert (_count(hub, "department"), hub.cursor_now()) == before


def test_a_department_code_taken_or_unknown_is_refused(hub, admin):
    existing = hub.new_department()
    before = hub.cursor_now()
    taken = admin.post("/desk/admin/departments", {"code": existing, "name": "x", "daily_outpatient_slots": "1"})
    assert taken.status_code == 422 and f"编码为 {existing} 的科室已存在" in taken.text
    unknown = admin.post("/desk/admin/departments/NO-SUCH", {"name": "x", "daily_outpatient_slots": "1"})
    assert unknown.status_code == 422 and "没有编码为 NO-SUCH 的科室" in unknown.text
    assert hub.cursor_now() == before


def test_the_hospital_is_set_and_published(hub, admin):
    cursor = hub.cursor_now()
    bad = admin.post("/desk/admin/directory/hospital", {"code": "H-01", "name": "县人民医院"})
    assert bad.status_code == 422 and "医院编码为 1 到 30 个字母或数字" in bad.text
    assert hub.cursor_now() == cursor
    done = admin.post("/desk/admin/directory/hospital", {"code": "h01", "name": "县人民医院"})
    assert done.status_code == 303
    with hub.engine.connect() as conn:
        assert directory.hospital(conn) == ("H01", "县人民医院")
    hospital = _directory_changes(hub, cursor, "hospital")
    assert {k: hospital[-1]["data"][k] for k in ("code", "name")} == {"code": "H01", "name": "县人民医院"}


def _upload(admin: DeskClient, name: str, content: bytes):
    return admin.http.post(
        "/desk/admin/directory/import",
        data={"csrf_token": admin.csrf},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_a_directory_file_is_imported_by_upload_and_its_counts_shown(hub, admin):
    code = "D" + uuid.uuid4().hex[:6].upper()
    toml = f'[[departments]]\ncode = "{code}"\nname = "皮肤科"\ndaily_outpatient_slots = 9\n'.encode()
    answer = _upload(admin, "directory.toml", toml)
    assert answer.status_code == 200 and "已导入：1 个科室" in answer.text
    with hub.engine.connect() as conn:
        assert directory.department(conn, code).name == "皮肤科"
    csv_code = "D" + uuid.uuid4().hex[:6].upper()
    csv = f"department_code,department_name,daily_outpatient_slots\n{csv_code},口腔科,6\n".encode("utf-8-sig")
    assert "已导入：1 个科室" in _upload(admin, "directory.csv", csv).text
    with hub.engine.connect() as conn:
        assert directory.department(conn, csv_code).daily_outpatient_slots == 6


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("directory.toml", b'[[departments]]\ncode = "X1"\nname = \n', "文件未导入（未做任何修改）：not valid TOML"),
        ("directory.toml", b'[[departments]]\ncode = "X1"\n', "a required field is missing: name"),
        (
            "directory.toml",
            b'[[departments]]\ncode = "X1"\nname = "a"\ndaily_outpatient_slots = "many"\n',
            "not a whole number",
        ),
        ("directory.xlsx", b"PK\x03\x04", "扩展名须为 .toml 或 .csv"),
        ("directory.csv", "科室".encode("gbk"), "不是 UTF-8 文本"),
        ("directory.toml", b"", "请选择目录文件"),
    ],
)
def test_a_bad_directory_file_says_what_is_wrong_and_imports_nothing(hub, admin, name, content, says):
    before = _count(hub, "department"), hub.cursor_now()
    answer = _upload(admin, name, content)
    assert answer.status_code == 422 and says in answer.text
    assert (_count(hub, "department"), hub.cursor_now()) == before


def test_a_directory_file_that_is_too_large_is_refused(hub, admin):
    before = hub.cursor_now()
    answer = _upload(admin, "directory.csv", b"department_code,department_name\n" + b"X" * (1024 * 1024 + 1))
    assert answer.status_code == 413 and "超过 1024 KB" in answer.text
    assert hub.cursor_now() == before


# --- everyone's own password ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["desk", "viewer"])
def test_changing_ones_own_password(hub, role):
    me = _client(hub, role)
    elsewhere = DeskClient(hub.base_url)  # the same person on another PC
    elsewhere.sign_in(me.login)
    form = {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert "修改密码" in me.get("/desk/password").text
    wrong = me.post("/desk/password", {**form, "current_password": "not my password"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    short = me.post("/desk/password", {**form, "password": "short", "password_again": "short"})
    assert short.status_code == 422 and "密码至少需要 8 个字符" in short.text
    differ = me.post("/desk/password", {**form, "password_again": "something else"})
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.text
    same = me.post("/desk/password", {**form, "password": PASSWORD, "password_again": PASSWORD})
    assert same.status_code == 422 and "不能与当前密码相同" in same.text
    old_session = me.session_cookie
    done = me.post("/desk/password", form)
    assert done.status_code == 303 and me.session_cookie != old_session  # this session goes on, renewed
    page = me.get(done.headers["location"])
    assert page.status_code == 200 and "密码已修改" in page.text
    me.csrf = csrf_of(page.text)
    assert elsewhere.get("/desk/indicators").status_code == 303  # the other session ended
    stale = DeskClient(hub.base_url)
    stale.http.cookies.set("desk_session", old_session, domain="127.0.0.1", path="/desk")
    assert stale.get("/desk/indicators").status_code == 303  # so did the old id of this one
    elsewhere.sign_in(me.login, PASSWORD, expect=401)
    elsewhere.sign_in(me.login, NEW_PASSWORD)
    statuses = [s for a, s, _ids in audit_actions(hub.engine, me.staff_id) if a == "web.password"]
    assert statuses == [422, 422, 422, 422, 200]
    text = _audit_text(hub)
    assert NEW_PASSWORD not in text and PASSWORD not in text
    for client in (me, elsewhere, stale):
        client.close()


def test_guessing_the_current_password_locks_the_login_and_signs_out(hub):
    me = _client(hub, "desk")
    form = {"current_password": "guess", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    for _attempt in range(4):
        assert me.post("/desk/password", form).status_code == 422
    locked = me.post("/desk/password", form)
    assert locked.status_code == 429 and "锁定" in locked.text
    assert me.get("/desk/queue").status_code == 303  # signed out
    me.sign_in(me.login, PASSWORD, expect=429)
    me.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_refused_admin_form_is_audited_then_its_page_shown_again_in_the_readers_language(hub, admin, lang):
    """One answer for every refused form (clinic_hub.web.common.refused): 422, the reason in the
    reader's language, the refused action audited with its status, then the page's own read."""
    nurse, unknown = _client(hub, "desk"), "D" + uuid.uuid4().hex[:6].upper()
    admin.get(f"/desk/language/{lang}?next=/desk/admin/staff")
    cases = [
        ("/desk/admin/clinics", {"code": "Q-1", "name": "x"}, "web.admin.clinic_add", ["Q-1"], "web.admin.clinics"),
        ("/desk/admin/staff", {"name": "", "login": "x", "role": "desk"}, "web.admin.staff_add", [], "web.admin.staff"),
        (
            f"/desk/admin/staff/{nurse.staff_id}/role",
            {"role": "doctor", "department": ""},
            "web.admin.staff_role",
            [nurse.staff_id],
            "web.admin.staff_member",
        ),
        (
            f"/desk/admin/departments/{unknown}",
            {"name": "x", "daily_outpatient_slots": "1"},
            "web.admin.department_edit",
            [unknown],
            "web.admin.departments",
        ),
        (
            "/desk/admin/directory/hospital",
            {"code": "H-1", "name": "x"},
            "web.admin.hospital",
            [],
            "web.admin.directory",
        ),
    ]
    says = {
        "zh": ["机构编码为", "请填写员工姓名", "科室医生须选择科室", f"没有编码为 {unknown} 的科室", "医院编码为"],
        "en": [
            "The clinic code is",
            "Give the staff member",
            "A department doctor needs a department.",
            f"There is no department with the code {unknown}.",
            "The hospital code is",
        ],
    }[lang]
    for (path, form, action, ids, page), text in zip(cases, says, strict=True):
        answer = admin.post(path, form)
        assert answer.status_code == 422 and text in answer.text, path
        refused, shown = audit_actions(hub.engine, admin.staff_id)[-2:]
        assert refused == (action, 422, ids) and shown[:2] == (page, 200)
    nurse.close()
