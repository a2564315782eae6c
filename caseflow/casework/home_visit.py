"""The home visit's date: never in the future, and correctable (with a reason) when mistyped.

A signature (`sign_home_visit`) records the visit date in its audit event; a mistaken date is
not edited there (the chain is append-only) but corrected by the declared transition
`correct_home_visit_date`, whose event carries the new date and the reason. The date in force is
the newest of these events.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import CaseEvent
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.kernel.timeutil import to_local

plugin = Plugin("casework.home_visit")

SIGN = "sign_home_visit"
CORRECT = "correct_home_visit_date"


def recorded_visit_date(session: Session, case_id: int) -> date | None:
    """The visit date in force: from the newest signature or correction, None without either."""
    payloads = session.scalars(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.trigger.in_((SIGN, CORRECT)))
        .order_by(CaseEvent.seq.desc())
    )
    for payload in payloads:
        text = (payload or {}).get("visit_date")
        if text:
            return date.fromisoformat(str(text))
    return None


@plugin.guard("visit_date_not_future", needs_payload=True)
def visit_date_not_future(ctx: GuardContext) -> str | None:
    """A visit cannot have happened after today (local date)."""
    assert ctx.payload is not None
    text = ctx.payload.get("visit_date")
    today = to_local(ctx.now).date()
    if text and date.fromisoformat(str(text)) > today:
        return f"入户日期 {text} 晚于今天（{today.isoformat()}），请填写实际入户的日期"
    return None


@plugin.guard("home_visit_on_record")
def home_visit_on_record(ctx: GuardContext) -> str | None:
    """Only a recorded visit date can be corrected."""
    if recorded_visit_date(ctx.session, ctx.case.id) is None:
        return "本案还没有入户调查签字记录，没有可更正的入户日期"
    return None


@plugin.guard("visit_date_differs", needs_payload=True)
def visit_date_differs(ctx: GuardContext) -> str | None:
    """A correction changes the date."""
    assert ctx.payload is not None
    current = recorded_visit_date(ctx.session, ctx.case.id)
    if current is not None and ctx.payload.get("visit_date") == current.isoformat():
        return f"更正后的入户日期与现记录的日期（{current.isoformat()}）相同"
    return None
