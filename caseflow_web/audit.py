"""审计 (audit search): case events, admin-log entries and full views of personal data, with a
CSV download of the same filtered rows. Jurisdiction is applied by caseflow.read.audit_search."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.casework.personal_data import may_see_names
from caseflow.kernel.timeutil import to_local
from caseflow.read.audit_search import (
    ADMIN_ACTIONS,
    AUDIT_ROLES,
    CASE_EVENTS,
    KINDS,
    AuditFilters,
    case_event_actions,
    export_csv,
    refused_filters,
    search,
)
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50
TEXT_KEYS = ("user", "case_no", "household", "action")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_audit": bool(roles & AUDIT_ROLES)}


def _parse() -> tuple[str, AuditFilters, dict[str, str], dict[str, str]]:
    """Kind, filters, the raw values (for the form) and per-field errors."""
    raw = {k: request.args.get(k, "").strip()[:100] for k in (*TEXT_KEYS, "since", "until")}
    kind = request.args.get("kind", CASE_EVENTS)[:20]
    if kind not in KINDS:
        abort(400)
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for key in ("since", "until"):
        days[key] = None
        if raw[key]:
            try:
                days[key] = date.fromisoformat(raw[key])
            except ValueError:
                errors[key] = "日期格式应为 2026-03-01"
    if days["since"] and days["until"] and days["since"] > days["until"]:
        errors["until"] = "结束日期早于开始日期"
    filters = AuditFilters(
        user=raw["user"],
        case_no=raw["case_no"],
        household=raw["household"],
        action=raw["action"],
        since=days["since"],
        until=days["until"],
    )
    errors.update(refused_filters(current_actor(), filters))
    return kind, filters, raw, errors


@bp.get("")
@roles_required(AUDIT_ROLES)
def index() -> ResponseReturnValue:
    """The search form and one page of results."""
    kind, filters, raw, errors = _parse()
    page = None
    if not errors:
        page_no = min(parse_row_id(request.args.get("page", "1")[:9]) or 1, 100_000)
        page = search(db.session(), current_actor(), kind, filters, page=page_no, per_page=PER_PAGE)
    kept = {k: v for k, v in raw.items() if v}

    def url(endpoint: str = "audit.index", **changes: Any) -> str:
        params = {"kind": kind, **kept, **changes}
        return url_for(endpoint) + "?" + urlencode({k: v for k, v in params.items() if v})

    body = render_template(
        "audit/index.html",
        kind=kind,
        kinds=KINDS,
        page=page,
        raw=raw,
        errors=errors,
        url=url,
        actions=case_event_actions(),
        admin_actions=ADMIN_ACTIONS,
        household_hint="家庭编号或户主姓名" if may_see_names(current_actor()) else "家庭编号",
    )
    return body, 400 if errors else 200


@bp.get("/export.csv")
@roles_required(AUDIT_ROLES)
def export() -> ResponseReturnValue:
    """The same filtered rows as CSV (UTF-8 with BOM, for Excel)."""
    kind, filters, _raw, errors = _parse()
    if errors:
        abort(400)
    text = export_csv(db.session(), current_actor(), kind, filters)
    stamp = to_local(db.now()).strftime("%Y%m%d-%H%M")
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{kind}-{stamp}.csv"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )
