"""迁移 between townships: the receiving window asks from a household's page, the district's
approver decides at /desk/transfers (caseflow.casework.transfers)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.casework.households import HEAD, RELATIONS, household_in_scope
from caseflow.casework.transfers import (
    DECIDE_ROLES,
    REQUEST_ROLES,
    STATUS_LABELS,
    VIEW_ROLES,
    TransferAsk,
    decide_transfer,
    request_transfer,
    transfers_for,
)
from caseflow.kernel.errors import PayloadInvalid
from caseflow_web import db
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("transfers", __name__, url_prefix="/desk")


def _request_page(household: Any, **extra: Any) -> str:
    return render_template(
        "desk/transfer_request.html",
        household=household,
        relations=[r for r in RELATIONS if r != HEAD],
        form=extra.pop("form", {}),
        errors=extra.pop("errors", {}),
    )


@bp.route("/households/<int:household_id>/transfer", methods=["GET", "POST"])
@roles_required(REQUEST_ROLES)
def request_form(household_id: int) -> ResponseReturnValue:
    """Ask the district to move a person registered in another township into this household."""
    household = household_in_scope(db.session(), current_actor(), household_id)
    if request.method == "GET":
        return _request_page(household, form={"id_number": request.args.get("id_number", "")})
    f = request.form
    ask = TransferAsk(f.get("id_number", "")[:40], f.get("relation", "")[:20], f.get("note", ""))
    try:
        request_transfer(db.session(), current_actor(), household_id, ask, db.now())
    except PayloadInvalid as exc:
        flash("未提交：请按提示修改", "error")
        household = household_in_scope(db.session(), current_actor(), household_id)
        return _request_page(household, form=f.to_dict(), errors=exc.fields), 400
    flash("已提交迁移申请，待区民政局审批；审批后该人员即为本户成员", "success")
    return redirect(url_for("transfers.index"), 303)


def _list_page(**extra: Any) -> str:
    status = request.args.get("status", "requested")[:12]
    rows = transfers_for(db.session(), current_actor(), status)
    return render_template(
        "desk/transfers.html",
        rows=rows,
        status=status,
        labels=STATUS_LABELS,
        errors=extra.pop("errors", {}),
        failed=extra.pop("failed", None),
    )


@bp.get("/transfers")
@roles_required(VIEW_ROLES)
def index() -> ResponseReturnValue:
    """Transfer requests: a window sees its own township's, the district decides them all."""
    return _list_page()


@bp.post("/transfers/<int:transfer_id>/decide")
@roles_required(DECIDE_ROLES)
def decide(transfer_id: int) -> ResponseReturnValue:
    """Approve (the person moves, both households get a version) or refuse with a reason."""
    f = request.form
    try:
        decide_transfer(
            db.session(),
            current_actor(),
            transfer_id,
            approve=f.get("decision") == "approve",
            note=f.get("note", "")[:2000],
            now=db.now(),
        )
    except PayloadInvalid as exc:
        flash("未处理：" + "；".join(exc.fields.values()), "error")
        return _list_page(errors=exc.fields, failed=transfer_id), 400
    flash("已批准迁移" if f.get("decision") == "approve" else "已不予迁移", "success")
    return redirect(url_for("transfers.index"), 303)
