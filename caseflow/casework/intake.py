"""One-window intake (一门受理): duplicate checks and starting any case type from one place.

The checks are pure queries; `start_case` enforces them at submit time (the form shows the same
findings before submit), opens the case through `engine.open_case` and, where the workflow has
them, fires the follow-up actions (救急难 route, 一次性告知) through `engine.fire` — the opening
and its follow-up in one unit of work, so they are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from caseflow.casework.duplicates import (
    CASE_TYPE_LABELS,
    DuplicateFound,
    Finding,
    duplicate_findings,
)
from caseflow.casework.households import has_relative_declaration, household_in_scope
from caseflow.casework.materials import (
    Material,
    checklist,
    labels_for,
    missing_items,
    written_request,
)
from caseflow.casework.overrides import Grant, usable_grant
from caseflow.casework.priority import priority_from_facts
from caseflow.db.models import Case
from caseflow.engine.fire import CaseFlags, fire, open_case
from caseflow.engine.payload import validate_payload
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import (
    ConcurrencyConflict,
    DefinitionError,
    PayloadInvalid,
    PermissionDenied,
)
from caseflow.kernel.roles import Role
from caseflow.workflow.model import WorkflowDef
from caseflow.workflow.registry import Registry, registry

__all__ = [
    "CASE_TYPE_LABELS",
    "DuplicateFound",
    "Finding",
    "IntakeRequest",
    "IntakeResult",
    "duplicate_findings",
    "openable_workflows",
    "start_case",
]

# Case types opened by their own service (caseflow.casework.orphans), never by the generic form.
OWN_INTAKE = frozenset({"orphan"})
OPEN_ATTEMPTS = 3  # a case number taken by another desk at the same moment: try the next
WRITTEN_REQUEST_BASIS = {"dibao": "民发〔2021〕57号 第四条", "tekun": "民发〔2021〕43号 第十条"}


@dataclass(frozen=True)
class IntakeRequest:
    household_id: int
    case_type: str
    supplied: tuple[str, ...] = ()
    illness: bool = False
    disability: bool = False
    sudden: bool = False
    summary: str = ""
    emergency: Mapping[str, Any] | None = None  # declare_emergency payload (临时救助 only)


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    missing: list[Material] = field(default_factory=list)
    notice_fired: bool = False
    grant: Grant | None = None


def openable_workflows(actor: Actor, reg: Registry | None = None) -> list[WorkflowDef]:
    """Workflows the actor may start at the desk (the system-only review is left out)."""
    reg = reg or registry()
    return [
        wf
        for wf in reg.workflows.values()
        if wf.open_roles & actor.roles and wf.open_roles - {Role.SYSTEM} and wf.household_bound
    ]


def _written_request_missing(req: IntakeRequest, case_type: str) -> str | None:
    """Why the case cannot be opened without its written application (None when it has one,
    needs none, or takes the emergency route: help first, paperwork later)."""
    item = written_request(case_type)
    if item is None or item.key in req.supplied or req.emergency is not None:
        return None
    basis = WRITTEN_REQUEST_BASIS.get(case_type, "")
    cited = f"（{basis}：提出书面申请）" if basis else ""
    return f"未收到「{item.label}」，不能受理{cited}；其他缺少的材料受理后一次性告知"


def _validate(req: IntakeRequest, wf: WorkflowDef) -> dict[str, Any] | None:
    """Every field's problem at once, in Chinese; nothing is opened while any is wrong."""
    errors: dict[str, str] = {}
    known = {m.key for m in checklist(wf.case_type)}
    if set(req.supplied) - known:
        errors["supplied"] = "所选材料不在本类案件的清单中"
    elif (missing := _written_request_missing(req, wf.case_type)) is not None:
        errors["supplied"] = missing
    if not req.summary.strip() and req.emergency is None:  # the emergency says what happened
        errors["summary"] = "请填写申请事由"
    elif len(req.summary) > 300:
        errors["summary"] = "申请事由不能超过 300 个字"
    emergency: dict[str, Any] | None = None
    if req.emergency is not None:
        t = wf.transition_for(wf.initial.name, "declare_emergency")
        if t is None:
            errors["emergency"] = "本类案件没有救急难程序"
        else:
            try:
                emergency = validate_payload(t.payload, req.emergency)
            except PayloadInvalid as exc:
                errors.update(exc.fields)
    if errors:
        raise PayloadInvalid(errors)
    return emergency


def start_case(
    session: Session, actor: Actor, req: IntakeRequest, now: datetime, reg: Registry | None = None
) -> IntakeResult:
    """Check, open and route a new case; raises DuplicateFound, PayloadInvalid, PermissionDenied.
    Past a duplicate finding only with a reviewer's or leader's lawful-reason grant (used once)."""
    reg = reg or registry()
    try:
        wf = reg.by_case_type(req.case_type)
    except DefinitionError:
        raise PayloadInvalid({"case_type": "请选择案件类型"}) from None
    if not wf.open_roles & actor.roles:
        raise PermissionDenied(f"您的角色无权受理「{wf.label}」")
    if wf.case_type in OWN_INTAKE:  # the child, guardian and parents are needed from the start
        raise PayloadInvalid({"case_type": f"「{wf.label}」须使用专门的受理表"})
    emergency = _validate(req, wf)
    household = household_in_scope(session, actor, req.household_id)
    findings = duplicate_findings(session, actor, household.id, wf.case_type)
    extra: dict[str, Any] = {
        "materials_supplied": labels_for(wf.case_type, req.supplied),
    }
    missing = missing_items(wf.case_type, req.supplied)
    if missing:
        extra["materials_missing"] = [m.label for m in missing]
    grant = None
    if findings:
        grant = usable_grant(session, household.id, wf.case_type, findings, now)
        if grant is None:
            raise DuplicateFound(findings)
        if grant.granted_by_id == actor.user_id:
            raise PermissionDenied("授权受理的人员不能同时办理受理，请由窗口工作人员受理")
        extra["duplicate_override"] = grant.as_payload(findings)
    relative = has_relative_declaration(session, household.id)
    if relative:
        extra["staff_relative_declared"] = True
    facts = priority_from_facts(household)
    if facts.reasons:
        extra["priority_from_facts"] = facts.reasons
    illness, disability = req.illness or facts.illness, req.disability or facts.disability
    flags = CaseFlags(illness, disability, req.sudden, staff_relative=relative)
    for attempt in range(OPEN_ATTEMPTS):
        try:
            result = _open_and_route(
                session, actor, wf, household.id, flags, req, extra, emergency, missing, now, reg
            )
            return IntakeResult(result.case, result.missing, result.notice_fired, grant)
        except ConcurrencyConflict:
            # Two desks numbered a case at the same moment: the whole intake rolled back, and
            # the next attempt takes the next number (as open_case does on its own).
            if attempt == OPEN_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _open_and_route(
    session: Session,
    actor: Actor,
    wf: WorkflowDef,
    household_id: int,
    flags: CaseFlags,
    req: IntakeRequest,
    extra: dict[str, Any],
    emergency: dict[str, Any] | None,
    missing: list[Material],
    now: datetime,
    reg: Registry,
) -> IntakeResult:
    """Open the case and fire its follow-up action in ONE unit of work: a case is never left
    without the one-time notice (or the 救急难 route) it was opened with, nor a notice without
    its case. open_case and fire join this unit; it ends the duplicate checks' read first."""
    with UnitOfWork(session) as uow:
        case = open_case(
            session,
            wf.key,
            household_id,
            actor,
            now,
            flags=flags,
            summary=req.summary.strip(),
            payload=extra,
            reg=reg,
        )
        notice = False
        if emergency is not None:
            fire(session, case.id, "declare_emergency", actor, now, emergency, reg=reg)
        elif missing and wf.transition_for(wf.initial.name, "request_materials") is not None:
            items = [m.label for m in missing]
            payload = {"missing_items": items}
            fire(session, case.id, "request_materials", actor, now, payload, reg=reg)
            notice = True
        uow.commit()
    session.refresh(case)
    return IntakeResult(case, missing, notice)
