"""Claim and release (认领 / 释放): who is working on a case now, outside the queue's reads.

A claim is an event on the case (same hash chain) but not a transition: the case stays in its
state, and whoever may act on that state may claim it. Two simultaneous claims are settled by a
compare-and-set on the assignee; a claim lasts until release or the next state change (fire
clears it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from caseflow.db.models import Case, User
from caseflow.db.record import CaseView
from caseflow.engine.events import CLAIM_TRIGGER, RELEASE_TRIGGER
from caseflow.engine.fire import _ROLE_ORDER, _lock_case, reload_case
from caseflow.engine.statements import insert_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import ClaimConflict, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware
from caseflow.workflow.registry import Registry, registry

# Actions that never make a case actionable for whoever may take them are declared in the
# workflows (`queue_work: false`): side actions open in every state (extending the total
# limit, recording a complaint, the supervisor's 督办意见), confirming a 临时救助 filing (备案,
# told through the inbox), voiding a mistaken intake, and what happens to a standing case (a
# resident in centralised care, a child in care) — recorded when it happens, never a step anyone
# waits on.


def _acting_role(case: CaseView, actor: Actor, reg: Registry) -> str:
    wf = reg.workflow(case.workflow_key)
    roles: set[str] = set()
    for t in wf.transitions_from(case.state):
        if t.queue_work:
            roles |= t.roles
    for role in _ROLE_ORDER:
        if role in roles and role in actor.roles and role != Role.SYSTEM.value:
            return role
    raise PermissionDenied("您不能办理该案件的当前环节，不能认领")


def _claim_or_release(
    session: Session, case_id: int, actor: Actor, now: datetime, claiming: bool
) -> Case:
    require_aware(now, "now")
    if actor.is_system:
        raise PermissionDenied("系统账户不能认领案件")
    reg = registry()
    with UnitOfWork(session) as uow:
        case_, _newest = _lock_case(session, case_id, actor)  # (case, newest event's seq/hash)
        if case_.is_final:
            raise PermissionDenied("案件已办结，不能认领或释放")
        role = _acting_role(case_, actor, reg)
        me = actor.user_id
        if claiming:
            if case_.assignee_id == me:
                return reload_case(session, case_id)  # already mine: nothing to record (rolls back)
            if case_.assignee_id is not None:
                raise ClaimConflict(f"该案件已由{_name(session, case_.assignee_id)}认领")
            guard: ColumnElement[bool] = Case.assignee_id.is_(None)
        else:
            if case_.assignee_id != me:
                raise ClaimConflict("该案件不是由您认领的，不能释放")
            guard = Case.assignee_id == me
        # Compare-and-set: only one of two simultaneous claims finds the case unclaimed.
        written = session.execute(
            update(Case)
            .where(Case.id == case_.id, guard)
            .values(assignee_id=me if claiming else None)
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimConflict()
        insert_event(
            session,
            case_id=case_.id,
            actor_id=me,
            actor_role=role,
            trigger=CLAIM_TRIGGER if claiming else RELEASE_TRIGGER,
            from_state=case_.state,
            to_state=case_.state,
            payload={},
            at=now,
        )
        uow.commit()
    return reload_case(session, case_id)


def _name(session: Session, user_id: int) -> str:
    name = session.scalar(select(User.display_name).where(User.id == user_id))
    return f"「{name}」" if name else "他人"


def claim(session: Session, case_id: int, actor: Actor, now: datetime) -> Case:
    """Take a case to work on; a case claimed by someone else raises ClaimConflict."""
    return _claim_or_release(session, case_id, actor, now, claiming=True)


def release(session: Session, case_id: int, actor: Actor, now: datetime) -> Case:
    """Give back a case the actor claimed."""
    return _claim_or_release(session, case_id, actor, now, claiming=False)
