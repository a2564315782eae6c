"""Urgent new work raises a notification: when a case enters a step, the holders of that step are
told at once if the case is urgent — so an emergency does not wait for someone to open the queue.

Urgent means any of:
  - the step's limit is counted in hours (救急难: the emergency response) in the case's rule set;
  - the case is flagged 突发事件 (flag_sudden, set at intake);
  - the case is under 督办 (escalated to the district or higher).
Who is told: every active user holding the new step's owner role over the case's place, except
the person whose action moved the case (they know). A final step, or one without an owner, tells
nobody. The rule runs after the transition's commit, in a transaction of its own: a failure here
never undoes the transition (the unit of work logs it).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.clock.deadlines import LEVEL_DISTRICT
from caseflow.db.models import Case
from caseflow.engine.plugins import FireResult, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.inbox.send import Message, deliver, notify, recipients
from caseflow.workflow.registry import registry

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("inbox.new_work")

NEW_WORK_KIND = "new_work"
HOURS = "hours"


def urgency(case: Any, hours_limit: bool) -> str | None:
    """Why a case entering a step is urgent (the reason shown), or None."""
    if hours_limit:
        return "按小时计时的紧急案件（救急难）"
    if case.flag_sudden:
        return "突发事件"
    if case.escalation_level >= LEVEL_DISTRICT:
        return "督办案件"
    return None


@plugin.after_commit
def tell_holders_of_urgent_work(session: Session, result: FireResult) -> None:
    """Inbox rows for the new step's holders when an urgent case arrives (module docstring)."""
    if result.from_state == result.to_state:
        return  # an internal event: the case did not arrive anywhere
    # Ended by commit on every path, also when nothing is written: a rollback here detached
    # objects the caller still held (a walked case in tests/integration/test_concurrency_and_audit).
    with UnitOfWork(session) as uow:
        messages = _notices(session, result)
        uow.on_commit(partial(deliver, messages))
        uow.commit()


def _notices(session: Session, result: FireResult) -> list[Message]:
    """The inbox rows (added to the session) and the messages for outside senders."""
    reg = registry()
    # Columns, not the mapped Case: the caller's session may hold that object.
    case = session.execute(
        select(
            Case.case_no,
            Case.workflow_key,
            Case.state,
            Case.is_final,
            Case.ruleset_key,
            Case.org_path,
            Case.flag_sudden,
            Case.escalation_level,
        ).where(Case.id == result.case_id)
    ).first()
    if case is None or case.is_final:
        return []
    step = reg.workflow(case.workflow_key).states[case.state]
    if not step.owner_role:
        return []
    rule = reg.rulesets[case.ruleset_key].deadlines.get(step.deadline or "")
    why = urgency(case, rule is not None and rule.unit == HOURS)
    if why is None:
        return []
    users = [
        uid
        for uid in recipients(session, case.org_path, {step.owner_role})
        if uid != result.actor.user_id
    ]
    return notify(
        session,
        users,
        case_id=result.case_id,
        kind=NEW_WORK_KIND,
        title=f"紧急待办：{case.case_no}（{step.label}）",
        body=f"{why}，已转入您的待办，请尽快办理。",
        now=result.at,
    )
