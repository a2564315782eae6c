"""集中供养: the institutions (敬老院 / 供养服务机构) and their beds, the district's occupancy, the
priority list of dispersed 特困 persons who are 全失能 / 半失能, and the township's proposal of
an admission (入院). The admission's later steps are transitions on the case page (fire()).

Views parse, call one core function, render: records in caseflow.institutions.records, the
proposal in caseflow.institutions.admission, the pages' numbers in caseflow.read.occupancy.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.institutions.admission import confirm_bed_at_institution, propose_admission
from caseflow.institutions.models import CARE_LEVEL_ZH, CARE_LEVELS, GROUNDS, KINDS
from caseflow.institutions.records import (
    EDITOR_ROLES,
    FIELDS,
    save_institution,
    typed_record,
)
from caseflow.kernel.contact import district_banks
from caseflow.kernel.errors import (
    CaseflowError,
    CaseNotFound,
    ConcurrencyConflict,
    DatabaseBusy,
    PayloadInvalid,
    PermissionDenied,
)
from caseflow.kernel.roles import Role
from caseflow.read.occupancy import (
    Placement,
    candidates,
    case_placement,
    institution_choices,
    occupancy,
    overview,
    priority_list,
)
from caseflow.read.units import units_in_reach
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("institutions", __name__, url_prefix="/institutions")
# Who reads institutions and occupancy: the township's reviewers and leaders (they propose),
# the district (approves, pays, supervises) and the admin (keeps the records).
VIEW_ROLES = frozenset(
    r.value
    for r in (
        Role.TOWNSHIP_REVIEWER,
        Role.TOWNSHIP_LEADER,
        Role.DISTRICT_APPROVER,
        Role.DISTRICT_FINANCE,
        Role.SUPERVISOR,
        Role.ADMIN,
    )
)
# An institution's own staff read their institution's page only (the SQL of every read keeps
# them to it: caseflow.institutions.records.institution_reach) and confirm its beds there.
STAFF_ROLE = Role.INSTITUTION_STAFF.value
EDIT_ROLES = frozenset(r.value for r in EDITOR_ROLES)
# The township proposes (the admission workflow's open roles).
PROPOSE_ROLES = frozenset({Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value})


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_institutions": bool(roles & (VIEW_ROLES | {STAFF_ROLE}))}


@bp.app_template_global()
def placement(case: Any) -> Placement | None:
    # `case` is the case page's own record; typed loosely because views never name ORM classes.
    """The institution and bed of an admission case, or where a 特困 case's person lives."""
    return case_placement(db.session(), current_actor(), case)


@bp.get("")
@roles_required(VIEW_ROLES, STAFF_ROLE)
def index() -> ResponseReturnValue:
    """Institutions in reach with their beds, and the district's sum by care level (an
    institution's staff go straight to their own institution's page)."""
    actor = current_actor()
    if actor.institution_id is not None:
        return redirect(url_for("institutions.show", institution_id=actor.institution_id))
    each, total = overview(db.session(), actor)
    may_edit = bool(EDIT_ROLES & current_actor().roles)
    return render_template("institutions/index.html", each=each, total=total, may_edit=may_edit)


def _render_show(
    institution_id: int, errors: dict[int, dict[str, str]] | None = None, typed: Any = None
) -> str:
    actor = current_actor()
    occ = occupancy(db.session(), actor, institution_id)
    return render_template(
        "institutions/show.html",
        occ=occ,
        may_edit=bool(EDIT_ROLES & actor.roles),
        own_staff=actor.institution_id is not None,
        errors=errors or {},
        typed=typed or {},
        confirmer=current_user.display_name,
    )


@bp.get("/<int:institution_id>")
@roles_required(VIEW_ROLES, STAFF_ROLE)
def show(institution_id: int) -> ResponseReturnValue:
    """One institution's occupancy: beds, residents, admissions under way (its own staff:
    with the form that confirms a bed)."""
    return _render_show(institution_id)


@bp.post("/<int:institution_id>/admissions/<int:case_id>/confirm-bed")
@roles_required(STAFF_ROLE)
def confirm_bed(institution_id: int, case_id: int) -> ResponseReturnValue:
    """The institution's staff confirm the bed of an admission to their institution."""
    actor = current_actor()
    if actor.institution_id != institution_id:
        abort(404)
    typed = {k: request.form.get(k, "")[:100] for k in ("bed_no", "confirmed_by")}
    version = parse_row_id(request.form.get("version", "")[:12])
    try:
        confirm_bed_at_institution(
            db.session(), actor, case_id, typed, db.now(), expected_version=version
        )
    except PayloadInvalid as exc:
        return _render_show(institution_id, {case_id: exc.fields}, {case_id: typed}), 400
    except (CaseNotFound, PermissionDenied, DatabaseBusy):
        raise  # their own pages (caseflow_web.errors)
    except CaseflowError as exc:  # the bed taken, the case moved on meanwhile
        status = 409 if isinstance(exc, ConcurrencyConflict) else 400
        page = _render_show(institution_id, {case_id: {"bed_no": exc.message_zh}}, {case_id: typed})
        return page, status
    flash(f"已确认床位：第 {typed['bed_no'].strip()} 号，待区级审批", "success")
    return redirect(url_for("institutions.show", institution_id=institution_id), 303)


def _render_form(institution_id: int | None, form: dict[str, Any], errors: dict[str, str]) -> str:
    return render_template(
        "institutions/form.html",
        institution_id=institution_id,
        form=form,
        errors=errors,
        kinds=KINDS,
        levels=[(lvl, CARE_LEVEL_ZH[lvl]) for lvl in CARE_LEVELS],
        townships=units_in_reach(db.session(), current_actor(), ("township",)),
        banks=district_banks(),
    )


def _save(institution_id: int | None) -> ResponseReturnValue:
    typed = {k: request.form.get(k, "") for k in FIELDS}
    typed["active"] = "1" if request.form.get("active") else "0"
    try:
        inst = save_institution(db.session(), current_actor(), typed, db.now(), institution_id)
    except PayloadInvalid as exc:
        return _render_form(institution_id, typed, exc.fields), 400
    flash(f"已保存供养机构 {inst.name}（已记入管理日志）", "success")
    return redirect(url_for("institutions.show", institution_id=inst.id), 303)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def new() -> ResponseReturnValue:
    """Enter an institution."""
    if request.method == "GET":
        return _render_form(None, {"active": "1"}, {})
    return _save(None)


@bp.route("/<int:institution_id>/edit", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def edit(institution_id: int) -> ResponseReturnValue:
    """Change an institution's record (never fewer beds than are taken)."""
    if request.method == "GET":
        typed = typed_record(db.session(), current_actor(), institution_id)
        return _render_form(institution_id, typed, {})
    return _save(institution_id)


@bp.get("/priority")
@roles_required(VIEW_ROLES)
def priority() -> ResponseReturnValue:
    """Dispersed 特困 persons who are 全失能 / 半失能, by township, with their status."""
    groups = priority_list(db.session(), current_actor())
    may_propose = bool(PROPOSE_ROLES & current_actor().roles)
    return render_template("institutions/priority.html", groups=groups, may_propose=may_propose)


def _render_proposal(form: dict[str, str], errors: dict[str, str]) -> str:
    session, actor = db.session(), current_actor()
    return render_template(
        "institutions/propose.html",
        form=form,
        errors=errors,
        people=candidates(session, actor),
        choices=institution_choices(session),
        grounds=GROUNDS,
        label=registry().workflow("admission").label,
    )


@bp.route("/admissions/new", methods=["GET", "POST"])
@roles_required(PROPOSE_ROLES)
def propose() -> ResponseReturnValue:
    """The township proposes a 特困 person for centralised care (the 入院 case)."""
    if request.method == "GET":
        return _render_proposal({"member_id": request.args.get("member_id", "")}, {})
    form = {k: request.form.get(k, "") for k in ("member_id", "institution_id", "ground", "note")}
    try:
        case = propose_admission(
            db.session(),
            current_actor(),
            parse_row_id(form["member_id"]) or 0,
            parse_row_id(form["institution_id"]) or 0,
            form["ground"],
            db.now(),
            note=form["note"],
        )
    except PayloadInvalid as exc:
        return _render_proposal(form, exc.fields), 400
    flash(f"已提出入院申请 {case.case_no}，请录入供养机构确认的床位", "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)
