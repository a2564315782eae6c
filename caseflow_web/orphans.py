"""孤儿 / 事实无人抚养儿童 名册: the children of the orphan program in the user's reach, filtered
by township, category and state, with an Excel download. Township staff see their own township,
the district every township (jurisdiction in SQL: caseflow.read.orphans)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.clock.workcal import local_date
from caseflow.kernel.errors import CaseNotFound
from caseflow.kernel.spreadsheet import XLSX_TYPE
from caseflow.policy.orphans import CATEGORY_ZH
from caseflow.read import report_sheets as sheets
from caseflow.read.orphans import (
    SOON_MONTHS,
    VIEW_ROLES,
    OrphanFilters,
    OrphanRow,
    orphan_rows,
    state_labels,
)
from caseflow.read.units import units_in_reach
from caseflow_web import db
from caseflow_web.printouts.pdf import download
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("orphans", __name__, url_prefix="/orphans")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_orphans": bool(roles & VIEW_ROLES)}


def _filters() -> tuple[OrphanFilters, dict[str, str]]:
    """The query's filters; an unknown category or state is named in Chinese (400)."""
    errors: dict[str, str] = {}
    category = request.args.get("category", "").strip()[:40]
    if category and category not in CATEGORY_ZH:
        errors["category"] = "类别只能是孤儿或事实无人抚养儿童"
        category = ""
    state = request.args.get("state", "").strip()[:40]
    if state and state not in state_labels():
        errors["state"] = "没有这个案件状态"
        state = ""
    township = request.args.get("township", "").strip()[:20]
    return OrphanFilters(township=township, category=category, state=state), errors


def _rows(filters: OrphanFilters) -> list[OrphanRow]:
    try:
        return orphan_rows(db.session(), current_actor(), filters)
    except CaseNotFound:
        abort(404)  # a township outside the user's reach is not there for them


@bp.get("")
@roles_required(VIEW_ROLES)
def index() -> ResponseReturnValue:
    """The list with its filters; children turning 18 within three months are highlighted."""
    filters, errors = _filters()
    rows = _rows(filters)
    townships = units_in_reach(db.session(), current_actor(), ("township",))
    page = render_template(
        "orphans/index.html",
        rows=rows,
        filters=filters,
        errors=errors,
        townships=townships,
        categories=CATEGORY_ZH,
        states=state_labels(),
        today=local_date(db.now()),
        soon_months=SOON_MONTHS,
    )
    return page, 400 if errors else 200


@bp.get("/export.xlsx")
@roles_required(VIEW_ROLES)
def export() -> ResponseReturnValue:
    """The filtered list as .xlsx (through the one spreadsheet writer)."""
    filters, errors = _filters()
    if errors:
        return " ".join(errors.values()), 400
    data = sheets.orphans_xlsx(_rows(filters))
    return download(data, XLSX_TYPE, "孤儿及事实无人抚养儿童名册.xlsx", "orphans.xlsx")
