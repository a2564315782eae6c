"""督查: the district's spot checks (the draw, the per-township report, the sampled cases) and
complaints (intake and list). The spot-check and complaint cases' later steps are transitions
on the case page (fire()).

Views parse, call one core function, render: the draw in caseflow.oversight.spot_checks, the
intake in caseflow.oversight.complaints, the pages' numbers in caseflow.oversight.report.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.oversight import report
from caseflow.oversight.accountability import KINDS, accountability
from caseflow.oversight.complaints import FIELDS, receive_complaint
from caseflow.oversight.models import CAUSES, CHANNELS
from caseflow.oversight.recovery import FIELDS as RECOVERY_FIELDS
from caseflow.oversight.recovery import propose_recovery
from caseflow.oversight.spot_checks import DRAW_ROLES, draw_size, draw_spot_checks
from caseflow.read.recipients import place_names
from caseflow_web import db
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("oversight", __name__)
# Spot checks are read by the district that draws them and by the townships whose cases were
# drawn (their own only: jurisdiction in SQL).
SPOT_VIEW_ROLES = DRAW_ROLES | {Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value}
# Complaints are received at the window (clerk) or by the district (the workflow's open roles).
INTAKE_ROLES = frozenset(
    r.value for r in (Role.CLERK, Role.TOWNSHIP_REVIEWER, Role.DISTRICT_APPROVER, Role.SUPERVISOR)
)
COMPLAINT_VIEW_ROLES = INTAKE_ROLES | {Role.TOWNSHIP_LEADER.value}
# Recoveries are proposed by the township's reviewers or the district (the workflow's open
# roles), read also by leaders and by district finance (who records repayments).
RECOVERY_ROLES = frozenset(
    r.value for r in (Role.TOWNSHIP_REVIEWER, Role.DISTRICT_APPROVER, Role.SUPERVISOR)
)
# The accountability report: the district, and township leaders for their own township.
ACCOUNTABILITY_ROLES = DRAW_ROLES | {Role.TOWNSHIP_LEADER.value}
RECOVERY_VIEW_ROLES = RECOVERY_ROLES | {Role.TOWNSHIP_LEADER.value, Role.DISTRICT_FINANCE.value}


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {
        "nav_spot_checks": bool(roles & SPOT_VIEW_ROLES),
        "nav_complaints": bool(roles & COMPLAINT_VIEW_ROLES),
        "may_complain": bool(roles & INTAKE_ROLES),
        "nav_recoveries": bool(roles & RECOVERY_VIEW_ROLES),
        "nav_accountability": bool(roles & ACCOUNTABILITY_ROLES),
    }


@bp.get("/spot-checks")
@roles_required(SPOT_VIEW_ROLES)
def spot_checks() -> ResponseReturnValue:
    """The report per township, the sampled cases and (for the district) the draws."""
    session, actor, now = db.session(), current_actor(), db.now()
    may_draw = bool(DRAW_ROLES & actor.roles)
    return render_template(
        "oversight/spot_checks.html",
        lines=report.township_report(session, actor, now),
        sampled=report.sampled_cases(session, actor, now),
        draws=report.draws(session, actor) if may_draw else [],
        places=place_names(session, actor) if may_draw else {},
        may_draw=may_draw,
    )


def _draw_form(form: dict[str, str], errors: dict[str, str]) -> str:
    return render_template("oversight/draw.html", form=form, errors=errors)


@bp.route("/spot-checks/draw", methods=["GET", "POST"])
@roles_required(DRAW_ROLES)
def draw() -> ResponseReturnValue:
    """Draw the sample: the rate (empty: each township's rule set) and an optional seed."""
    if request.method == "GET":
        return _draw_form({}, {})
    form = {k: request.form.get(k, "") for k in ("rate", "seed")}
    try:
        row = draw_spot_checks(db.session(), current_actor(), form["rate"], form["seed"], db.now())
    except PayloadInvalid as exc:
        return _draw_form(form, exc.fields), 400
    flash(f"已抽取 {draw_size(row)} 件（随机种子 {row.seed}），已为每件建立抽查案件", "success")
    return redirect(url_for("oversight.spot_checks"), 303)


@bp.get("/complaints")
@roles_required(COMPLAINT_VIEW_ROLES)
def complaints() -> ResponseReturnValue:
    """Complaints in reach, open first."""
    actor = current_actor()
    lines = report.complaints(db.session(), actor, db.now())
    may_add = bool(INTAKE_ROLES & actor.roles)
    return render_template("oversight/complaints.html", lines=lines, may_add=may_add)


def _complaint_form(form: dict[str, str], errors: dict[str, str]) -> str:
    return render_template(
        "oversight/complaint_form.html", form=form, errors=errors, channels=CHANNELS
    )


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(INTAKE_ROLES)
def new_complaint() -> ResponseReturnValue:
    """Register a complaint about a case (by its number) or a household (from its page)."""
    if request.method == "GET":
        form = {"household_id": request.args.get("household", ""), "case_no": ""}
        form["case_no"] = request.args.get("case_no", "")
        return _complaint_form(form, {})
    form = {k: request.form.get(k, "") for k in FIELDS}
    try:
        case = receive_complaint(db.session(), current_actor(), form, db.now())
    except PayloadInvalid as exc:
        return _complaint_form(form, exc.fields), 400
    flash(f"已登记投诉举报 {case.case_no}", "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)


@bp.get("/recoveries")
@roles_required(RECOVERY_VIEW_ROLES)
def recoveries() -> ResponseReturnValue:
    """Recovery cases in reach: overpaid, decided, repaid, balance."""
    actor = current_actor()
    lines = report.recoveries(db.session(), actor)
    may_add = bool(RECOVERY_ROLES & actor.roles)
    return render_template("oversight/recoveries.html", lines=lines, may_add=may_add)


def _recovery_form(form: dict[str, str], errors: dict[str, str]) -> str:
    return render_template("oversight/recovery_form.html", form=form, errors=errors, causes=CAUSES)


@bp.route("/recoveries/new", methods=["GET", "POST"])
@roles_required(RECOVERY_ROLES)
def new_recovery() -> ResponseReturnValue:
    """Propose a recovery: the case, the months overpaid, what was due each month, the cause."""
    if request.method == "GET":
        return _recovery_form({"case_no": request.args.get("case_no", "")}, {})
    form = {k: request.form.get(k, "") for k in RECOVERY_FIELDS}
    try:
        case = propose_recovery(db.session(), current_actor(), form, db.now())
    except PayloadInvalid as exc:
        return _recovery_form(form, exc.fields), 400
    flash(f"已提出追回 {case.case_no}，待区级决定", "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)


def _day(name: str, default: date) -> tuple[date, str]:
    text = request.args.get(name, "").strip()
    if not text:
        return default, ""
    try:
        return date.fromisoformat(text), ""
    except ValueError:
        return default, "日期格式应为 2026-01-31"


@bp.get("/accountability")
@roles_required(ACCOUNTABILITY_ROLES)
def accountability_report() -> ResponseReturnValue:
    """Counts per township and staff member for a period (default: this year so far)."""
    today = db.now().date()
    first, bad_from = _day("from", date(today.year, 1, 1))
    last, bad_to = _day("to", today)
    errors = {k: v for k, v in (("from", bad_from), ("to", bad_to)) if v}
    if not errors and first > last:
        errors["to"] = "结束日期不能早于开始日期"
    data = accountability(db.session(), current_actor(), first, last) if not errors else None
    page = render_template(
        "oversight/accountability.html",
        data=data,
        kinds=KINDS,
        first=first,
        last=last,
        errors=errors,
    )
    return (page, 400) if errors else page
