"""统计报表: 户1人保, class C households due for a decision, classified support by township and
month, and the month's new / removed / changed recipients — each a page and an Excel download.
The figures come from caseflow.read.reports (jurisdiction in SQL); the workbooks from
caseflow.read.report_sheets (the one spreadsheet writer)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.clock.workcal import local_date
from caseflow.kernel.roles import Role
from caseflow.kernel.spreadsheet import XLSX_TYPE
from caseflow.payments.months import add_months, month_label, month_of, parse_month
from caseflow.read import report_sheets as sheets
from caseflow.read import reports as rp
from caseflow.read.recipients import place_names
from caseflow_web import db
from caseflow_web.printouts.pdf import download
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("reports", __name__, url_prefix="/reports")
# Township reviewers and leaders follow their own township; district staff the whole district.
REPORT_ROLES = frozenset(
    {
        Role.TOWNSHIP_REVIEWER.value,
        Role.TOWNSHIP_LEADER.value,
        Role.DISTRICT_APPROVER.value,
        Role.DISTRICT_FINANCE.value,
        Role.SUPERVISOR.value,
    }
)
MONTH_ERROR = "月份格式应为 YYYY-MM，例如 2026-12"


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_reports": bool(roles & REPORT_ROLES)}


def _xlsx(data: bytes, title: str, slug: str) -> Response:
    return download(data, XLSX_TYPE, f"{title}.xlsx", f"{slug}.xlsx")


def _month(name: str, default: str, errors: dict[str, str]) -> str:
    raw = request.args.get(name, "").strip()[:7]
    if not raw:
        return default
    month = parse_month(raw)
    if month is None:
        errors[name] = MONTH_ERROR
        return default
    return month


@bp.get("")
@roles_required(REPORT_ROLES)
def index() -> ResponseReturnValue:
    """The list of reports."""
    return render_template("reports/index.html")


@bp.get("/single-covered")
@roles_required(REPORT_ROLES)
def single_covered() -> ResponseReturnValue:
    """户1人保: one person covered in a household of two or more."""
    session, actor = db.session(), current_actor()
    rows = rp.single_covered_cases(session, actor)
    names = place_names(session, actor)
    return render_template("reports/single_covered.html", rows=rows, names=names)


@bp.get("/single-covered.xlsx")
@roles_required(REPORT_ROLES)
def single_covered_xlsx() -> ResponseReturnValue:
    session, actor = db.session(), current_actor()
    rows = rp.single_covered_cases(session, actor)
    return _xlsx(sheets.single_covered_xlsx(rows, place_names(session, actor)), "户1人保", "single")


@bp.get("/class-c")
@roles_required(REPORT_ROLES)
def class_c() -> ResponseReturnValue:
    """Class C households, each due for a raise-or-remove decision at its review."""
    session, actor = db.session(), current_actor()
    rows = rp.class_c_cases(session, actor)
    today = local_date(db.now())
    names = place_names(session, actor)
    return render_template("reports/class_c.html", rows=rows, names=names, today=today)


@bp.get("/class-c.xlsx")
@roles_required(REPORT_ROLES)
def class_c_xlsx() -> ResponseReturnValue:
    session, actor = db.session(), current_actor()
    data = sheets.class_c_xlsx(rp.class_c_cases(session, actor), place_names(session, actor))
    return _xlsx(data, "C类提档或清退", "class-c")


def _range() -> tuple[str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    this = month_of(db.now())
    last = _month("to", this, errors)
    first = _month("from", add_months(last, -5), errors)
    if first > last:
        errors["from"] = "起始月份不能晚于截止月份"
        first = last
    return first, last, errors


@bp.get("/classified")
@roles_required(REPORT_ROLES)
def classified() -> ResponseReturnValue:
    """低保 households, persons and amounts by month × township × class A/B/C."""
    first, last, errors = _range()
    months = rp.months_from(first, last)
    lines = rp.classified(db.session(), current_actor(), months)
    page = render_template(
        "reports/classified.html",
        lines=lines,
        first=months[0],
        last=last,
        errors=errors,
        classes=rp.CLASSES,
        max_months=rp.MAX_MONTHS,
    )
    return page, 400 if errors else 200


@bp.get("/classified.xlsx")
@roles_required(REPORT_ROLES)
def classified_xlsx() -> ResponseReturnValue:
    first, last, errors = _range()
    if errors:
        return render_template("error.html", code=400, message=next(iter(errors.values()))), 400
    lines = rp.classified(db.session(), current_actor(), rp.months_from(first, last))
    return _xlsx(sheets.classified_xlsx(lines), f"分类施保-{first}至{last}", "classified")


def _changes() -> tuple[rp.MonthChanges, dict[str, str]]:
    errors: dict[str, str] = {}
    month = _month("month", month_of(db.now()), errors)
    return rp.changes_in(db.session(), current_actor(), month), errors


@bp.get("/changes")
@roles_required(REPORT_ROLES)
def changes() -> ResponseReturnValue:
    """低保 and 特困 recipients new, removed or changed in a month."""
    found, errors = _changes()
    page = render_template(
        "reports/changes.html",
        found=found,
        label=month_label(found.month),
        labels=rp.CHANGE_LABELS,
        errors=errors,
    )
    return page, 400 if errors else 200


@bp.get("/changes.xlsx")
@roles_required(REPORT_ROLES)
def changes_xlsx() -> ResponseReturnValue:
    found, errors = _changes()
    if errors:
        return render_template("error.html", code=400, message=errors["month"]), 400
    return _xlsx(sheets.changes_xlsx(found), f"对象变动-{found.month}", "changes")
