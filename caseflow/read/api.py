"""Read side of the JSON API: households, cases, roster snapshots and comparison results as
plain JSON-ready dicts, every query limited to the actor's jurisdiction in its WHERE clause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import DISTRICT
from caseflow.casework.personal_data import may_view_full
from caseflow.db.models import (
    Case,
    CaseEvent,
    ComparisonResult,
    ComparisonRun,
    Household,
    Member,
    OrgUnit,
    PersonalDataView,
    RosterImport,
    RosterRow,
    User,
)
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import available_transitions
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid
from caseflow.kernel.idnumber import mask_account, mask_id_number
from caseflow.ledger.classify import CATEGORIES
from caseflow.ledger.kinds import KIND_LABELS
from caseflow.workflow.registry import registry

DISTRICT_PATH = f"/{DISTRICT[0]}/"


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _page(session: Session, stmt: Any, page: PageRequest) -> tuple[int, list[Any]]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(page.per_page).offset(page.offset)).all()
    return int(total or 0), list(rows)


def _envelope(total: int, page: PageRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": total, "page": page.page, "per_page": page.per_page, "items": items}


def unit_path(session: Session, code: str) -> str:
    """The org path of a unit code, or PayloadInvalid on the `org` field."""
    path = session.scalar(select(OrgUnit.path).where(OrgUnit.code == code))
    if path is None:
        raise PayloadInvalid({"org": "单位代码不存在"})
    return path


# --- households ------------------------------------------------------------------------------


def households_page(
    session: Session, actor: Actor, page: PageRequest, org: str | None = None
) -> dict[str, Any]:
    """Households of the jurisdiction (optionally under unit `org`), oldest first."""
    members = (
        select(func.count(Member.id))
        .where(Member.household_id == Household.id, Member.left_on.is_(None))
        .correlate(Household)
        .scalar_subquery()
    )
    stmt = (
        select(Household, OrgUnit.code, OrgUnit.name, members)
        .join(OrgUnit, OrgUnit.id == Household.org_unit_id)
        .where(in_jurisdiction(Household.org_path, actor))
        .order_by(Household.id)
    )
    if org:
        stmt = stmt.where(in_jurisdiction(Household.org_path, unit_path(session, org)))
    total, rows = _page(session, stmt, page)
    items = [
        {
            "id": hh.id,
            "head_name": hh.head_name,
            "org_code": code,
            "org_name": name,
            "address": hh.address,
            "member_count": int(count or 0),
            "created_at": _iso(hh.created_at),
        }
        for hh, code, name, count in rows
    ]
    return _envelope(total, page, items)


def household_detail(
    session: Session, actor: Actor, household_id: int, now: datetime, purpose: str
) -> dict[str, Any]:
    """One household with its members: ID numbers and the bank account in full only for roles
    that need them, and then every full view is written to personal_data_views (committed)."""
    hh = session.scalar(
        select(Household).where(
            Household.id == household_id, in_jurisdiction(Household.org_path, actor)
        )
    )
    if hh is None:
        raise CaseNotFound("家庭不存在或不在您的管辖范围内")
    full = may_view_full(actor) and actor.user_id is not None
    members = session.scalars(
        select(Member)
        .where(Member.household_id == hh.id, Member.left_on.is_(None))
        .order_by(Member.id)
    ).all()
    org = session.get_one(OrgUnit, hh.org_unit_id)
    cases = session.execute(
        select(Case.id, Case.case_no, Case.workflow_key, Case.state, Case.is_final)
        .where(Case.household_id == hh.id, in_jurisdiction(Case.org_path, actor))
        .order_by(Case.id)
    ).all()
    body = {
        "id": hh.id,
        "head_name": hh.head_name,
        "org_code": org.code,
        "org_name": org.name,
        "address": hh.address,
        "phone": hh.phone,
        "bank_name": hh.bank_name,
        "bank_account": hh.bank_account if full else mask_account(hh.bank_account),
        "personal_data_full": full,
        "created_at": _iso(hh.created_at),
        "members": [
            {
                "id": m.id,
                "name": m.name,
                "relation": m.relation,
                "sex": m.sex,
                "birth_date": m.birth_date.isoformat(),
                "id_number": m.id_number if full else mask_id_number(m.id_number),
                "labour_capacity": m.labour_capacity,
                "health": m.health,
                "disability_grade": m.disability_grade,
                "is_student": m.is_student,
            }
            for m in members
        ],
        "cases": [
            {
                "id": c.id,
                "case_no": c.case_no,
                "workflow": c.workflow_key,
                "state": c.state,
                "is_final": c.is_final,
            }
            for c in cases
        ],
    }
    if full:
        assert actor.user_id is not None
        views = [
            PersonalDataView(
                user_id=actor.user_id,
                household_id=hh.id,
                member_id=m.id,
                field="id_number",
                purpose=purpose[:100],
                at=now,
            )
            for m in members
        ]
        if hh.bank_account:
            views.append(
                PersonalDataView(
                    user_id=actor.user_id,
                    household_id=hh.id,
                    field="bank_account",
                    purpose=purpose[:100],
                    at=now,
                )
            )
        with UnitOfWork(session) as uow:  # begins by ending the read above
            session.add_all(views)
            uow.commit()
    return body


# --- cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    workflow: str | None = None
    state: str | None = None
    org: str | None = None
    overdue: bool = False


def _case_dict(case: Case, code: str, name: str, now: datetime) -> dict[str, Any]:
    wf = registry().workflows.get(case.workflow_key)
    state = wf.states.get(case.state) if wf else None
    return {
        "id": case.id,
        "case_no": case.case_no,
        "case_type": case.case_type,
        "workflow": case.workflow_key,
        "workflow_label": wf.label if wf else case.workflow_key,
        "ruleset": case.ruleset_key,
        "state": case.state,
        "state_label": state.label if state else case.state,
        "is_final": case.is_final,
        "version": case.version,
        "household_id": case.household_id,
        "org_code": code,
        "org_name": name,
        "opened_at": _iso(case.opened_at),
        "state_entered_at": _iso(case.state_entered_at),
        "closed_at": _iso(case.closed_at),
        "due_at": _iso(case.due_at),
        "overdue": bool(not case.is_final and case.due_at is not None and case.due_at < now),
        "escalation_level": case.escalation_level,
        "summary": case.summary,
        "flags": {
            "illness": case.flag_illness,
            "disability": case.flag_disability,
            "sudden": case.flag_sudden,
            "staff_relative": case.flag_staff_relative,
        },
    }


def check_case_filters(filters: CaseFilters) -> None:
    """Unknown workflow or state → PayloadInvalid naming the field."""
    errors: dict[str, str] = {}
    reg = registry()
    if filters.workflow and filters.workflow not in reg.workflows:
        errors["workflow"] = "没有此业务流程：可选 " + "、".join(sorted(reg.workflows))
    if filters.state:
        pool = (
            [reg.workflows[filters.workflow]]
            if filters.workflow in reg.workflows
            else list(reg.workflows.values())
        )
        if not any(filters.state in wf.states for wf in pool):
            errors["state"] = "没有此状态"
    if errors:
        raise PayloadInvalid(errors)


def cases_page(
    session: Session, actor: Actor, filters: CaseFilters, page: PageRequest, now: datetime
) -> dict[str, Any]:
    """Cases of the jurisdiction, filtered, newest first."""
    check_case_filters(filters)
    stmt = (
        select(Case, OrgUnit.code, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Case.org_unit_id)
        .where(in_jurisdiction(Case.org_path, actor))
        .order_by(Case.id.desc())
    )
    if filters.workflow:
        stmt = stmt.where(Case.workflow_key == filters.workflow)
    if filters.state:
        stmt = stmt.where(Case.state == filters.state)
    if filters.org:
        stmt = stmt.where(in_jurisdiction(Case.org_path, unit_path(session, filters.org)))
    if filters.overdue:
        stmt = stmt.where(Case.is_final.is_(False), Case.due_at.is_not(None), Case.due_at < now)
    total, rows = _page(session, stmt, page)
    return _envelope(total, page, [_case_dict(c, code, name, now) for c, code, name in rows])


def case_in_scope(session: Session, actor: Actor, case_id: int) -> Case:
    """The case if inside the jurisdiction (in SQL), else CaseNotFound."""
    case = session.scalar(
        select(Case)
        .where(Case.id == case_id, in_jurisdiction(Case.org_path, actor))
        .execution_options(populate_existing=True)
    )
    if case is None:
        raise CaseNotFound()
    return case


def case_detail(session: Session, actor: Actor, case_id: int, now: datetime) -> dict[str, Any]:
    """One case with its audit events, oldest first."""
    case = case_in_scope(session, actor, case_id)
    org = session.get_one(OrgUnit, case.org_unit_id)
    body = _case_dict(case, org.code, org.name, now)
    events = session.execute(
        select(CaseEvent, User.display_name)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.seq)
    ).all()
    body["events"] = [
        {
            "seq": e.seq,
            "trigger": e.trigger,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": name or "系统",
            "actor_role": e.actor_role,
            "at": _iso(e.at),
            "payload": e.payload or {},
        }
        for e, name in events
    ]
    return body


def case_transitions(session: Session, actor: Actor, case_id: int, now: datetime) -> dict[str, Any]:
    """What the actor may do now (the same check as the case page's buttons)."""
    case = case_in_scope(session, actor, case_id)
    found = available_transitions(session, case, actor, now, include_blocked=True)
    return {
        "case_id": case.id,
        "version": case.version,
        "state": case.state,
        "transitions": [
            {
                "trigger": t.trigger,
                "label": t.label,
                "dest": t.dest,
                "blocked_reason": t.blocked_reason,
                "payload": [
                    {
                        "name": f.name,
                        "label": f.label,
                        "type": f.type,
                        "required": f.required,
                        "choices": list(f.choices),
                    }
                    for f in t.transition.payload
                ],
            }
            for t in found
        ],
    }


# --- ledger ----------------------------------------------------------------------------------


def _township_visible(code_column: Any, actor: Actor) -> ColumnElement[bool]:
    # A row whose township was not recognised belongs to the district (as in ledger.actions).
    path = select(OrgUnit.path).where(OrgUnit.code == code_column).scalar_subquery()
    return in_jurisdiction(func.coalesce(path, DISTRICT_PATH), actor)


def rosters_page(session: Session, page: PageRequest, kind: str | None = None) -> dict[str, Any]:
    """Roster imports (file metadata only: no personal data), newest first."""
    if kind is not None and kind not in KIND_LABELS:
        raise PayloadInvalid({"kind": "名单类型不存在：可选 " + "、".join(KIND_LABELS)})
    stmt = select(RosterImport).order_by(RosterImport.id.desc())
    if kind:
        stmt = stmt.where(RosterImport.kind == kind)
    total, rows = _page(session, stmt, page)
    items = [
        {
            "id": r.id,
            "kind": r.kind,
            "kind_label": KIND_LABELS.get(r.kind, r.kind),
            "file_name": r.file_name,
            "sha256": r.sha256,
            "imported_at": _iso(r.imported_at),
            "rows_total": r.rows_total,
            "rows_imported": r.rows_imported,
            "rows_skipped": r.rows_skipped,
            "status": r.status,
        }
        for (r,) in rows
    ]
    return _envelope(total, page, items)


def roster_rows_page(
    session: Session, actor: Actor, import_id: int, page: PageRequest
) -> dict[str, Any]:
    """The rows of one import inside the jurisdiction, in file order; ID numbers masked (a list)."""
    if session.get(RosterImport, import_id) is None:
        raise CaseNotFound("导入批次不存在")
    stmt = (
        select(RosterRow)
        .where(RosterRow.import_id == import_id, _township_visible(RosterRow.township_code, actor))
        .order_by(RosterRow.row_no)
    )
    total, rows = _page(session, stmt, page)
    items = [
        {
            "row_no": r.row_no,
            "household_key": r.household_key,
            "head_name": r.head_name,
            "township": r.township,
            "township_code": r.township_code,
            "village": r.village,
            "id_number": mask_id_number(r.id_number),
            "name": r.name,
            "relation": r.relation,
            "health": r.health,
            "labour_capacity": r.labour_capacity,
            "attribute": r.attribute,
            "main_cause": r.main_cause,
            "income_fen": r.income_fen,
            "aid_class": r.aid_class,
            "household_size": r.household_size,
        }
        for (r,) in rows
    ]
    return _envelope(total, page, items)


def _masked_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    def mask(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: mask(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        if key == "id_number" and isinstance(value, str):
            return mask_id_number(value)
        return value

    masked: dict[str, Any] = mask(evidence)
    return masked


def comparison_results_page(
    session: Session, actor: Actor, run_id: int, page: PageRequest, category: str | None = None
) -> dict[str, Any]:
    """The results of one comparison run inside the jurisdiction; ID numbers in the evidence
    masked, as in the Excel export."""
    if category is not None and category not in CATEGORIES:
        raise PayloadInvalid({"category": "类别应为 C1–C8"})
    if session.get(ComparisonRun, run_id) is None:
        raise CaseNotFound("比对批次不存在")
    stmt = (
        select(ComparisonResult)
        .where(
            ComparisonResult.run_id == run_id,
            _township_visible(ComparisonResult.township_code, actor),
        )
        .order_by(ComparisonResult.township_code, ComparisonResult.village, ComparisonResult.id)
    )
    if category:
        stmt = stmt.where(ComparisonResult.category == category)
    total, rows = _page(session, stmt, page)
    items = [
        {
            "id": r.id,
            "household_key": r.household_key,
            "category": r.category,
            "needs_decision": r.needs_decision,
            "head_name": r.head_name,
            "township_code": r.township_code,
            "village": r.village,
            "household_id": r.household_id,
            "action": r.action,
            "action_reason": r.action_reason,
            "action_at": _iso(r.action_at),
            "action_case_id": r.action_case_id,
            "evidence": _masked_evidence(r.evidence or {}),
        }
        for (r,) in rows
    ]
    return _envelope(total, page, items)
