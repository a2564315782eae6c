"""排查摸底 (screening campaigns): the list with per-township progress bars, and the create form
for district staff. Progress is counted in SQL within the viewer's jurisdiction
(caseflow.campaigns.progress); this module only parses input and renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.campaigns.progress import campaigns, current_stage, township_progress
from caseflow.campaigns.rounds import (
    HALF_LABELS,
    RECORD_ROLES,
    STATUS_LABELS,
    RoundInput,
    record_round,
    year_status,
)
from caseflow.campaigns.service import (
    CREATE_ROLES,
    MAX_STAGES,
    STANDARD_STAGES,
    StageInput,
    create_campaign,
    may_create,
)
from caseflow.clock.workcal import local_date
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.read.units import units_in_reach
from caseflow_web import db
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
# Township staff follow their own progress; district approvers and supervisors run campaigns.
VIEW_ROLES = frozenset(
    {
        Role.CLERK.value,
        Role.INVESTIGATOR.value,
        Role.TOWNSHIP_REVIEWER.value,
        Role.TOWNSHIP_LEADER.value,
        Role.POVERTY_LIAISON.value,
        *(r.value for r in CREATE_ROLES),
    }
)
FORM_ROWS = len(STANDARD_STAGES)
ROUND_ROLES = frozenset(r.value for r in RECORD_ROLES)
ROUND_FIELDS = ("township", "year", "half", "held_from", "held_to", "households", "note")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_campaigns": bool(roles & VIEW_ROLES)}


@bp.get("")
@roles_required(VIEW_ROLES)
def index() -> ResponseReturnValue:
    """Every campaign: stages, the stage under way, progress of the townships in scope."""
    session, actor = db.session(), current_actor()
    today = local_date(db.now())
    shown = []
    for c in campaigns(session):
        rows = (
            township_progress(session, c.comparison_run_id, actor.org_path)
            if (c.comparison_run_id is not None)
            else []
        )
        shown.append({"campaign": c, "stage": current_stage(c, today), "rows": rows})
    return render_template(
        "campaigns/index.html",
        shown=shown,
        today=today,
        may_create=may_create(actor),
        rounds=year_status(session, actor, today.year, today),
        half_labels=HALF_LABELS,
        status_labels=STATUS_LABELS,
        may_record_round=bool(current_user.roles & ROUND_ROLES),
    )


def _blank_form() -> dict[str, Any]:
    stages = [{"name": n, "starts_on": "", "ends_on": "", "target": ""} for n in STANDARD_STAGES]
    return {
        "name": "",
        "comparison_run_id": "",
        "district_after_working_days": "3",
        "stages": stages,
    }


def _posted() -> tuple[dict[str, Any], list[StageInput]]:
    f = request.form
    stages_shown = []
    inputs = []
    for i in range(1, MAX_STAGES + 1):
        row = {k: f.get(f"stage{i}_{k}", "") for k in ("name", "starts_on", "ends_on", "target")}
        if i > FORM_ROWS and not any(v.strip() for v in row.values()):
            continue
        stages_shown.append(row)
        if any(v.strip() for v in row.values()):
            inputs.append(StageInput(row["name"], row["starts_on"], row["ends_on"], row["target"]))
    form = {
        "name": f.get("name", ""),
        "comparison_run_id": f.get("comparison_run_id", ""),
        "district_after_working_days": f.get("district_after_working_days", ""),
        "stages": stages_shown,
    }
    return form, inputs


@bp.route("/new", methods=["GET", "POST"])
@roles_required(CREATE_ROLES)
def new() -> ResponseReturnValue:
    """Create a campaign (district level only); every wrong field is shown next to it."""
    actor = current_actor()
    if not may_create(actor):
        abort(403)
    if request.method == "GET":
        return render_template("campaigns/new.html", form=_blank_form(), errors={})
    form, inputs = _posted()
    try:
        created = create_campaign(
            db.session(),
            actor,
            form["name"],
            inputs,
            db.now(),
            comparison_run_id=form["comparison_run_id"],
            district_after_working_days=form["district_after_working_days"],
        )
    except PayloadInvalid as exc:
        return render_template("campaigns/new.html", form=form, errors=exc.fields), 400
    except PermissionDenied:
        abort(403)
    flash(f"已创建排查摸底活动「{created.name}」", "success")
    return redirect(url_for("campaigns.index"), 303)


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(ROUND_ROLES)
def new_round() -> ResponseReturnValue:
    """Record a township's screening round of a half-year; every wrong field shown beside it."""
    session, actor = db.session(), current_actor()
    townships = units_in_reach(session, actor, ("township",))
    today = local_date(db.now())
    if request.method == "GET":
        form = dict.fromkeys(ROUND_FIELDS, "")
        form.update(year=str(today.year), half="1" if today.month <= 6 else "2")
        if len(townships) == 1:
            form["township"] = townships[0].code
        return render_template(
            "campaigns/round.html", form=form, errors={}, townships=townships, halves=HALF_LABELS
        )
    form = {k: request.form.get(k, "")[:600] for k in ROUND_FIELDS}
    try:
        row = record_round(session, actor, RoundInput(**form), db.now())
    except PayloadInvalid as exc:
        page = render_template(
            "campaigns/round.html",
            form=form,
            errors=exc.fields,
            townships=townships,
            halves=HALF_LABELS,
        )
        return page, 400
    except PermissionDenied:
        abort(403)
    flash(f"已登记 {row.year} 年{HALF_LABELS[row.half]}排查摸底", "success")
    return redirect(url_for("campaigns.index") + "#rounds", 303)
