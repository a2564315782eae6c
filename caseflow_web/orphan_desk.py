"""The window's form for a 孤儿 / 事实无人抚养儿童 application (served by desk.intake when the case
type is orphan): the child from the household's members, the guardian, both parents' situations
and the care setting; refused field by field in Chinese with nothing written."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.casework.orphans import (
    GUARDIAN_RELATIONS,
    OrphanApplication,
    household_and_members,
    open_orphan_case,
)
from caseflow.kernel.errors import PayloadInvalid
from caseflow.policy.orphans import PARENT_STATUS_ZH, SETTING_ZH
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor


def _page(household_id: int, form: dict[str, str], errors: dict[str, str]) -> str:
    household, members = household_and_members(db.session(), current_actor(), household_id)
    return render_template(
        "desk/orphan_intake.html",
        household=household,
        members=members,
        relations=GUARDIAN_RELATIONS,
        parent_statuses=PARENT_STATUS_ZH,
        settings=SETTING_ZH,
        form=form,
        errors=errors,
    )


def orphan_intake(household_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _page(household_id, {}, {})
    f = request.form
    form = {k: v for k, v in f.items() if k != "csrf_token"}
    app = OrphanApplication(
        household_id=household_id,
        child_member_id=parse_row_id(f.get("child_member_id")) or 0,
        guardian_name=f.get("guardian_name", "")[:100],
        guardian_relation=f.get("guardian_relation", ""),
        guardian_id_number=f.get("guardian_id_number", "")[:40],
        father_status=f.get("father_status", ""),
        mother_status=f.get("mother_status", ""),
        setting=f.get("setting", ""),
    )
    try:
        case = open_orphan_case(db.session(), current_actor(), app, db.now())
    except PayloadInvalid as exc:
        flash("未受理：请按提示修改", "error")
        form.pop("guardian_id_number", None)  # an ID number is never echoed back into the page
        return _page(household_id, form, exc.fields), 400
    flash(f"已受理 {case.case_no}", "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)
