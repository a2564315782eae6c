"""The one window (一门受理): find or register a household, declare relatives, start any case."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.casework.households import (
    DISABILITY_TYPES,
    HEALTH,
    LABOUR_CAPACITY,
    MAX_MEMBERS,
    NEAR_RELATIONS,
    RELATIONS,
    HouseholdInput,
    MemberInput,
    declare_relative,
    find_households,
    has_relative_declaration,
    household_in_scope,
    register_household,
)
from caseflow.casework.intake import (
    OWN_INTAKE,
    DuplicateFound,
    IntakeRequest,
    duplicate_findings,
    openable_workflows,
    start_case,
)
from caseflow.casework.materials import checklist
from caseflow.casework.overrides import (
    GRANT_VALID_DAYS,
    OVERRIDE_ROLES,
    grant_override,
    reasons_for,
    usable_grant,
)
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.read.cases_list import find_cases, looks_like_case_no
from caseflow.read.household_history import history_rows
from caseflow.read.household_page import household_page
from caseflow.read.registry_status import registry_status, registry_statuses
from caseflow.read.units import units_in_reach
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.orphan_desk import orphan_intake
from caseflow_web.security import CASEWORK_ROLES, current_actor, roles_required

bp = Blueprint("desk", __name__, url_prefix="/desk")

# Roles that may start at least one case type at the desk (workflow open_roles decide the rest).
INTAKE_ROLES = frozenset(
    {Role.CLERK, Role.TOWNSHIP_REVIEWER, Role.INVESTIGATOR, Role.POVERTY_LIAISON, Role.SUPERVISOR}
)
DEFAULT_ROWS = 5
HOUSEHOLD_LEVELS = ("village", "township")  # where a household may be registered
CASE_HITS = 10  # cases shown for a case-number search at the desk


@bp.get("/")
@roles_required(CASEWORK_ROLES)
def search() -> ResponseReturnValue:
    """Find a household by ID number, name or pinyin initials."""
    q = request.args.get("q", "")[:40]
    hits = find_households(db.session(), current_actor(), q) if q.strip() else []
    # A case number (or its serial) finds the case itself, open or closed.
    cases = (
        find_cases(db.session(), current_actor(), q=q, status="all", per_page=CASE_HITS).rows
        if looks_like_case_no(q)
        else []
    )
    registry = registry_statuses(db.session(), [hit.household.id for hit in hits])
    return render_template("desk/search.html", q=q, hits=hits, cases=cases, registry=registry)


def member_input(i: int) -> MemberInput:
    """Member row `i` of the posted form (inputs named members-<i>-<field>)."""
    f = request.form
    return MemberInput(
        name=f.get(f"members-{i}-name", ""),
        id_number=f.get(f"members-{i}-id_number", ""),
        relation=f.get(f"members-{i}-relation", ""),
        labour_capacity=f.get(f"members-{i}-labour_capacity", "full"),
        health=f.get(f"members-{i}-health", "healthy"),
        disability_grade=f.get(f"members-{i}-disability_grade", ""),
        disability_type=f.get(f"members-{i}-disability_type", ""),
        is_student=bool(f.get(f"members-{i}-is_student")),
    )


def household_input(members: list[MemberInput]) -> HouseholdInput:
    """The posted household fields (village, address, phone, bank) with `members`."""
    f = request.form
    return HouseholdInput(
        org_unit_id=f.get("org_unit_id", ""),
        address=f.get("address", ""),
        phone=f.get("phone", ""),
        bank_name=f.get("bank_name", ""),
        bank_account=f.get("bank_account", ""),
        members=members,
    )


def _household_form() -> HouseholdInput:
    rows = min(parse_row_id(request.form.get("rows")) or 0, MAX_MEMBERS)
    return household_input([member_input(i) for i in range(max(rows, 1))])


def _render_household_form(form: dict[str, Any], errors: dict[str, str], rows: int) -> str:
    return render_template(
        "desk/household_form.html",
        form=form,
        errors=errors,
        rows=rows,
        units=units_in_reach(db.session(), current_actor(), HOUSEHOLD_LEVELS),
        relations=RELATIONS,
        labour=LABOUR_CAPACITY,
        health=HEALTH,
        disability_types=DISABILITY_TYPES,
        max_rows=MAX_MEMBERS,
    )


@bp.route("/households/new", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def register() -> ResponseReturnValue:
    """Register a household and its members (nothing is saved while any field is wrong)."""
    if request.method == "GET":
        rows = min(parse_row_id(request.args.get("rows")) or DEFAULT_ROWS, MAX_MEMBERS)
        return _render_household_form({}, {}, max(rows, 1))
    data = _household_form()
    if request.form.get("add_rows"):
        # Without script "增加 5 行" posts the form: the typed values come back, nothing is saved.
        rows = min(len(data.members) + DEFAULT_ROWS, MAX_MEMBERS)
        return _render_household_form(request.form.to_dict(), {}, rows)
    try:
        household = register_household(db.session(), current_actor(), data, db.now())
    except PayloadInvalid as exc:
        flash("登记未保存：请按提示修改标红的项目", "error")
        return _render_household_form(request.form.to_dict(), exc.fields, len(data.members)), 400
    flash(f"已登记家庭：户主 {household.head_name}", "success")
    return redirect(url_for("desk.household", household_id=household.id), 303)


def _household_page(household_id: int, **extra: Any) -> str:
    actor = current_actor()
    page = household_page(db.session(), actor, household_id)
    reg = registry()
    return render_template(
        "desk/household.html",
        household=page.household,
        cases=page.cases,
        state_label=lambda c: reg.workflow(c.workflow_key).states[c.state].label,
        declarations=page.declarations,
        staff=page.staff,
        near_relations=NEAR_RELATIONS,
        workflows=openable_workflows(actor),
        labour=LABOUR_CAPACITY,
        health=HEALTH,
        disability_types=DISABILITY_TYPES,
        history=history_rows(db.session(), actor, household_id),
        rs=registry_status(db.session(), page.household.id),
        errors=extra.pop("errors", {}),
        **extra,
    )


@bp.get("/households/<int:household_id>")
@roles_required(CASEWORK_ROLES)
def household(household_id: int) -> ResponseReturnValue:
    """A household's members (masked), its cases and declarations; where to start a case."""
    return _household_page(household_id)


@bp.post("/households/<int:household_id>/relatives")
@roles_required(Role.CLERK)
def relatives(household_id: int) -> ResponseReturnValue:
    """Declare the household a near relative of staff (单独登记备案)."""
    f = request.form
    staff_id = f.get("staff_user_id", "")
    try:
        declare_relative(
            db.session(),
            current_actor(),
            household_id,
            staff_user_id=parse_row_id(staff_id),
            staff_name=f.get("staff_name", ""),
            relation=f.get("relation", ""),
            now=db.now(),
        )
    except PayloadInvalid as exc:
        return _household_page(household_id, errors=exc.fields), 400
    flash("已登记近亲属备案：本户今后的案件将单独登记，相关工作人员须回避", "success")
    return redirect(url_for("desk.household", household_id=household_id), 303)


def _intake_page(household_id: int, case_type: str, **extra: Any) -> str:
    session, actor = db.session(), current_actor()
    household = household_in_scope(session, actor, household_id)
    workflows = openable_workflows(actor)
    wf = next((w for w in workflows if w.case_type == case_type), None)
    findings = duplicate_findings(session, actor, household.id, case_type) if wf else []
    findings = extra.pop("findings", findings)
    grant = usable_grant(session, household.id, case_type, findings, db.now()) if findings else None
    emergency = wf.transition_for(wf.initial.name, "declare_emergency") if wf else None
    return render_template(
        "desk/intake.html",
        household=household,
        workflows=workflows,
        wf=wf,
        case_type=case_type,
        materials=checklist(case_type) if wf else (),
        findings=findings,
        reasons=reasons_for(case_type, findings),
        grant=grant,
        emergency=emergency,
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
        relative_declared=has_relative_declaration(session, household.id),
        **extra,
    )


def _intake_request(household_id: int, case_type: str) -> IntakeRequest:
    f = request.form
    emergency = None
    if f.get("emergency") and case_type == "temporary":
        emergency = {
            "emergency_kind": f.get("emergency_kind", ""),
            "situation": f.get("situation", ""),
        }
    return IntakeRequest(
        household_id=household_id,
        case_type=case_type,
        supplied=tuple(f.getlist("supplied")),
        illness=bool(f.get("illness")),
        disability=bool(f.get("disability")),
        sudden=bool(f.get("sudden")),
        summary=f.get("summary", ""),
        emergency=emergency,
    )


@bp.route("/households/<int:household_id>/intake", methods=["GET", "POST"])
@roles_required(INTAKE_ROLES)
def intake(household_id: int) -> ResponseReturnValue:
    """Start a case: checklist, duplicate checks before and at submit, 一次性告知 if incomplete."""
    case_type = (request.values.get("case_type") or "")[:20]
    household_in_scope(db.session(), current_actor(), household_id)  # 404 before anything else
    if case_type in OWN_INTAKE:
        return orphan_intake(household_id)
    if request.method == "GET":
        return _intake_page(household_id, case_type)
    form = request.form.to_dict()
    form["supplied"] = request.form.getlist("supplied")  # type: ignore[assignment]
    form.pop("override_password", None)  # never echoed back into the page
    try:
        result = start_case(
            db.session(), current_actor(), _intake_request(household_id, case_type), db.now()
        )
    except DuplicateFound as exc:
        flash(
            "重复申请检查未通过，未受理。如属法定情形，须由乡镇审核人员或分管领导授权后再受理。",
            "error",
        )
        return _intake_page(household_id, case_type, form=form, findings=exc.findings), 409
    except PayloadInvalid as exc:
        flash("未受理：请按提示修改", "error")
        return _intake_page(household_id, case_type, form=form, errors=exc.fields), 400
    except PermissionDenied as exc:
        flash(exc.message_zh, "error")
        return _intake_page(household_id, case_type, form=form), 403
    case = result.case
    if result.notice_fired:
        flash(f"已受理 {case.case_no}，材料不全：请打印一次性告知书交申请人", "warning")
        return redirect(url_for("printouts.missing_materials", case_id=case.id), 303)
    flash(f"已受理 {case.case_no}", "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)


def _override_page(household_id: int, case_type: str, **extra: Any) -> str:
    session, actor = db.session(), current_actor()
    household = household_in_scope(session, actor, household_id)
    known = case_type in {w.case_type for w in registry().workflows.values()}
    findings = duplicate_findings(session, actor, household.id, case_type) if known else []
    return render_template(
        "desk/override.html",
        household=household,
        case_type=case_type,
        findings=findings,
        reasons=reasons_for(case_type, findings),
        grant=usable_grant(session, household.id, case_type, findings, db.now()),
        valid_days=GRANT_VALID_DAYS,
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
    )


@bp.route("/households/<int:household_id>/override", methods=["GET", "POST"])
@roles_required(OVERRIDE_ROLES)
def override(household_id: int) -> ResponseReturnValue:
    """A township reviewer or leader lets the next intake past the duplicate check, for a
    lawful reason chosen from the list (recorded in the admin log)."""
    case_type = (request.values.get("case_type") or "")[:20]
    household_in_scope(db.session(), current_actor(), household_id)  # 404 before anything else
    if request.method == "GET":
        return _override_page(household_id, case_type)
    f = request.form
    try:
        grant_override(
            db.session(),
            current_actor(),
            household_id,
            case_type,
            f.get("reason", "")[:60],
            f.get("note", "")[:2000],
            db.now(),
        )
    except PayloadInvalid as exc:
        flash("未授权：请按提示修改", "error")
        return _override_page(household_id, case_type, form=f.to_dict(), errors=exc.fields), 400
    flash("已授权：窗口工作人员可以受理本户此类申请（授权已记入审计日志，仅可使用一次）", "success")
    return redirect(url_for("desk.override", household_id=household_id, case_type=case_type), 303)
