"""The demo's 孤儿 / 事实无人抚养儿童: a child added to a few households without cases, each
application opened at the window by the guardian and walked through fire() to one state of the
orphan workflow (accepted, at the township, at the district, in care, refused, ended on adoption,
withdrawn), and one more in care who turns 18 in about two months. Seeded last, so the rest of
the demo draws the same random numbers as before."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.orphans import OrphanApplication, open_orphan_case
from caseflow.db.models import Case, Household, Member, RelativeDeclaration
from caseflow.engine.fire import fire
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local
from caseflow.policy.orphans import MAJORITY_AGE
from caseflow.seed.institutions import _actor

# (target state, the path of (trigger, role, payload) after the window's acceptance)
Step = tuple[str, Role, dict[str, str]]
_REVIEW: Step = ("submit_to_township", Role.CLERK, {})
_TOWNSHIP_OK: Step = ("township_approve", Role.TOWNSHIP_REVIEWER, {"opinion": "情况属实，同意上报"})
_APPROVE: Step = ("approve", Role.DISTRICT_APPROVER, {})
PATHS: tuple[tuple[str, tuple[Step, ...]], ...] = (
    ("approved", (_REVIEW, _TOWNSHIP_OK, _APPROVE)),
    ("accepted", ()),
    ("township_review", (_REVIEW,)),
    ("district_review", (_REVIEW, _TOWNSHIP_OK)),
    ("rejected", (_REVIEW, ("township_refuse", Role.TOWNSHIP_REVIEWER, {"reasons": "母亲能抚养"}))),
    ("ended", (_REVIEW, _TOWNSHIP_OK, _APPROVE,
               ("end_adoption", Role.TOWNSHIP_REVIEWER, {"adopted_on": "2026-01-05"}))),
    ("withdrawn", (("withdraw", Role.CLERK, {"reason": "监护人撤回"}),)),
    # In care and 18 in about two months: highlighted on the orphan list, and the timer's sweep
    # ends the care on the birthday by itself.
    ("approved_turning_18", (_REVIEW, _TOWNSHIP_OK, _APPROVE)),
)  # fmt: skip
PARENTS = (("dead", "dead"), ("dead", "imprisoned"), ("severe_illness", "lost_contact"))


def seed_orphans(session: Session, now: datetime) -> int:
    """One orphan case per state on households without cases; returns the cases opened."""
    if session.scalar(select(Case.id).where(Case.case_type == "orphan").limit(1)):
        return 0
    with_cases = select(Case.household_id).where(Case.household_id.is_not(None))
    # Households without cases first; a small demo has none left, then any household — never
    # one declared a staff member's near relative (its cases need that person to step aside).
    relatives = select(RelativeDeclaration.household_id)
    homes = session.scalars(
        select(Household)
        .where(Household.id.not_in(relatives))
        .order_by(Household.id.in_(with_cases), Household.id)
    ).all()
    opened = 0
    for i, (home, (target, path)) in enumerate(zip(homes, PATHS, strict=False)):
        clerk = _actor(session, Role.CLERK, home.org_path)
        if clerk is None:
            continue
        born = date(2012 + i, 3, 1 + i)
        if target == "approved_turning_18":
            soon = to_local(now).date() + timedelta(days=60)
            born = date(soon.year - MAJORITY_AGE, soon.month, min(soon.day, 28))
        child = Member(
            household_id=home.id,
            name=f"{home.head_name[:1]}小{'花宝朵明月星贝晨'[i]}",
            relation="孙子女",
            sex="M" if i % 2 else "F",  # the 17th digit: odd for boys (900 + i)
            birth_date=born,
            id_number=make_id_number("640502", born, 900 + i),
        )
        with UnitOfWork(session) as uow:
            session.add(child)
            uow.commit()
        father, mother = PARENTS[i % len(PARENTS)]
        at = now - timedelta(days=40 - i)
        app = OrphanApplication(
            home.id, child.id, home.head_name, "祖父母",
            make_id_number("640502", date(1955, 1, 1), 800 + i),
            father, mother, "centralised" if i == 3 else "dispersed",
        )  # fmt: skip
        case = open_orphan_case(session, clerk, app, at)
        for step, (trigger, role, payload) in enumerate(path, start=1):
            actor = _actor(session, role, home.org_path)
            assert actor is not None, (target, role)
            fire(session, case.id, trigger, actor, at + timedelta(days=step), payload)
        opened += 1
    return opened
