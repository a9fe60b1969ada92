"""Family-doctor teams, service packages and contracts in every status."""

from __future__ import annotations

from datetime import date, timedelta

from clinic_tui.domain.contract import default_period, derive_key_populations, make_contract_number

from . import catalog
from .records import RecordMaker


def add_contracts(maker: RecordMaker, residents: list[dict]) -> None:
    rng, today = maker.rng, maker.today
    team = maker.record(
        "team",
        500,
        {
            "name": "李建国家庭医生团队",
            "org_code": "QS0101",
            "leader_id": maker.staff[0],
            "members": [
                {"staff_id": maker.staff[0], "role": "leader"},
                {"staff_id": maker.staff[1], "role": "nurse"},
                {"staff_id": maker.staff[2], "role": "public_health"},
                {"staff_id": maker.staff[3], "role": "general_practitioner"},
                {"name": "刘主任（县人民医院心内科）", "role": "specialist"},
            ],
            "active": True,
        },
        synced=True,
    )
    packages = {}
    for code, name, kind, price, items in catalog.PACKAGES:
        packages[kind] = maker.record(
            "service_package",
            500,
            {
                "code": code,
                "name": name,
                "kind": kind,
                "price_fen": price * 100,
                "year": today.year,
                "items": [{"code": c, "name": n, "yearly_count": k} for c, n, k in items],
                "active": True,
            },
            synced=True,
        )
    # The first contracts show every status, whatever the random draw gives the rest.
    showcase = [
        ("pending", 3),
        ("active", 100),
        ("expiring", 350),
        ("renewed", 400),
        ("expired", 450),
        ("terminated", 200),
    ]
    for resident in residents:
        tags = derive_key_populations(
            resident["birth_date"],
            resident["sex"],
            resident["chronic_conditions"],
            resident["manual_population_tags"],
            today,
        )
        if showcase:
            forced, days_ago = showcase.pop(0)
        elif rng.random() > (0.8 if tags else 0.4):
            continue
        else:
            forced, days_ago = None, rng.randint(0, 520)
        start = today - timedelta(days=days_ago)
        _contract(maker, resident, team["id"], packages, sorted(tags), start, "new", None, forced)


def _status(maker: RecordMaker, start: date, end: date) -> str:
    rng, today = maker.rng, maker.today
    if end < today:
        return "renewed" if rng.random() < 0.6 else "expired"
    if (today - start).days < 10 and rng.random() < 0.3:
        return "pending"
    if rng.random() < 0.03:
        return "terminated"
    return "expiring" if (end - today).days <= 30 else "active"


def _contract(
    maker: RecordMaker,
    resident: dict,
    team_id: str,
    packages: dict,
    tags: list[str],
    start: date,
    kind: str,
    previous_id: str | None,
    forced_status: str | None = None,
) -> None:
    rng, today = maker.rng, maker.today
    period = default_period(start)
    status = forced_status or _status(maker, start, period.end)
    chosen = [packages["basic"]] + [packages[t] for t in tags if t in packages]
    total = sum(p["price_fen"] for p in chosen)
    insurance = min(total, 7000)
    public_health = min(total - insurance, 4000)
    maker.contract_sequence += 1
    days_ago = (today - start).days
    contract = maker.record(
        "contract",
        days_ago,
        {
            "contract_no": make_contract_number("QS0101", start.year, maker.contract_sequence),
            "kind": kind,
            "subject": "individual",
            "household_rep_id": None,
            "resident_id": resident["id"],
            "year": start.year,
            "signed_date": start,
            "start_date": start,
            "end_date": period.end,
            "org_code": "QS0101",
            "team_id": team_id,
            "doctor_id": maker.staff[0],
            "operator_id": maker.staff[1],
            "population_tags": tags,
            "package_codes": [p["code"] for p in chosen],
            "service_modes": ["clinic", "home"] if "elderly_65" in tags else ["clinic"],
            "fee_total_fen": total,
            "fee_insurance_fen": insurance,
            "fee_public_health_fen": public_health,
            "fee_self_fen": total - insurance - public_health,
            "resident_signed": status != "pending",
            "doctor_signed": True,
            "status": status,
            "terminated_on": start + timedelta(days=rng.randint(30, 200)) if status == "terminated" else None,
            "termination_reason": rng.choice(["1", "4", "5"]) if status == "terminated" else None,
            "termination_note": "迁往外省居住" if status == "terminated" else None,
            "previous_contract_id": previous_id,
        },
    )
    for _ in range(rng.randint(0, 3) if status in ("active", "expiring", "renewed", "expired") else 0):
        item = rng.choice(chosen[0]["items"])
        delivered = start + timedelta(days=rng.randint(0, max(0, min(364, (today - start).days))))
        maker.record(
            "service_record",
            (today - delivered).days,
            {
                "contract_id": contract["id"],
                "item_code": item["code"],
                "delivered_on": delivered,
                "staff_id": maker.staff[0],
                "source_kind": None,
                "source_id": None,
                "note": item["name"],
            },
        )
    if status == "renewed":
        _contract(maker, resident, team_id, packages, tags, period.end + timedelta(days=1), "renewal", contract["id"])
