"""The demo's payment rolls, so the payments page shows rows: next month's roll of 滨河镇, and a
supplementary roll (补发名单) for the same month that pays a 低保 case the district approved
after its township's roll was checked — each step as a user takes it
(prepare, check, approve through `fire`, prepare the supplement)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, OrgUnit, User, UserRole
from caseflow.engine.fire import fire
from caseflow.kernel.actors import Actor
from caseflow.kernel.roles import Role
from caseflow.payments.models import PaymentRoll
from caseflow.payments.months import add_months, month_of
from caseflow.payments.roll import prepare_roll
from caseflow.payments.supplement import prepare_supplement
from caseflow.read.batch_plan import PlanRow, find_action, plan

DEMO_TOWNSHIP = "640502100"  # 滨河镇
APPROVAL = "dibao:approve"


def _staff(session: Session, role: Role, code: str) -> Actor | None:
    """The first user holding `role` at the org unit `code`."""
    user = session.scalar(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(UserRole.role == role.value, OrgUnit.code == code)
        .order_by(User.id)
    )
    return None if user is None else Actor.from_user(user)


def prepare_demo_roll(session: Session, now: datetime) -> None:
    """Next month's roll of 滨河镇 (prepared by its township reviewer, as a user would); then a
    supplement: in the township of a 低保 case waiting for the district (滨河镇 if it has one),
    that month's roll is checked, the case approved, and the 补发名单 prepared."""
    month = add_months(month_of(now), 1)
    rolls: dict[str, PaymentRoll] = {}
    reviewer = _staff(session, Role.TOWNSHIP_REVIEWER, DEMO_TOWNSHIP)
    if reviewer is not None:
        rolls[DEMO_TOWNSHIP] = prepare_roll(session, reviewer, DEMO_TOWNSHIP, month, now)
    late = _late_approval(session, now)
    if late is None:
        return
    code, approver, row = late
    reviewer = _staff(session, Role.TOWNSHIP_REVIEWER, code)
    leader = _staff(session, Role.TOWNSHIP_LEADER, code)
    if reviewer is None or leader is None:
        return
    roll = rolls.get(code) or prepare_roll(session, reviewer, code, month, now)
    fire(session, roll.case_id, "check", leader, now)
    fire(session, row.case_id, "approve", approver, now, row.values.payload)
    prepare_supplement(session, reviewer, code, month, now)


def _late_approval(session: Session, now: datetime) -> tuple[str, Actor, PlanRow] | None:
    """A 低保 case waiting for the district that its approver may approve now with the values
    its own assessment gives (as the batch page would), and its township's code — preferring
    滨河镇; None when fewer than two wait (the demo keeps a case in that state)."""
    district = session.scalar(select(OrgUnit.code).where(OrgUnit.level == "district"))
    approver = _staff(session, Role.DISTRICT_APPROVER, district or "")
    action = find_action(approver, APPROVAL) if approver is not None else None
    if approver is None or action is None:
        return None
    found = plan(session, approver, now, action)
    rows = found.rows
    if not rows or len(rows) + found.held_total < 2:
        return None
    paths = dict(
        session.execute(
            select(Case.id, Case.org_path).where(Case.id.in_([r.case_id for r in rows]))
        ).all()
    )
    by_township = {paths[r.case_id].strip("/").split("/")[1]: r for r in reversed(rows)}
    code = DEMO_TOWNSHIP if DEMO_TOWNSHIP in by_township else min(by_township)
    return code, approver, by_township[code]
