"""The demo's means records: what the investigators of a demo 低保 / 特困 case record at the
home visit (record_household_means), so the demo shows lines with their evidence and a spread
of results — class A/B/C, ineligible, 单人保 and households covered in part.

The household's lines (made with the household) are recorded again with a 核对 result, a
document and a date; rigid spending is added where a member is seriously ill, severely disabled
or a student; a case the plan refuses gets the non-work car that excludes it; an 因病 household
chosen for 单人保 gets the earnings that lift it over the standard but within 1.5 times it,
while the ill member's own income stays below the standard.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from caseflow.casework.means import stored_rows
from caseflow.db.models import Household, Member
from caseflow.kernel.money import format_yuan

EVIDENCE = {
    "income": ("信息核对报告", "务工单位收入证明", "村委会出具的种养殖收入证明", "银行流水"),
    "asset": ("信息核对报告", "银行存款查询回执", "不动产登记查询结果", "车辆登记查询结果"),
    "expense": ("住院费用结算单", "门诊票据及诊断证明", "康复机构收费票据", "学校收费票据"),
}


def _checked(rng: random.Random, section: str, day: date) -> dict[str, str]:
    """Mostly checked with a document; some declared only, a few still awaiting the check."""
    roll = rng.random()
    as_of = (day - timedelta(days=rng.randint(0, 20))).isoformat()
    if roll < 0.7:
        evidence = rng.choice(EVIDENCE[section])
        return {
            "check": rng.choice(("verified", "verified", "adjusted")),
            "evidence": evidence,
            "as_of": as_of,
        }
    return {"check": "declared" if roll < 0.9 else "pending", "evidence": "", "as_of": as_of}


def _line(member: Member, section: str, kind: str, fen: int, **extra: str) -> dict[str, Any]:
    row = {"member_id": str(member.id), "section": section, "kind": kind, "note": ""}
    return {**row, "amount": format_yuan(fen), **extra}


def _expenses(rng: random.Random, member: Member, day: date) -> list[dict[str, Any]]:
    rows = []
    if member.health == "serious_illness":
        fen = rng.randint(150, 600) * 100
        rows.append(_line(member, "expense", "medical", fen, **_checked(rng, "expense", day)))
    if member.disability_grade is not None and member.disability_grade <= 2:
        fen = rng.randint(80, 300) * 100
        rows.append(_line(member, "expense", "disability", fen, **_checked(rng, "expense", day)))
    if member.is_student and rng.random() < 0.4:
        fen = rng.randint(50, 200) * 100
        rows.append(_line(member, "expense", "education", fen, **_checked(rng, "expense", day)))
    return rows


def _edge_earnings(
    household: Household, standard_fen: int, rng: random.Random, day: date
) -> list[dict[str, Any]]:
    """Wages for a healthy member that put the household's per-capita income between the
    standard and 1.4 × it (the ill member's own income is left as it is)."""
    earners = [
        m
        for m in household.members
        if m.health != "serious_illness" and m.labour_capacity == "full"
    ]
    if not earners or len(household.members) < 2:
        return []
    counted = sum(i.monthly_fen for m in household.members for i in m.incomes)
    target = standard_fen * len(household.members) * rng.randint(110, 135) // 100
    wages = max(target - counted, 0) // 100 * 100 + 100
    checked = {"check": "verified", "evidence": "务工单位收入证明", "as_of": day.isoformat()}
    return [_line(earners[0], "income", "wages", wages, note="外出务工", **checked)]


def demo_records(
    household: Household,
    rng: random.Random,
    day: date,
    *,
    refuse: bool = False,
    edge_standard_fen: int | None = None,
) -> list[dict[str, Any]]:
    """The record an investigator makes on `day` for the household (see the module's text)."""
    rows = []
    for row in stored_rows(household):
        rows.append({**row, **_checked(rng, row["section"], day)})
    for member in household.members:
        rows += _expenses(rng, member, day)
    head = household.members[0]
    if refuse:
        car = rng.randint(30, 90) * 1_000_00
        checked = {"check": "verified", "evidence": "车辆登记查询结果", "as_of": day.isoformat()}
        rows.append(_line(head, "asset", "vehicle", car, note="家用轿车", **checked))
    if edge_standard_fen is not None:
        rows += _edge_earnings(household, edge_standard_fen, rng, day)
    return rows
