"""The roll benchmark's own data (no tests/ import), bulk-inserted with SQLAlchemy Core.

One township (滨河镇) with 10 villages and N households in payment: each household has two
members (head and spouse) and one approved 低保 case with its `approve` event (amount in the
payload, approved in an earlier month). On top, so that every path of the roll is exercised:
1 % of the households have a removal decision (half of them gradual exit), 1 % a temporary
assistance case approved last month, 0.1 % share a bank account with another household, and
100 members stand on an imported death list. These rows are written directly, not through fire():
the benchmark measures the roll, not the engine (the audit chain of these cases is not valid).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import add_unit, ensure_district, unit_by_code
from caseflow.accounts.users import new_user
from caseflow.bootstrap import boot
from caseflow.db.models import (
    Case,
    CaseEvent,
    Household,
    Member,
    OrgUnit,
    RosterImport,
    RosterRow,
)
from caseflow.kernel.actors import Actor
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import LOCAL_TZ

boot()  # the composition root, as every entry point calls it

TOWNSHIP = "640502100"
MONTH = "2026-12"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
APPROVED = datetime(2026, 6, 15, 10, 0, tzinfo=LOCAL_TZ)
RULESET = "ningxia-640502-2021"
CHUNK = 20_000


@dataclass(frozen=True)
class World:
    actor: Actor
    township_path: str


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(session: Session, model: Any, rows: Iterator[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        session.execute(insert(model), chunk)


def build(engine: Engine, households: int, seed: int = 20261128) -> World:
    """Load the benchmark world into an empty, migrated database."""
    rng = random.Random(seed)
    with Session(engine) as s:
        ensure_district(s)
        township = unit_by_code(s, TOWNSHIP)
        villages = [
            add_unit(s, f"{TOWNSHIP}{i:03d}", f"示例村{i}", "village", township)
            for i in range(1, 11)
        ]
        user = new_user("bench_reviewer", "编制人", township, [Role.TOWNSHIP_REVIEWER], NOW)
        s.add(user)
        s.commit()
        vids = [(v.id, v.path) for v in villages]
        base_hh = (s.scalar(select(Household.id).order_by(Household.id.desc())) or 0) + 1
        shared = {i for i in range(households) if rng.random() < 0.001}
        _bulk(s, Household, (_household(i, vids, shared) for i in range(households)))
        _bulk(s, Member, (m for i in range(households) for m in _members(base_hh + i, i)))
        _bulk(s, Case, (_case(i, base_hh + i, vids, "dibao") for i in range(households)))
        first_case = s.scalar(select(Case.id).order_by(Case.id)) or 1
        _bulk(s, CaseEvent, (_approve(first_case + i, rng) for i in range(households)))
        _extras(s, rng, households, base_hh, vids)
        s.commit()
        if engine.dialect.name == "postgresql":
            # A live database has planner statistics; a fresh bulk load has none until
            # autovacuum gets to it, and the plans chosen without them are not the real ones.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        actor = Actor.from_user(s.get_one(type(user), user.id))
    return World(actor, township.path)


def _household(i: int, vids: list[tuple[int, str]], shared: set[int]) -> dict[str, Any]:
    vid, path = vids[i % len(vids)]
    account = "6222000000000000" if i in shared else f"62284800{i:010d}"
    return {
        "org_unit_id": vid,
        "org_path": path,
        "head_name": f"户主{i}",
        "address": "",
        "phone": "",
        "bank_name": "农村信用社",
        "bank_account": account,
        "created_at": APPROVED,
    }


def _members(hid: int, i: int) -> Iterator[dict[str, Any]]:
    for k, relation in enumerate(("户主", "配偶")):
        n = 2 * i + k
        born = date(1940, 1, 1) + timedelta(days=n % 20_000)
        yield {
            "household_id": hid,
            "id_number": make_id_number("640502", born, n // 20_000),
            "name": f"成员{n}",
            "relation": relation,
            "sex": "M" if k == 0 else "F",
            "birth_date": born,
            "labour_capacity": "partial",
            "health": "healthy",
            "is_student": False,
        }


def _case(i: int, hid: int, vids: list[tuple[int, str]], kind: str) -> dict[str, Any]:
    vid, path = vids[i % len(vids)]
    state = {"dibao": "approved", "removal": "removal_notice", "temporary": "approved"}[kind]
    prefix = {"dibao": "DB", "removal": "QT", "temporary": "LS"}[kind]
    return {
        "case_no": f"{prefix}-{TOWNSHIP}-2026-{i:07d}",
        "case_type": kind,
        "workflow_key": kind,
        "ruleset_key": RULESET,
        "state": state,
        "is_final": kind == "dibao",
        "version": 2,
        "household_id": hid,
        "org_unit_id": vid,
        "org_path": path,
        "flag_illness": False,
        "flag_disability": False,
        "flag_sudden": False,
        "flag_staff_relative": False,
        "opened_at": APPROVED - timedelta(days=30),
        "state_entered_at": APPROVED,
        "summary": "",
        "escalation_level": 0,
    }


def _event(
    case_id: int, trigger: str, to: str, payload: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": 2,
        "actor_role": "district_approver",
        "trigger": trigger,
        "from_state": "district_review",
        "to_state": to,
        "payload": payload,
        "at": at,
        "prev_hash": "0" * 64,
        "hash": "0" * 64,
    }


def _approve(case_id: int, rng: random.Random) -> dict[str, Any]:
    amount = rng.randrange(20_000, 120_000, 100)
    payload = {"amount_fen": amount, "covered_persons": 2, "aid_class": "A"}
    return _event(case_id, "approve", "approved", payload, APPROVED)


def _extras(
    s: Session, rng: random.Random, households: int, base_hh: int, vids: list[tuple[int, str]]
) -> None:
    """Removals, gradual exits, one-off temporary assistance, a death list."""
    picks = rng.sample(range(households), max(2, households // 50))
    removals, temporaries = picks[: len(picks) // 2], picks[len(picks) // 2 :]
    for kind, chosen in (("removal", removals), ("temporary", temporaries)):
        first = households + (0 if kind == "removal" else len(removals))
        _bulk(s, Case, (_case(first + j, base_hh + i, vids, kind) for j, i in enumerate(chosen)))
        ids = s.scalars(select(Case.id).where(Case.case_type == kind).order_by(Case.id)).all()
        decided = datetime(2026, 10, 20, 10, 0, tzinfo=LOCAL_TZ)
        events = []
        for j, cid in enumerate(ids):
            if kind == "temporary":
                events.append(
                    _event(cid, "township_approve", "approved", {"amount_fen": 150_000}, decided)
                )
            elif j % 2:
                events.append(
                    _event(
                        cid,
                        "approve_gradual_exit",
                        "gradual_exit",
                        {"months": 3, "reasons": "务工"},
                        decided,
                    )
                )
            else:
                events.append(
                    _event(
                        cid,
                        "approve_removal",
                        "removal_notice",
                        {"reasons": "收入超标", "effective_month": "2026-11"},
                        decided,
                    )
                )
        _bulk(s, CaseEvent, iter(events))
    imp = RosterImport(
        kind="deaths",
        file_name="死亡人员名单.xlsx",
        sha256="0" * 64,
        imported_at=NOW,
        rows_total=100,
        rows_imported=100,
        status="complete",
    )
    s.add(imp)
    s.flush()
    dead = s.execute(
        select(Member.id_number, Member.name).order_by(Member.id).limit(100 * 37)
    ).all()[::37]
    _bulk(
        s,
        RosterRow,
        (
            {
                "import_id": imp.id,
                "row_no": k + 2,
                "household_key": f"k{k}",
                "id_number": idn,
                "name": name,
                "raw": {},
            }
            for k, (idn, name) in enumerate(dead)
        ),
    )


def township_unit(session: Session) -> OrgUnit:
    """The benchmark's township."""
    return unit_by_code(session, TOWNSHIP)
