"""发放核对 (reconciliation): district finance checks a month's rolls against the entitlement
history — every difference listed with its case and reason (caseflow.payments.reconcile)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.kernel.roles import Role
from caseflow.payments.months import month_label, parse_month
from caseflow.payments.reconcile import reconcile
from caseflow_web import db
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("reconcile", __name__, url_prefix="/payments/reconcile")
RECONCILE_ROLES = frozenset(
    {Role.DISTRICT_FINANCE.value, Role.DISTRICT_APPROVER.value, Role.SUPERVISOR.value}
)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_reconcile": bool(roles & RECONCILE_ROLES)}


@bp.get("")
@roles_required(RECONCILE_ROLES)
def show() -> ResponseReturnValue:
    """The month's rolls against the history (the month asked for, or nothing yet)."""
    raw = request.args.get("month", "").strip()[:7]
    month = parse_month(raw) if raw else None
    errors = {"month": "月份格式应为 YYYY-MM，例如 2026-12"} if raw and month is None else {}
    result = reconcile(db.session(), current_actor(), month) if month else None
    page = render_template(
        "payments/reconcile.html",
        raw=raw,
        result=result,
        label=month_label(month) if month else "",
        errors=errors,
    )
    return page, 400 if errors else 200
