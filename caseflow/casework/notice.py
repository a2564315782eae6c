"""The one-time notice (一次性告知): issued once per application, listing only what is missing.

民发〔2021〕57号 第十条 (低保) and 民发〔2021〕43号 第十二条 (特困): "材料不齐备的，应当一次性告知
…补齐所有规定材料" — every missing item in one notice. So a second notice after the applicant
brought the materials is refused (the notice was either complete or it was not the one notice the
rules ask for), and a notice never asks for an item the desk has marked as received: at intake
(the `open` event's `materials_supplied`) or by a scanned material filed against it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Attachment, CaseEvent
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.kernel.timeutil import to_local

# Guards of this module, installed by caseflow.bootstrap.
plugin = Plugin("casework.notice")

NOTICE_TRIGGER = "request_materials"
NOTICE_BASIS = "民发〔2021〕57号 第十条、民发〔2021〕43号 第十二条"


def received_items(session: Session, case_id: int) -> set[str]:
    """Checklist labels marked as received: ticked at intake, or a scan filed against them."""
    opened = session.scalar(
        select(CaseEvent.payload).where(CaseEvent.case_id == case_id, CaseEvent.trigger == "open")
    )
    ticked = {str(x) for x in (opened or {}).get("materials_supplied") or []}
    scanned = session.scalars(
        select(Attachment.material).where(Attachment.case_id == case_id, Attachment.material != "")
    )
    return ticked | {str(x) for x in scanned}


@plugin.guard("notice_not_issued_before")
def notice_not_issued_before(ctx: GuardContext) -> str | None:
    """The one-time notice is issued once per case."""
    issued = ctx.session.scalar(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == ctx.case.id, CaseEvent.trigger == NOTICE_TRIGGER)
        .order_by(CaseEvent.seq)
        .limit(1)
    )
    if issued is None:
        return None
    day = to_local(issued).date().isoformat()
    return (
        f"一次性告知已于 {day} 出具，不能再次告知"
        f"（{NOTICE_BASIS}：材料不齐备的，一次性告知补齐所有材料）"
    )


@plugin.guard("notice_lists_only_missing_items", needs_payload=True)
def notice_lists_only_missing_items(ctx: GuardContext) -> str | None:
    """A notice does not ask for an item already marked as received."""
    assert ctx.payload is not None
    asked = [str(x) for x in ctx.payload.get("missing_items") or []]
    already = [item for item in asked if item in received_items(ctx.session, ctx.case.id)]
    if not already:
        return None
    return "以下材料已登记为收到，不能列入一次性告知：" + "、".join(already)
