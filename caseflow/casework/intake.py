"""One-window intake (一门受理): duplicate checks and starting any case type from one place.

The checks are pure queries; `start_case` enforces them at submit time (the form shows the same
findings before submit), opens the case through `engine.open_case` and, where the workflow has
them, fires the follow-up actions (救急难 route, 一次性告知) through `engine.fire` — the opening
and its follow-up in one unit of work, so they are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from caseflow.casework.households import has_relative_declaration, household_in_scope
from caseflow.casework.materials import Material, checklist, labels_for, missing_items
from caseflow.db.models import Case, Member, User
from caseflow.engine.fire import CaseFlags, fire, open_case
from caseflow.engine.payload import validate_payload
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import (
    CaseflowError,
    ConcurrencyConflict,
    DefinitionError,
    PayloadInvalid,
    PermissionDenied,
)
from caseflow.kernel.roles import Role
from caseflow.workflow.model import WorkflowDef
from caseflow.workflow.registry import Registry, registry

# Final states in which a household still receives the benefit ("在保" / "供养中").
IN_SUPPORT_STATES: dict[str, frozenset[str]] = {
    "dibao": frozenset({"approved"}),
    "tekun": frozenset({"approved"}),
}
# 低保 and 特困 exclude each other; temporary assistance stacks with either.
EXCLUSIVE: dict[str, str] = {"dibao": "tekun", "tekun": "dibao"}
# Several referrals to different departments may well run at once for one household.
NO_SAME_TYPE_CHECK = frozenset({"referral"})
CASE_TYPE_LABELS = {
    "dibao": "低保",
    "tekun": "特困供养",
    "temporary": "临时救助",
    "removal": "停保清退",
    "review": "定期复核",
    "referral": "转介",
}
MIN_OVERRIDE_REASON = 4
OPEN_ATTEMPTS = 3  # a case number taken by another desk at the same moment: try the next


class DuplicateFound(CaseflowError):
    """Intake refused: duplicate checks failed and no supervisor override was given."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(
            "重复申请检查未通过：" + "；".join(f.message_zh for f in findings),
            f"duplicate findings: {[f.code for f in findings]}",
        )


@dataclass(frozen=True)
class Finding:
    code: str  # same_type_open | member_in_other_dibao | dibao_tekun_exclusive
    message_zh: str


@dataclass(frozen=True)
class Override:
    """A supervisor's go-ahead despite findings (the caller checked who it is)."""

    supervisor_id: int
    reason: str


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
    override: Override | None = None


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    missing: list[Material] = field(default_factory=list)
    notice_fired: bool = False


def _active(case_type: str) -> Any:
    """SQL condition: a case of this type still running, or final in an in-support state."""
    return and_(
        Case.case_type == case_type,
        or_(Case.is_final.is_(False), Case.state.in_(IN_SUPPORT_STATES.get(case_type, ()))),
    )


def _where(actor: Actor, case: Case) -> str:
    # A case outside the actor's jurisdiction is named only vaguely: no numbers leak.
    return f"案件 {case.case_no}" if actor.may_see(case.org_path) else "其他乡镇的案件"


def _cases_of_people(
    session: Session, id_numbers: Iterable[str], case_type: str, exclude_household: int | None
) -> list[tuple[Case, str]]:
    other = aliased(Member)
    stmt = (
        select(Case, other.name)
        .join(other, other.household_id == Case.household_id)
        .where(other.id_number.in_(list(id_numbers)), other.left_on.is_(None), _active(case_type))
        .order_by(Case.id)
    )
    if exclude_household is not None:
        stmt = stmt.where(Case.household_id != exclude_household)
    return [(row[0], row[1]) for row in session.execute(stmt)]


def duplicate_findings(
    session: Session, actor: Actor, household_id: int, case_type: str
) -> list[Finding]:
    """Every reason the new case would duplicate another (empty when intake may go ahead)."""
    household = household_in_scope(session, actor, household_id)
    label = CASE_TYPE_LABELS.get(case_type, case_type)
    findings: list[Finding] = []
    if case_type not in NO_SAME_TYPE_CHECK:
        open_same = session.scalars(
            select(Case).where(
                Case.household_id == household.id,
                Case.case_type == case_type,
                Case.is_final.is_(False),
            )
        ).first()
        if open_same is not None:
            findings.append(
                Finding("same_type_open", f"该家庭已有在办的{label}案件（{open_same.case_no}）")
            )
    ids = [m.id_number for m in household.members]
    if case_type == "dibao" and ids:
        for case, name in _cases_of_people(session, ids, "dibao", household.id):
            findings.append(
                Finding(
                    "member_in_other_dibao",
                    f"成员{name}已在其他家庭的在保或在办低保中（{_where(actor, case)}）",
                )
            )
    if case_type in EXCLUSIVE and ids:
        other_type = EXCLUSIVE[case_type]
        for case, name in _cases_of_people(session, ids, other_type, None):
            findings.append(
                Finding(
                    "dibao_tekun_exclusive",
                    f"成员{name}已在{CASE_TYPE_LABELS[other_type]}中（{_where(actor, case)}），"
                    "低保与特困供养不能同时享受",
                )
            )
    return findings


def openable_workflows(actor: Actor, reg: Registry | None = None) -> list[WorkflowDef]:
    """Workflows the actor may start at the desk (the system-only review is left out)."""
    reg = reg or registry()
    return [
        wf
        for wf in reg.workflows.values()
        if wf.open_roles & actor.roles and wf.open_roles - {Role.SYSTEM} and wf.household_bound
    ]


def _check_override(
    session: Session, override: Override, household_org_path: str
) -> dict[str, Any]:
    supervisor = session.get(User, override.supervisor_id)
    if (
        supervisor is None
        or not supervisor.active
        or Role.SUPERVISOR not in supervisor.role_names
        or not household_org_path.startswith(supervisor.org_unit.path)
    ):
        raise PermissionDenied("只有本辖区的督查人员可以批准跳过重复申请检查")
    reason = override.reason.strip()
    if len(reason) < MIN_OVERRIDE_REASON:
        raise PayloadInvalid(
            {"override_reason": f"请填写跳过检查的理由（至少 {MIN_OVERRIDE_REASON} 个字）"}
        )
    return {
        "supervisor_id": supervisor.id,
        "supervisor": supervisor.display_name,
        "reason": reason[:500],
    }


def _validate(req: IntakeRequest, wf: WorkflowDef) -> dict[str, Any] | None:
    errors: dict[str, str] = {}
    known = {m.key for m in checklist(wf.case_type)}
    if set(req.supplied) - known:
        errors["supplied"] = "所选材料不在本类案件的清单中"
    if len(req.summary) > 300:
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
    """Check, open and route a new case; raises DuplicateFound, PayloadInvalid, PermissionDenied."""
    reg = reg or registry()
    try:
        wf = reg.by_case_type(req.case_type)
    except DefinitionError:
        raise PayloadInvalid({"case_type": "请选择案件类型"}) from None
    if not wf.open_roles & actor.roles:
        raise PermissionDenied(f"您的角色无权受理「{wf.label}」")
    emergency = _validate(req, wf)
    household = household_in_scope(session, actor, req.household_id)
    findings = duplicate_findings(session, actor, household.id, wf.case_type)
    extra: dict[str, Any] = {
        "materials_supplied": labels_for(wf.case_type, req.supplied),
    }
    missing = missing_items(wf.case_type, req.supplied)
    if missing:
        extra["materials_missing"] = [m.label for m in missing]
    if findings:
        if req.override is None:
            raise DuplicateFound(findings)
        extra["duplicate_override"] = {
            **_check_override(session, req.override, household.org_path),
            "findings": [f.message_zh for f in findings],
        }
    relative = has_relative_declaration(session, household.id)
    if relative:
        extra["staff_relative_declared"] = True
    flags = CaseFlags(req.illness, req.disability, req.sudden, staff_relative=relative)
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return _open_and_route(
                session, actor, wf, household.id, flags, req, extra, emergency, missing, now, reg
            )
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
