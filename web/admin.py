"""Account administration: create users, set roles and unit, deactivate (never delete)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from caseflow.errors import PayloadInvalid
from caseflow.models import OrgUnit, User
from caseflow.roles import Role
from web import db
from web.accounts import (
    ASSIGNABLE_ROLES,
    UserForm,
    create_user,
    units_in_scope,
    update_user,
    user_in_scope,
)
from web.security import current_actor, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _form() -> UserForm:
    f = request.form
    return UserForm(
        username=f.get("username", ""),
        display_name=f.get("display_name", ""),
        org_unit_id=f.get("org_unit_id", ""),
        roles=tuple(f.getlist("roles")),
        password=f.get("password", ""),
        active=bool(f.get("active")),
    )


def _render(user: User | None, form: dict[str, Any], errors: dict[str, str]) -> str:
    return render_template(
        "admin/user_form.html",
        user=user,
        form=form,
        errors=errors,
        units=units_in_scope(db.session(), current_actor()),
        roles=ASSIGNABLE_ROLES,
    )


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """Accounts in the admin's subtree."""
    actor = current_actor()
    rows = (
        db.session()
        .scalars(
            select(User)
            .join(OrgUnit, User.org_unit_id == OrgUnit.id)
            .where(OrgUnit.path.startswith(actor.org_path, autoescape=True))
            .order_by(OrgUnit.path, User.username)
        )
        .all()
    )
    return render_template("admin/users.html", users=rows)


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
