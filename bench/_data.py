"""The engine benchmark's own world (no tests/ import): 滨河镇 with ten villages, the four staff the
benchmark's cases need, the example policy, households of two or three, and 低保 cases walked
through `fire()` to the state the measured loops start from.

The measured loop (`CYCLE`) is the objection round of a 低保 case in publicity, which keeps a
case open forever and mixes real state changes with internal events:

    publicizing --record_objection--> objection_review --order_reinvestigation--> reinvestigating
    reinvestigating --sign_home_visit (inv1)--> itself, --sign_home_visit (inv2)--> itself
    reinvestigating --submit_reinvestigation--> publicizing

The memory loop is cheaper to set up (only `open_case`): accepted ⇄ awaiting_materials.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from caseflow import SEED_DIR
from caseflow.accounts.orgs import add_unit, ensure_district, unit_by_code
from caseflow.accounts.users import new_user
from caseflow.bootstrap import boot
from caseflow.db.models import Household, Member, MemberIncome, OrgUnit
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.roles import Role
from caseflow.policy.store import load_policy_file

boot()  # the composition root, as every entry point calls it

SH = ZoneInfo("Asia/Shanghai")
# A Monday in an ordinary working week.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
WORKFLOW = "dibao"


@dataclass(frozen=True)
class Step:
    """One fire of a loop: trigger, who fires it, with what payload, and the states around it."""

    trigger: str
    actor: str  # a key of BenchWorld.actors
    role: str
    payload: dict[str, Any]
    source: str
    dest: str  # == source for an internal event


VISIT = {"visit_date": "2026-03-02", "findings": "入户核实，家庭情况与申请一致"}

# Walk of a freshly opened case (accepted) to the cycle's start (publicizing).
WALK: tuple[Step, ...] = (
    Step("start_investigation", "clerk", Role.CLERK, {}, "accepted", "investigating"),
    Step("sign_home_visit", "inv1", Role.INVESTIGATOR, VISIT, "investigating", "investigating"),
    Step("sign_home_visit", "inv2", Role.INVESTIGATOR, VISIT, "investigating", "investigating"),
    Step("record_assessment", "inv1", Role.INVESTIGATOR, {}, "investigating", "investigating"),
    Step(
        "submit_investigation",
        "inv1",
        Role.INVESTIGATOR,
        {"summary": "符合条件"},
        "investigating",
        "township_review",
    ),
    Step(
        "start_publicity",
        "reviewer",
        Role.TOWNSHIP_REVIEWER,
        {"place": "村委会公示栏"},
        "township_review",
        "publicizing",
    ),
)

# The rest of the walk to a decision: publicity runs its seven days (the timer ends it), then
# the district approves what the rules computed for the whole household.
DECISION: tuple[Step, ...] = (
    Step("publicity_ended", "system", Role.SYSTEM, {}, "publicizing", "district_review"),
    Step("approve", "approver", Role.DISTRICT_APPROVER, {"aid_class": "A"}, "district_review",
         "approved"),
)  # fmt: skip

CYCLE: tuple[Step, ...] = (
    Step(
        "record_objection",
        "reviewer",
        Role.TOWNSHIP_REVIEWER,
        {"objection": "村民反映家中有经营性车辆"},
        "publicizing",
        "objection_review",
    ),
    Step(
        "order_reinvestigation",
        "reviewer",
        Role.TOWNSHIP_REVIEWER,
        {},
        "objection_review",
        "reinvestigating",
    ),
    Step("sign_home_visit", "inv1", Role.INVESTIGATOR, VISIT, "reinvestigating", "reinvestigating"),
    Step("sign_home_visit", "inv2", Role.INVESTIGATOR, VISIT, "reinvestigating", "reinvestigating"),
    Step(
        "submit_reinvestigation",
        "inv1",
        Role.INVESTIGATOR,
        {"summary": "车辆为他人所有，异议不成立"},
        "reinvestigating",
        "publicizing",
    ),
)

MEMORY_CYCLE: tuple[Step, ...] = (
    Step(
        "request_materials",
        "clerk",
        Role.CLERK,
        {"missing_items": ["户口簿复印件"]},
        "accepted",
        "awaiting_materials",
    ),
    Step("materials_supplied", "clerk", Role.CLERK, {}, "awaiting_materials", "accepted"),
)


@dataclass
class BenchWorld:
    actors: dict[str, Actor]
    villages: list[tuple[int, str]]  # (org unit id, path)
    rng: random.Random
    now: datetime = T0
    households: int = 0

    def tick(self, seconds: int = 60) -> datetime:
        """The benchmark's clock: every action a minute after the previous one."""
        self.now += timedelta(seconds=seconds)
        return self.now


def build_world(session: Session, seed: int = 7) -> BenchWorld:
    """District, townships, ten villages of 滨河镇, four staff, the example policy."""
    ensure_district(session)
    township = unit_by_code(session, "640502100")
    villages: list[OrgUnit] = [
        add_unit(session, f"640502100{i:03d}", f"示例{i}村", "village", township)
        for i in range(1, 11)
    ]
    specs = [
        ("clerk", Role.CLERK),
        ("inv1", Role.INVESTIGATOR),
        ("inv2", Role.INVESTIGATOR),
        ("reviewer", Role.TOWNSHIP_REVIEWER),
    ]
    users = {name: new_user(f"bench_{name}", name, township, [role], T0) for name, role in specs}
    district = unit_by_code(session, "640502")
    users["approver"] = new_user(
        "bench_approver", "approver", district, [Role.DISTRICT_APPROVER], T0
    )
    session.add_all(users.values())
    session.commit()
    load_policy_file(session, SEED_DIR / "policy" / "640502-example.yaml", None, T0)
    actors = {name: Actor.from_user(u) for name, u in users.items()}
    actors["system"] = SYSTEM_ACTOR
    world = BenchWorld(actors, [(v.id, v.path) for v in villages], random.Random(seed))
    session.close()
    return world


def add_households(session: Session, world: BenchWorld, n: int) -> list[int]:
    """`n` households of two or three members with some wage income; their ids."""
    rng = world.rng
    households = []
    for _ in range(n):
        world.households += 1
        unit_id, path = rng.choice(world.villages)
        hh = Household(
            org_unit_id=unit_id,
            org_path=path,
            head_name=f"户主{world.households}",
            address=f"滨河镇示例村 {rng.randint(1, 9)} 组",
            created_at=T0,
            bank_account=f"62284800{world.households:08d}",
        )
        born = date(1950 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
        seq = world.households * 10
        head = Member(
            name=hh.head_name,
            relation="户主",
            sex="M",
            birth_date=born,
            id_number=make_id_number("640502", born, seq + 1),
            incomes=[MemberIncome(source="wages", monthly_fen=rng.randint(0, 60000))],
        )
        members = [head]
        for i in range(1, rng.randint(2, 3)):
            kid_born = date(1990 + rng.randint(0, 20), rng.randint(1, 12), rng.randint(1, 28))
            members.append(
                Member(
                    name=f"家人{i}",
                    relation="配偶" if i == 1 else "子女",
                    sex="F",
                    birth_date=kid_born,
                    id_number=make_id_number("640502", kid_born, seq + 1 + i),
                )
            )
        hh.members = members
        households.append(hh)
    session.add_all(households)
    session.commit()
    ids = [hh.id for hh in households]
    session.expunge_all()
    return ids


def open_cases(session: Session, world: BenchWorld, n: int) -> list[int]:
    """`n` new 低保 cases in `accepted`, each through `open_case` (one commit each)."""
    ids = []
    for hh in add_households(session, world, n):
        case = open_case(session, WORKFLOW, hh, world.actors["clerk"], world.tick(), summary="低保")
        ids.append(case.id)
    session.expunge_all()
    return ids


def fire_step(session: Session, world: BenchWorld, case_id: int, step: Step) -> None:
    """One `fire()` of a loop step on a case, a minute after the last."""
    fire(session, case_id, step.trigger, world.actors[step.actor], world.tick(), step.payload)


def cases_in_publicity(session: Session, world: BenchWorld, n: int) -> list[int]:
    """`n` new cases walked through `fire()` to `publicizing`, the start of CYCLE."""
    ids = open_cases(session, world, n)
    for step in WALK:
        for case_id in ids:
            fire_step(session, world, case_id, step)
    session.expunge_all()
    return ids
