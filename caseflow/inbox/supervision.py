"""督办意见 (催办): a supervisor's note on an overdue case, and who is told of it.

The note is the shared transition `supervise_note` (workflows/shared/supervision.yaml), so it is
an event on the case like any other — recorded in the hash chain and shown on the case page —
and it goes through fire(). Its guard lets it be written only on an overdue case; its effect
writes the inbox rows inside fire's transaction (outside senders after the commit).

Who holds a case: the colleague who claimed it; else every active user holding the current
step's owner role over the case's place (its township's queue, or the district's for a district
step). The writer of the note is never told of their own note.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.clock.deadlines import LEVEL_OVERDUE
from caseflow.db.models import User
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.engine.uow import on_commit
from caseflow.inbox.send import deliver, notify, recipients

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("inbox.supervision")

SUPERVISE_TRIGGER = "supervise_note"
SUPERVISION_KIND = "supervision"


def holders(
    session: Session, case_org_path: str, assignee_id: int | None, owner: str | None
) -> list[int]:
    """The users who hold a case now (see the module docstring)."""
    if assignee_id is not None:
        active = session.scalar(select(User.active).where(User.id == assignee_id))
        if active:
            return [assignee_id]
    return recipients(session, case_org_path, {owner}) if owner else []


@plugin.guard("case_overdue")
def case_overdue(ctx: GuardContext) -> str | None:
    """Only an overdue case is pressed: past its earliest open deadline, or on the ladder's
    overdue rung or higher (a paused limit keeps the rung it reached)."""
    case = ctx.case
    late = case.due_at is not None and case.due_at < ctx.now
    return None if late or case.escalation_level >= LEVEL_OVERDUE else "案件尚未逾期，无需督办"


@plugin.effect("notify_holder")
def notify_holder(ctx: EffectContext) -> None:
    """Inbox rows for whoever holds the case, with the note and who wrote it."""
    case, session = ctx.case, ctx.session
    owner = ctx.workflow.states[case.state].owner_role
    users = [
        uid
        for uid in holders(session, case.org_path, case.assignee_id, owner)
        if uid != ctx.actor.user_id
    ]
    writer = (
        session.scalar(select(User.display_name).where(User.id == ctx.actor.user_id))
        if ctx.actor.user_id
        else None
    ) or "督查"
    step = ctx.workflow.states[case.state].label
    note = str(ctx.payload.get("note") or "").strip()
    messages = notify(
        session,
        users,
        case_id=case.id,
        kind=SUPERVISION_KIND,
        title=f"督办意见：{case.case_no}（{step}）",
        body=f"{writer}：{note}",
        now=ctx.now,
    )
    on_commit(session, partial(deliver, messages))
