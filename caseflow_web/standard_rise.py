"""提标 (standard rise): when a new yearly standard is in force, the district approver reads the
list of changed entitlements and approves it: a case of the `rise` workflow is opened and
approved through fire (caseflow.payments.rise), the new versions reach the entitlement history,
and the next roll pays the difference for months already paid.

The approval form carries a fingerprint of the list as it was shown: if cases or amounts changed
in between, nothing is approved and the page asks to check the new list (one approves exactly what
one has read)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.kernel.errors import CaseflowError, PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.payments.months import month_label
from caseflow.payments.rise import RISE_ROLES, RiseList, approve_rise_list
from caseflow.read.rise_page import rise_page
from caseflow_web import db
from caseflow_web.security import current_actor, current_region, roles_required

bp = Blueprint("standard_rise", __name__, url_prefix="/payments/rise")
VIEW_ROLES = RISE_ROLES | {Role.SUPERVISOR.value}
SHOWN = 500  # lines on the page; the totals always cover the whole list


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_rise": bool(roles & VIEW_ROLES)}


def fingerprint(rise: RiseList) -> str:
    """What the approver saw: every case and its new amount, in list order."""
    body = "\n".join(f"{i.case_no}:{i.month}:{i.old_fen}:{i.new_fen}" for i in rise.items)
    return hashlib.sha256(f"{rise.effective_from}\n{body}".encode()).hexdigest()


def _parse_day(raw: str) -> tuple[date | None, dict[str, str]]:
    raw = raw.strip()[:10]
    if not raw:
        return None, {}
    try:
        return date.fromisoformat(raw), {}
    except ValueError:
        return None, {"effective_from": "日期格式应为 YYYY-MM-DD，例如 2026-01-01"}


def _page(day: date | None, errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    found = (
        rise_page(db.session(), current_actor(), day) if day is not None and not errors else None
    )
    rise = found.rise if found else None
    month = f"{day:%Y-%m}" if day is not None else ""
    return (
        render_template(
            "payments/rise.html",
            day=day,
            rise=rise,
            shown=rise.items[:SHOWN] if rise else [],
            fingerprint=fingerprint(rise) if rise else "",
            approved=found.approved if found else False,
            month=month_label(month) if month else "",
            may_approve=bool(current_actor().roles & RISE_ROLES),
            errors=errors,
            raw_day=request.values.get("effective_from", "")[:10],
        ),
        status,
    )


@bp.get("")
@roles_required(VIEW_ROLES)
def show() -> ResponseReturnValue:
    """The 提标 list from a date (the first day the new standard is in force)."""
    day, errors = _parse_day(request.args.get("effective_from", ""))
    return _page(day, errors, 400 if errors else 200)


@bp.post("")
@roles_required(RISE_ROLES)
def approve() -> ResponseReturnValue:
    """Approve the list exactly as shown (the fingerprint must still match)."""
    session, actor = db.session(), current_actor()
    day, errors = _parse_day(request.form.get("effective_from", ""))
    if day is None:
        flash("未批准：请按提示修改", "error")
        return _page(None, errors or {"effective_from": "请填写提标起始日期"}, 400)
    current = rise_page(session, actor, day).rise
    if request.form.get("fingerprint", "") != fingerprint(current):
        flash("名单在您核对后已有变化（案件或金额），未批准：请重新核对下面的名单", "error")
        return _page(day, {}, 409)
    try:
        n = approve_rise_list(session, actor, current_region(), day, db.now())
    except PayloadInvalid as exc:
        flash("未批准：" + "；".join(exc.fields.values()), "error")
        return _page(day, {}, 409)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return _page(day, {}, 403)
    flash(
        f"已批准提标名单：{n} 项，自 {day:%Y-%m} 起写入保障记录，已发月份的差额由下一期名册补发",
        "success",
    )
    return redirect(url_for("standard_rise.show", effective_from=day.isoformat()), 303)
