"""备案: a township's approval of temporary assistance is filed with the district.

The county may let townships approve small amounts (社会救助暂行办法 第四十八条); that such
approvals are then filed (报县级民政部门备案) is said by 国发〔2014〕47号, whose text could not be
checked (research/law-notes.md §4a: 待核实). The township's approval itself is the record; this
effect puts it in front of the district: an inbox row for every district approver over the case's
place, in fire's transaction (outside senders after the commit). The district confirms with the
internal transition `acknowledge_filing` (guard `filing_pending`, caseflow.casework.assessments).
"""

from __future__ import annotations

from functools import partial

from caseflow.engine.plugins import EffectContext, Plugin
from caseflow.engine.uow import on_commit
from caseflow.inbox.send import deliver, notify, recipients
from caseflow.kernel.money import format_yuan
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("inbox.filing")

FILING_KIND = "filing"


@plugin.effect("file_with_district")
def file_with_district(ctx: EffectContext) -> None:
    """Tell the district's approvers of a township approval, with the amount and the form."""
    case, payload = ctx.case, ctx.payload
    cash = int(payload.get("amount_fen") or 0)
    goods = int(payload.get("in_kind_value_fen") or 0)
    form = str(payload.get("aid_form") or "现金")
    what = f"现金 {format_yuan(cash)} 元" if cash else ""
    if goods:
        item = str(payload.get("in_kind") or "").strip()
        what += ("，" if what else "") + f"实物（{item}）折价 {format_yuan(goods)} 元"
    body = (
        f"{to_local(ctx.now).date().isoformat()} 乡镇审批临时救助案件 {case.case_no}：{form}，"
        f"{what}。乡镇审批的临时救助报区民政局备案，请在案件中确认备案。"
    )
    users = recipients(
        ctx.session, case.org_path, {Role.DISTRICT_APPROVER.value}, district_only=True
    )
    messages = notify(
        ctx.session,
        users,
        case_id=case.id,
        kind=FILING_KIND,
        title=f"乡镇审批备案：{case.case_no}",
        body=body,
        now=ctx.now,
    )
    on_commit(ctx.session, partial(deliver, messages))
