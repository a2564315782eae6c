"""退回 (a case sent back to an earlier step): tell the person who has to pick it up again.

The workflows name the `notify_returned` effect on their return transitions (退回乡镇,
退回补充调查), so the inbox row is written inside fire's transaction — a return and its
notification commit or roll back together. Outside senders (e-mail, SMS) get the message only
after the commit.

Who is told: the last person (not the timer, not the one returning it) who acted in the step
the case goes back to — they know the file. A claim or a release alone is not acting on it.
When nobody did (or only the returner), every active user holding the step's owner role over
the case's place is told.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import CaseEvent, User
from caseflow.engine.plugins import EffectContext, Plugin
from caseflow.engine.uow import on_commit
from caseflow.inbox.send import deliver, notify, recipients
from caseflow.kernel.roles import ROLE_LABELS, Role

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("casework.sendback")

RETURN_EFFECT = "notify_returned"
RETURNED_KIND = "returned"
# caseflow.read.queue's CLAIM_TRIGGER / RELEASE_TRIGGER; importing the queue here would be circular
# (the queue loads the registry, which loads this module).
CLAIM_TRIGGERS = ("claim", "release")


def last_worker(session: Session, case_id: int, state: str, exclude: int | None) -> int | None:
    """The newest human actor (other than `exclude`) of an event made in `state`, if active."""
    rows = session.execute(
        select(CaseEvent.actor_id)
        .join(User, User.id == CaseEvent.actor_id)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.from_state == state,
            CaseEvent.trigger.not_in(CLAIM_TRIGGERS),
            User.active,
        )
        .order_by(CaseEvent.seq.desc())
    ).scalars()
    return next((uid for uid in rows if uid != exclude), None)


def return_recipients(ctx: EffectContext) -> list[int]:
    """Who is told that the case came back to its current state (see the module docstring)."""
    me = ctx.actor.user_id
    worker = last_worker(ctx.session, ctx.case.id, ctx.case.state, me)
    if worker is not None:
        return [worker]
    owner = ctx.workflow.states[ctx.case.state].owner_role
    if not owner:
        return []
    return [uid for uid in recipients(ctx.session, ctx.case.org_path, {owner}) if uid != me]


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


@plugin.effect(RETURN_EFFECT)
def notify_returned(ctx: EffectContext) -> None:
    """Inbox rows for a case sent back; the texts say who returned it, from where, and why."""
    session, case, wf = ctx.session, ctx.case, ctx.workflow
    # The return's own event is the case's newest: fire added it before running effects.
    session.flush()
    ev = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
    ).first()
    if ev is None or ev.from_state is None or ev.from_state == case.state:
        return
    name = (
        session.scalar(select(User.display_name).where(User.id == ctx.actor.user_id))
        if ctx.actor.user_id
        else None
    ) or "系统"
    step_from = wf.states[ev.from_state].label
    step_to = wf.states[case.state].label
    body = (
        f"{name}（{_role_label(ev.actor_role)}）以「{wf.label_of(ev.trigger)}」"
        f"将案件 {case.case_no} 从「{step_from}」退回「{step_to}」，请重新办理。"
    )
    reason = str(ctx.payload.get("reason") or "").strip()
    if reason:
        body += f"退回理由：{reason}"
    messages = notify(
        session,
        return_recipients(ctx),
        case_id=case.id,
        kind=RETURNED_KIND,
        title=f"案件被退回：{case.case_no}（{step_to}）",
        body=body,
        now=ctx.now,
    )
    # Outside senders hear of it once the return is committed; never for a rolled-back one.
    on_commit(session, partial(deliver, messages))
