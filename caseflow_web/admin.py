"""Account administration: create users, set roles and unit, deactivate (never delete)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.accounts.offices import offices_in_reach, set_office_phones
from caseflow.accounts.staff import (
    ASSIGNABLE_ROLES,
    UserForm,
    create_user,
    update_user,
    user_in_scope,
    users_in_scope,
)
from caseflow.institutions.records import institutions_in_reach
from caseflow.kernel.errors import DefinitionError, PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.policy.store import confirm_policy, enter_policy
from caseflow.read.policy_records import policy_record, policy_rows
from caseflow.read.units import units_in_reach
from caseflow_web import db
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _render_index(typed: dict[str, str], errors: dict[str, str]) -> str:
    offices = offices_in_reach(db.session(), current_actor())
    return render_template("admin/index.html", offices=offices, typed=typed, errors=errors)


@bp.get("")
@roles_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    """The admin's start page: users, policy, API tokens, and the offices' telephones."""
    return _render_index({}, {})


@bp.post("/offices")
@roles_required(Role.ADMIN)
def office_phones() -> ResponseReturnValue:
    """Save the offices' contact telephones (all or nothing)."""
    typed = {k: v for k, v in request.form.items() if k.startswith("phone-")}
    try:
        changed = set_office_phones(db.session(), current_actor(), typed, db.now())
    except PayloadInvalid as exc:
        return _render_index(typed, exc.fields), 400
    flash(f"已保存 {len(changed)} 个单位的联系电话（已记入管理日志）", "success")
    return redirect(url_for("admin.index"), 303)


def _form() -> UserForm:
    f = request.form
    return UserForm(
        username=f.get("username", ""),
        display_name=f.get("display_name", ""),
        org_unit_id=f.get("org_unit_id", ""),
        roles=tuple(f.getlist("roles")),
        password=f.get("password", ""),
        active=bool(f.get("active")),
        institution_id=f.get("institution_id", ""),
    )


def _render(user: object | None, form: dict[str, Any], errors: dict[str, str]) -> str:
    return render_template(
        "admin/user_form.html",
        user=user,
        form=form,
        errors=errors,
        units=units_in_reach(db.session(), current_actor()),
        roles=ASSIGNABLE_ROLES,
        institutions=institutions_in_reach(db.session(), current_actor(), active_only=True),
    )


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """Accounts in the admin's subtree."""
    session, actor = db.session(), current_actor()
    names = {inst.id: inst.name for inst, _ in institutions_in_reach(session, actor)}
    return render_template(
        "admin/users.html", users=users_in_scope(session, actor), institution_names=names
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> ResponseReturnValue:
    """Create an account."""
    if request.method == "GET":
        return _render(None, {"active": True, "roles": []}, {})
    form = _form()
    try:
        user = create_user(db.session(), current_actor(), form, db.now())
    except PayloadInvalid as exc:
        shown = {**request.form.to_dict(), "roles": list(form.roles), "password": ""}
        return _render(None, shown, exc.fields), 400
    flash(f"已创建账号 {user.username}", "success")
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change roles, unit, name, active flag; reset the password."""
    session, actor = db.session(), current_actor()
    user = user_in_scope(session, actor, user_id)
    if request.method == "GET":
        current = {
            "display_name": user.display_name,
            "org_unit_id": str(user.org_unit_id),
            "roles": sorted(user.role_names),
            "active": user.active,
            "institution_id": str(user.institution_id or ""),
        }
        return _render(user, current, {})
    form = _form()
    try:
        update_user(session, actor, user_id, form, db.now())
    except PayloadInvalid as exc:
        shown = {**request.form.to_dict(), "roles": list(form.roles), "active": form.active}
        return _render(user, shown, exc.fields), 400
    flash(f"已保存账号 {user.username}", "success")
    return redirect(url_for("admin.users"), 303)


@bp.get("/policy")
@roles_required(Role.ADMIN)
def policy() -> ResponseReturnValue:
    """The dated policy configurations of the district, with their status."""
    return _render_policy("", {}), 200


def _render_policy(text: str, errors: dict[str, str]) -> str:
    rows = policy_rows(db.session(), current_actor())
    return render_template("admin/policy.html", rows=rows, text=text, errors=errors)


@bp.post("/policy")
@roles_required(Role.ADMIN)
def enter_policy_view() -> ResponseReturnValue:
    """Enter or replace configurations from YAML text; every change goes to the admin log."""
    text = request.form.get("document", "")
    try:
        stored = enter_policy(db.session(), text, current_actor().user_id, db.now(), "录入内容")
    except DefinitionError as exc:
        return _render_policy(text, {"document": exc.message_zh}), 400
    flash(f"已录入 {len(stored)} 份配置（已记入管理日志）", "ok")
    return redirect(url_for("admin.policy"), 303)


@bp.post("/policy/<int:record_id>/confirm")
@roles_required(Role.ADMIN)
def confirm_policy_view(record_id: int) -> ResponseReturnValue:
    """Confirm example values as the district's own."""
    session, actor = db.session(), current_actor()
    record = policy_record(session, actor, record_id)
    if record is None:
        abort(404)
    assert actor.user_id is not None
    confirm_policy(session, record, actor.user_id, db.now())
    flash(f"{record.effective_from} 起施行的配置已确认", "ok")
    return redirect(url_for("admin.policy"), 303)
