"""The home visit's means form: every member's incomes, assets and deductible expenses, line by
line with their evidence, recorded through `record_household_means` (a record replaces the lines
recorded before; the audit keeps each record)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from caseflow.casework.facts_adapter import load_household
from caseflow.casework.means import (
    CHECK_RESULT_ZH,
    KINDS_ZH,
    SECTIONS,
    TRIGGER,
    record_means,
    stored_rows,
)
from caseflow.engine.fire import available_transitions
from caseflow.kernel.errors import CaseflowError, ConcurrencyConflict, PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local
from caseflow.policy.means_lines import SECTION_ZH
from caseflow.read.case_page import load_case
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("means", __name__, url_prefix="/cases")
MEANS_ROLES = frozenset({Role.INVESTIGATOR.value})
MAX_ROWS = 300  # as the engine's `records` payload type allows
ROW_FIELD = re.compile(r"^r(\d{1,3})-([a-z_]{2,20})$")
FIELDS = (
    "id",
    "member_id",
    "line",
    "amount",
    "check",
    "evidence",
    "as_of",
    "note",
    "employs_others",
)
# The category choices of the form: one select per line, "section:kind", grouped by section.
CHOICES = [
    (SECTION_ZH[s], [(f"{s}:{k}", label) for k, label in KINDS_ZH[s].items()]) for s in SECTIONS
]


def rows_from_form(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The posted rows `r<n>-<field>` in the order of n, each keyed "r<n>" for its errors."""
    rows: dict[int, dict[str, Any]] = {}
    for name in form:
        match = ROW_FIELD.match(name)
        if match and match.group(2) in FIELDS and int(match.group(1)) < MAX_ROWS:
            n = int(match.group(1))
            rows.setdefault(n, {"key": f"r{n}"})[match.group(2)] = form.get(name, "")[:300]
    for row in rows.values():
        section, _, kind = str(row.pop("line", "")).partition(":")
        row["section"], row["kind"] = (section, kind) if kind else ("", "")
    return [rows[n] for n in sorted(rows)]


def _form_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the template shows them: the combined category value and a fresh key each."""
    shown = []
    for n, row in enumerate(rows):
        line = f"{row['section']}:{row['kind']}" if row.get("kind") else ""
        shown.append({**row, "line": line, "n": n, "key": row.get("key") or f"r{n}"})
    return shown


def _blank_row(member_id: str, today: str) -> dict[str, Any]:
    return {"member_id": member_id, "section": "", "kind": "", "as_of": today}


def _may_record(case: Any) -> bool:  # the case load_case read (views name no ORM class)
    offered = available_transitions(db.session(), case, current_actor(), db.now())
    return any(a.trigger == TRIGGER for a in offered)


def _render(
    case: Any, rows: list[dict[str, Any]], errors: Mapping[str, str], status: int = 200
) -> ResponseReturnValue:
    household = load_household(db.session(), case.household_id)
    known = {str(m.id) for m in household.members}
    stray = [r for r in rows if str(r.get("member_id")) not in known]
    page = render_template(
        "cases/_means_form.html",
        case=case,
        members=household.members,
        rows=_form_rows(rows),
        stray=stray,
        errors=errors,
        choices=CHOICES,
        checks=CHECK_RESULT_ZH,
        today=to_local(db.now()).date().isoformat(),
    )
    return page, status


@bp.get("/<int:case_id>/means")
@roles_required(MEANS_ROLES)
def form(case_id: int) -> ResponseReturnValue:
    """The lines recorded so far, one card per line under each member, and an empty line each."""
    case = load_case(db.session(), current_actor(), case_id)
    if not _may_record(case):
        flash("当前环节不能录入家庭收入、财产和支出", "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    household = load_household(db.session(), case.household_id)
    today = to_local(db.now()).date().isoformat()
    rows = stored_rows(household)
    with_lines = {r["member_id"] for r in rows}
    rows += [_blank_row(str(m.id), today) for m in household.members if str(m.id) not in with_lines]
    return _render(case, rows, {})


@bp.post("/<int:case_id>/means")
@roles_required(MEANS_ROLES)
def save(case_id: int) -> ResponseReturnValue:
    """增加一行 shows the form again with everything typed and one more line for that member;
    保存 records the lines (field-by-field messages and nothing written when any is wrong)."""
    session, actor = db.session(), current_actor()
    case = load_case(session, actor, case_id)
    if not _may_record(case):
        flash("当前环节不能录入家庭收入、财产和支出", "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    rows = rows_from_form(request.form)
    add_for = request.form.get("add", "")
    if add_for:
        rows.append(_blank_row(add_for[:12], to_local(db.now()).date().isoformat()))
        return _render(case, rows, {})
    if not request.form.get("save"):  # only the save button records (a record replaces all)
        return _render(case, rows, {})
    version = parse_row_id(request.form.get("expected_version"))
    try:
        record_means(session, case, actor, db.now(), rows, expected_version=version)
    except PayloadInvalid as exc:
        flash("未保存：请按提示修改标红的项目", "error")
        return _render(case, rows, exc.fields, 400)
    except ConcurrencyConflict as exc:
        flash(exc.message_zh, "error")
        return _render(case, rows, {}, 409)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return _render(case, rows, {}, 400)
    flash("已保存家庭收入、财产和支出（本次录入替换此前的全部项目）", "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="assessments"), 303)
