"""发放 (payments): prepare a township's monthly roll, read its rows and totals, acknowledge risk
findings or remove rows, move the roll through its workflow, download the bank files (finance).

Every change goes through caseflow.payments (prepare) or engine.fire (everything else)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.engine.fire import fire
from caseflow.kernel.errors import CaseflowError, CaseNotFound, PayloadInvalid
from caseflow.kernel.money import parse_yuan
from caseflow.kernel.roles import Role
from caseflow.payments.adjustments import (
    ADJUST_ROLES,
    add_adjustment,
    pending_adjustments,
    withdraw_adjustment,
)
from caseflow.payments.export import FINANCE_ROLES, export_roll
from caseflow.payments.models import KIND_LABELS
from caseflow.payments.months import month_label
from caseflow.payments.queries import roll_of_case
from caseflow.payments.risk import CHECK_LABELS
from caseflow.payments.roll import list_rolls, load_roll, prepare_roll, townships
from caseflow.payments.supplement import prepare_supplement
from caseflow.read.payment_history import (
    PaymentHistory,
    case_payment_history,
    household_payment_history,
)
from caseflow.read.roll_page import roll_page, roll_row
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("payments", __name__, url_prefix="/payments")
PAYMENT_ROLES = frozenset(
    {
        Role.TOWNSHIP_REVIEWER.value,
        Role.TOWNSHIP_LEADER.value,
        Role.DISTRICT_FINANCE.value,
        Role.SUPERVISOR.value,
    }
)
# Who may prepare: the roll workflow's open roles (checked again by caseflow.payments.roll).
PREPARE_ROLES = frozenset({Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value})
PER_PAGE = 200
# Transitions fired from a row or a finding of the roll page, never from the action list.
ROW_TRIGGERS = frozenset({"remove_row", "acknowledge_finding", "withdraw_adjustment"})


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_payments": bool(roles & PAYMENT_ROLES)}


@bp.app_template_global()
def case_payments(case: Any) -> PaymentHistory | None:
    # `case` is the case page's own record; typed loosely because views never name ORM classes.
    """The case page's payment history (none for a case type no roll pays)."""
    return case_payment_history(db.session(), current_actor(), case)


@bp.app_template_global()
def household_payments(household_id: int) -> PaymentHistory:
    """The household page's payment history."""
    return household_payment_history(db.session(), current_actor(), household_id)


# The history partial is included by pages of other blueprints.
bp.add_app_template_global(month_label, "month_label")


def _index(status: int = 200, errors: dict[str, str] | None = None) -> ResponseReturnValue:
    session, actor = db.session(), current_actor()
    may_prepare = bool(registry().workflow("roll").open_roles & actor.roles)
    return (
        render_template(
            "payments/index.html",
            rolls=list_rolls(session, actor),
            townships=townships(session, actor) if may_prepare else [],
            may_prepare=may_prepare,
            pending=pending_adjustments(session, actor) if may_prepare else [],
            errors=errors or {},
            values=request.form if request.method == "POST" else {},
            month_label=month_label,
            state_label=lambda s: registry().workflow("roll").states[s].label,
        ),
        status,
    )


@bp.get("/")
@roles_required(PAYMENT_ROLES)
def index() -> ResponseReturnValue:
    """Rolls in the user's jurisdiction, newest month first, and the form to prepare one."""
    return _index()


@bp.post("/prepare")
@roles_required(PREPARE_ROLES)
def prepare() -> ResponseReturnValue:
    """Prepare the roll of a township for a month (rows and risk findings computed now), or,
    with kind=supplement, its next supplementary roll (补发名单) of cases approved since."""
    session, actor = db.session(), current_actor()
    make = prepare_supplement if request.form.get("kind") == "supplement" else prepare_roll
    try:
        roll = make(
            session,
            actor,
            request.form.get("township", "")[:20],
            request.form.get("month", "")[:7],
            db.now(),
        )
    except PayloadInvalid as exc:
        flash("未编制：请按提示修改", "error")
        return _index(400, exc.fields)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return _index(403)
    what = f"第{roll.supplement_no}次补发名单" if roll.supplement_no else "发放名册"
    flash(f"已编制{what}：{roll.row_count} 行", "success")
    return redirect(url_for("payments.show", roll_id=roll.id), 303)


@bp.get("/case/<int:case_id>")
@roles_required(PAYMENT_ROLES)
def roll_by_case(case_id: int) -> ResponseReturnValue:
    """The roll page for a roll case (links from the case list land here)."""
    roll = roll_of_case(db.session(), case_id)
    if roll is None:
        abort(404)
    _load(roll.id)  # jurisdiction: a roll of another township is no roll at all
    return redirect(url_for("payments.show", roll_id=roll.id), 303)


def _load(roll_id: int) -> Any:
    try:
        return load_roll(db.session(), current_actor(), roll_id)
    except CaseNotFound:
        abort(404)


@bp.get("/<int:roll_id>")
@roles_required(PAYMENT_ROLES)
def show(roll_id: int) -> ResponseReturnValue:
    """The roll: totals, risk findings, rows (masked personal data), actions, exports."""
    actor = current_actor()
    page = min(parse_row_id(request.args.get("page", "1")[:9]) or 1, 100_000)
    try:
        found = roll_page(db.session(), actor, roll_id, page, PER_PAGE, db.now())
    except CaseNotFound:
        abort(404)
    roll, case = found.roll, found.case
    names = {a.trigger for a in found.actions if a.blocked_reason is None}
    return render_template(
        "payments/roll.html",
        roll=roll,
        case=case,
        rows=found.rows,
        numbers=found.numbers,
        same_month=found.same_month,
        page=page,
        pages=found.pages,
        totals=found.totals,
        findings=found.findings,
        removed=found.removed,
        open_count=found.open_findings,
        state_label=registry().workflow("roll").states[case.state].label,
        actions=[a for a in found.actions if a.trigger not in ROW_TRIGGERS],
        may_ack="acknowledge_finding" in names,
        may_remove="remove_row" in names,
        may_withdraw="withdraw_adjustment" in names,
        may_export=bool(actor.roles & FINANCE_ROLES) and roll.signed_at is not None,
        may_adjust=bool(actor.roles & ADJUST_ROLES) and roll.signed_at is not None,
        kind_labels=KIND_LABELS,
        check_labels=CHECK_LABELS,
        month_label=month_label,
    )


@bp.post("/<int:roll_id>/fire/<trigger>")
@roles_required(PAYMENT_ROLES)
def fire_view(roll_id: int, trigger: str) -> ResponseReturnValue:
    """Fire one transition of the roll case (check, sign, return, cancel, acknowledge, remove)."""
    session, actor = db.session(), current_actor()
    _roll, case = _load(roll_id)
    t = registry().workflow("roll").transition_for(case.state, trigger[:40])
    version = parse_row_id(request.form.get("expected_version", "")[:12])
    back = redirect(url_for("payments.show", roll_id=roll_id), 303)
    if t is None or version is None:
        flash("页面已过期，请刷新后重试", "error")
        return back
    payload = {f.name: request.form.get("p_" + f.name, "")[:2000] for f in t.payload}
    try:
        fire(session, case.id, t.trigger, actor, db.now(), payload, expected_version=version)
    except CaseNotFound:
        abort(404)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return back
    flash(f"已完成：{t.label}", "success")
    return back


@bp.post("/<int:roll_id>/adjust")
@roles_required(ADJUST_ROLES)
def adjust(roll_id: int) -> ResponseReturnValue:
    """A correction to a row of a signed roll: an adjustment the township's next roll pays."""
    session, actor = db.session(), current_actor()
    row_id = parse_row_id(request.form.get("row_id", "")[:12])
    try:
        roll, row = roll_row(session, actor, roll_id, row_id)
    except CaseNotFound:
        abort(404)
    back = redirect(url_for("payments.show", roll_id=roll_id), 303)
    if row is None:
        flash("名册中没有该行", "error")
        return back
    if roll.signed_at is None:
        flash("名册尚未签发：请直接移出该行或作废后重新编制", "error")
        return back
    try:
        fen = parse_yuan(request.form.get("amount", "")[:20])
    except ValueError as exc:
        flash(f"未登记：{exc}", "error")
        return back
    if request.form.get("direction") == "recover":
        fen = -fen
    try:
        add_adjustment(
            session,
            actor,
            household_id=row.household_id,
            case_id=row.case_id,
            for_month=row.for_month,
            amount_fen=fen,
            reason=request.form.get("reason", "")[:300],
            now=db.now(),
        )
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return back
    flash("已登记调整，将随本乡镇下一期名册发放", "success")
    return back


@bp.post("/adjustments/<int:adjustment_id>/withdraw")
@roles_required(PREPARE_ROLES)
def withdraw(adjustment_id: int) -> ResponseReturnValue:
    """Withdraw an adjustment waiting for the next roll (the roll page withdraws one already in
    a prepared roll through the roll's workflow)."""
    back = redirect(url_for("payments.index") + "#pending", 303)
    try:
        withdraw_adjustment(
            db.session(),
            current_actor(),
            adjustment_id,
            request.form.get("reason", "")[:300],
            db.now(),
        )
    except CaseNotFound:
        abort(404)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return back
    flash("已撤回调整，以后的名册不再发放", "success")
    return back


@bp.get("/<int:roll_id>/export.<fmt>")
@roles_required(FINANCE_ROLES)
def export(roll_id: int, fmt: str) -> ResponseReturnValue:
    """The paying bank's file of a signed roll (logged)."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    try:
        out = export_roll(db.session(), current_actor(), roll_id, fmt, db.now())
    except CaseNotFound:
        abort(404)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return redirect(url_for("payments.show", roll_id=roll_id), 303)
    return (
        out.data,
        200,
        {
            "Content-Type": out.content_type,
            "Content-Disposition": f'attachment; filename="{out.filename}"',
        },
    )
