"""Household corrections at the desk: edit the household, add, edit or remove a member — each
with its reason, recorded as a version of the household (caseflow.casework.corrections)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.casework.corrections import (
    CORRECTION_ROLES,
    REASONS,
    Why,
    add_member,
    current_member,
    edit_household,
    edit_member,
    remove_member,
    township_path,
)
from caseflow.casework.households import (
    DISABILITY_TYPES,
    HEAD,
    HEALTH,
    LABOUR_CAPACITY,
    RELATIONS,
    household_in_scope,
)
from caseflow.casework.personal_data import reveal
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.timeutil import to_local
from caseflow.read.units import units_in_reach
from caseflow_web import db
from caseflow_web.desk import HOUSEHOLD_LEVELS, household_input, member_input
from caseflow_web.security import current_actor, roles_required

PURPOSE = "更正家庭信息"
bp = Blueprint("corrections", __name__, url_prefix="/desk/households")
# Households, members and versions reach the templates as the core returns them (typed Any
# here: views import no ORM classes).


def _why() -> Why:
    return Why(request.form.get("reason", "")[:40], request.form.get("note", "")[:2000])


def _done(household_id: int, change: Any, what: str) -> ResponseReturnValue:
    message = f"已保存：{what}（第 {change.seq} 版）"
    if change.review_case_id is not None:
        message += "；本户在保，家庭情况变化已转入复核"
    flash(message, "success")
    return redirect(url_for("desk.household", household_id=household_id, _anchor="history"), 303)


def _render(template: str, household: Any, **extra: Any) -> str:
    return render_template(
        template,
        household=household,
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
        relations=[r for r in RELATIONS if r != HEAD],
        labour=LABOUR_CAPACITY,
        health=HEALTH,
        disability_types=DISABILITY_TYPES,
        **extra,
    )


# --- the household -----------------------------------------------------------------------------


def _edit_page(household: Any, **extra: Any) -> str:
    villages = [
        u
        for u in units_in_reach(db.session(), current_actor(), HOUSEHOLD_LEVELS)
        if u.path.startswith(township_path(household.org_path))
    ]
    return _render(
        "desk/household_edit.html",
        household,
        villages=villages,
        reasons=REASONS["household_edit"],
        **extra,
    )


@bp.route("/<int:household_id>/edit", methods=["GET", "POST"])
@roles_required(CORRECTION_ROLES)
def edit(household_id: int) -> ResponseReturnValue:
    """Change the household's village (within the township), address, phone or bank."""
    household = household_in_scope(db.session(), current_actor(), household_id)
    if request.method == "GET":
        form = {
            "org_unit_id": str(household.org_unit_id),
            "address": household.address,
            "phone": household.phone,
            "bank_name": household.bank_name,
            "bank_account": reveal(
                db.session(),
                current_actor(),
                field="bank_account",
                household_id=household_id,
                now=db.now(),
                purpose=PURPOSE,
            )
            if household.bank_account
            else "",
        }
        return _edit_page(household, form=form)
    try:
        change = edit_household(
            db.session(), current_actor(), household_id, household_input([]), _why(), db.now()
        )
    except PayloadInvalid as exc:
        flash("未保存：请按提示修改标红的项目", "error")
        household = household_in_scope(db.session(), current_actor(), household_id)
        return _edit_page(household, form=request.form.to_dict(), errors=exc.fields), 400
    return _done(household_id, change, "家庭信息")


# --- members -------------------------------------------------------------------------------


def _member_form(member: Any) -> dict[str, str]:
    """The member's values for the form; the full ID number through reveal(), logged."""
    p = "members-0-"
    id_number = reveal(
        db.session(),
        current_actor(),
        field="id_number",
        household_id=member.household_id,
        member_id=member.id,
        now=db.now(),
        purpose=PURPOSE,
    )
    return {
        p + "name": member.name,
        p + "id_number": id_number,
        p + "relation": member.relation,
        p + "labour_capacity": member.labour_capacity,
        p + "health": member.health,
        p + "disability_type": member.disability_type or "",
        p + "disability_grade": str(member.disability_grade or ""),
        p + "is_student": "on" if member.is_student else "",
    }


def _member_page(household: Any, member: Any, **extra: Any) -> str:
    reasons = REASONS["member_edit" if member else "member_add"]
    return _render("desk/member_form.html", household, member=member, reasons=reasons, **extra)


def _member_view(household_id: int, member_id: int | None) -> ResponseReturnValue:
    """Add a member (member_id None) or correct one: the form, or the change and its version."""
    actor = current_actor()
    household = household_in_scope(db.session(), actor, household_id)
    member = current_member(household, member_id) if member_id else None
    if request.method == "GET":
        return _member_page(household, member, form=_member_form(member) if member else {})
    try:
        if member_id is None:
            change = add_member(
                db.session(), actor, household_id, member_input(0), _why(), db.now()
            )
        else:
            change = edit_member(
                db.session(), actor, household_id, member_id, member_input(0), _why(), db.now()
            )
    except PayloadInvalid as exc:
        flash("未保存：请按提示修改标红的项目", "error")
        household = household_in_scope(db.session(), actor, household_id)
        member = current_member(household, member_id) if member_id else None
        return _member_page(household, member, form=request.form.to_dict(), errors=exc.fields), 400
    return _done(household_id, change, f"修改成员 {member.name}" if member else "增加成员")


@bp.route("/<int:household_id>/members/new", methods=["GET", "POST"])
@roles_required(CORRECTION_ROLES)
def add(household_id: int) -> ResponseReturnValue:
    """Add a member (birth, marriage, moving in)."""
    return _member_view(household_id, None)


@bp.route("/<int:household_id>/members/<int:member_id>/edit", methods=["GET", "POST"])
@roles_required(CORRECTION_ROLES)
def edit_member_view(household_id: int, member_id: int) -> ResponseReturnValue:
    """Correct a member's details (the full ID number in the input is a logged view)."""
    return _member_view(household_id, member_id)


def _remove_page(household: Any, member: Any, **extra: Any) -> str:
    others = [m for m in household.members if m.id != member.id]
    return _render(
        "desk/member_remove.html",
        household,
        member=member,
        others=others,
        reasons=REASONS["member_remove"],
        today=to_local(db.now()).date().isoformat(),
        **extra,
    )


@bp.route("/<int:household_id>/members/<int:member_id>/remove", methods=["GET", "POST"])
@roles_required(CORRECTION_ROLES)
def remove(household_id: int, member_id: int) -> ResponseReturnValue:
    """A member leaves (death, marriage, moving out): kept in the history, never deleted."""
    household = household_in_scope(db.session(), current_actor(), household_id)
    member = current_member(household, member_id)
    if request.method == "GET":
        return _remove_page(household, member)
    f = request.form
    try:
        change = remove_member(
            db.session(),
            current_actor(),
            household_id,
            member_id,
            f.get("left_on", "")[:20],
            _why(),
            db.now(),
            new_head_id=f.get("new_head_id", ""),
        )
    except PayloadInvalid as exc:
        flash("未保存：请按提示修改标红的项目", "error")
        household = household_in_scope(db.session(), current_actor(), household_id)
        member = current_member(household, member_id)
        return _remove_page(household, member, form=f.to_dict(), errors=exc.fields), 400
    return _done(household_id, change, f"成员减少 {member.name}")
