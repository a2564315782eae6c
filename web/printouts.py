"""Print-ready notices (HTML with print CSS): acceptance, one-time notice of missing materials,
decision / refusal with appeal rights, and the village publicity list."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from caseflow.errors import CaseNotFound
from caseflow.models import Assessment, Case, CaseEvent, Household, Member, OrgUnit
from caseflow.timeutil import to_local
from caseflow.workflow.registry import registry
from web import db
from web.case_view import load_case
from web.security import CASEWORK_ROLES, current_actor, roles_required

bp = Blueprint("printouts", __name__, url_prefix="/print")

# Decisions a notice can be printed for; refusals and removals carry appeal rights.
DECISIONS = {
    "approve": "approval",
    "township_approve": "approval",
    "district_approve": "approval",
    "refuse": "refusal",
    "township_refuse": "refusal",
    "district_refuse": "refusal",
    "approve_removal": "removal",
    "approve_gradual_exit": "gradual_exit",
    "decide_keep": "keep",
}
PUBLICITY_STATES = ("publicizing",)


def _events(case: Case, triggers: tuple[str, ...] | None = None) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    if triggers:
        stmt = stmt.where(CaseEvent.trigger.in_(triggers))
    return list(db.session().scalars(stmt))


def _head(case: Case) -> Member | None:
    members = (
        db.session()
        .scalars(select(Member).where(Member.household_id == case.household_id).order_by(Member.id))
        .all()
    )
    return next((m for m in members if m.relation == "户主"), members[0] if members else None)


def _case_context(case_id: int) -> dict[str, object]:
    case = load_case(db.session(), current_actor(), case_id)
    wf = registry().workflow(case.workflow_key)
    township = case.org_unit
    while township.level == "village" and township.parent is not None:
        township = township.parent
    return {
        "case": case,
        "wf": wf,
        "head": _head(case),
        "household": case.household,
        "township": township,
        "today": to_local(db.now()).date(),
    }


@bp.get("/cases/<int:case_id>/acceptance")
@roles_required(CASEWORK_ROLES)
def acceptance(case_id: int) -> ResponseReturnValue:
    """受理通知书."""
    ctx = _case_context(case_id)
    case = ctx["case"]
    assert isinstance(case, Case)
    opened = _events(case, ("open",))
    payload = opened[0].payload if opened else {}
    return render_template("print/acceptance.html", open_payload=payload, **ctx)


@bp.get("/cases/<int:case_id>/missing-materials")
@roles_required(CASEWORK_ROLES)
def missing_materials(case_id: int) -> ResponseReturnValue:
    """一次性告知书: every missing item of the latest request, listed at once."""
    ctx = _case_context(case_id)
    case = ctx["case"]
    assert isinstance(case, Case)
    requests = _events(case, ("request_materials",))
    items: list[str] = []
    requested_at = None
    if requests:
        items = list(requests[-1].payload.get("missing_items", []))
        requested_at = requests[-1].at
    else:
        opened = _events(case, ("open",))
        items = list(opened[0].payload.get("materials_missing", [])) if opened else []
        requested_at = opened[0].at if opened else None
    return render_template("print/missing.html", items=items, requested_at=requested_at, **ctx)


def _payment_start(day: date) -> str:
    # 低保 is paid from the month after approval (DOMAIN.md).
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year}年{month}月"


@bp.get("/cases/<int:case_id>/decision")
@roles_required(CASEWORK_ROLES)
def decision(case_id: int) -> ResponseReturnValue:
    """Decision or refusal notice, with reasons and appeal rights (行政复议 / 行政诉讼)."""
    ctx = _case_context(case_id)
    case = ctx["case"]
    assert isinstance(case, Case)
    found = _events(case, tuple(DECISIONS))
    event = found[-1] if found else None
    kind = DECISIONS[event.trigger] if event else None
    pay_from = _payment_start(to_local(event.at).date()) if event and kind == "approval" else ""
    return render_template("print/decision.html", event=event, kind=kind, pay_from=pay_from, **ctx)


@bp.get("/publicity")
@roles_required(CASEWORK_ROLES)
def publicity_index() -> ResponseReturnValue:
    """Choose the village or township whose publicity list to print."""
    actor = current_actor()
    units = (
        db.session()
        .scalars(
            select(OrgUnit)
            .where(OrgUnit.path.startswith(actor.org_path, autoescape=True))
            .order_by(OrgUnit.path)
        )
        .all()
    )
    return render_template("print/publicity_index.html", units=units)


@bp.get("/publicity/<org_code>")
@roles_required(CASEWORK_ROLES)
def publicity(org_code: str) -> ResponseReturnValue:
    """公示名单: households under publicity in a unit; ID numbers masked."""
    session, actor = db.session(), current_actor()
    unit = session.scalar(
        select(OrgUnit).where(
            OrgUnit.code == org_code[:20],
            OrgUnit.path.startswith(actor.org_path, autoescape=True),
        )
    )
    if unit is None:
        raise CaseNotFound("单位不存在或不在您的管辖范围内")
    cases = session.scalars(
        select(Case)
        .join(Household, Case.household_id == Household.id)
        .where(
            Case.state.in_(PUBLICITY_STATES),
            Case.org_path.startswith(unit.path, autoescape=True),
            Case.org_path.startswith(actor.org_path, autoescape=True),
        )
        .order_by(Case.case_type, Case.case_no)
    ).all()
    rows = []
    for case in cases:
        members = case.household.members if case.household is not None else []
        head = next((m for m in members if m.relation == "户主"), members[0] if members else None)
        assessment = session.scalar(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.id.desc())
            .limit(1)
        )
        rows.append((case, head, len(members), assessment))
    return render_template(
        "print/publicity.html", unit=unit, rows=rows, today=to_local(db.now()).date()
    )
