"""Actions from a comparison row, all audited and limited to the actor's jurisdiction:
invite an application (C3: recorded, never an enrolment), refer to the poverty office (C5: a
referral case through the engine), start a removal (C8: a removal case through the engine),
reconcile members (C7/C2: recorded), or no action with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import DISTRICT
from caseflow.db.models import ComparisonResult, OrgUnit
from caseflow.engine.audit import append_admin_event
from caseflow.engine.fire import fire, open_case
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware
from caseflow.ledger.classify import CATEGORIES, CATEGORY_LABELS
from caseflow.ledger.register import LedgerActionError, ensure_household
from caseflow.workflow.registry import registry

INVITED = "invited"
REFERRED = "referred"
REMOVAL_STARTED = "removal_started"
RECONCILED = "reconciled"
NO_ACTION = "no_action"
ACTION_LABELS: dict[str, str] = {
    "none": "未处理",
    INVITED: "已告知可申请低保",
    REFERRED: "已转介扶贫办（乡村振兴局）",
    REMOVAL_STARTED: "已启动停保清退",
    RECONCILED: "已核对家庭成员",
    NO_ACTION: "不作处理",
}
ALLOWED: dict[str, frozenset[str]] = {
    INVITED: frozenset({"C3"}),
    REFERRED: frozenset({"C5"}),
    REMOVAL_STARTED: frozenset({"C8"}),
    RECONCILED: frozenset({"C7", "C2"}),
    NO_ACTION: frozenset(CATEGORIES),
}
# Who may record an invitation, a reconciliation or "no action" (cases check their own roles).
RECORD_ROLES = frozenset(
    {
        Role.CLERK,
        Role.INVESTIGATOR,
        Role.TOWNSHIP_REVIEWER,
        Role.TOWNSHIP_LEADER,
        Role.POVERTY_LIAISON,
        Role.SUPERVISOR,
    }
)
POVERTY_OFFICE = "扶贫办（乡村振兴局）"
_WORKFLOW = {REFERRED: "referral", REMOVAL_STARTED: "removal"}


def scope_path(session: Session, result: ComparisonResult) -> str:
    """The org path an actor must cover: the household's township (the district when unknown)."""
    code = result.township_code or DISTRICT[0]
    path = session.scalar(select(OrgUnit.path).where(OrgUnit.code == code))
    return path or f"/{DISTRICT[0]}/"


def _load(session: Session, result_id: int, actor: Actor) -> ComparisonResult:
    result = session.get(ComparisonResult, result_id)
    if result is None or not actor.may_see(scope_path(session, result)):
        raise CaseNotFound("比对结果不存在或不在您的管辖范围内")
    return result


NOT_ASSISTED = "该户不在低保/特困名单中，没有可停保的待遇：请选择“不作处理”并写明已告知相关部门"


def _assisted(result: ComparisonResult) -> bool:
    """A removal stops assistance: a C8 household found on the registry only has none."""
    return bool((result.evidence or {}).get("assistance"))


def _check(result: ComparisonResult, action: str, actor: Actor, reason: str) -> None:
    if action not in ALLOWED:
        raise LedgerActionError(f"未知的处理方式：{action}")
    if result.category not in ALLOWED[action]:
        label = CATEGORY_LABELS[result.category]
        raise LedgerActionError(f"「{label}」（{result.category}）不能{ACTION_LABELS[action]}")
    if action == REMOVAL_STARTED and not _assisted(result):
        raise LedgerActionError(NOT_ASSISTED)
    if result.action != "none":
        raise LedgerActionError(f"该户已处理：{ACTION_LABELS.get(result.action, result.action)}")
    if action == NO_ACTION and not reason.strip():
        raise LedgerActionError("不作处理须填写理由")
    if action in _WORKFLOW:
        roles = registry().workflow(_WORKFLOW[action]).open_roles
    else:
        roles = RECORD_ROLES
    if not actor.roles & set(roles):
        raise PermissionDenied(f"您的角色无权「{ACTION_LABELS[action]}」")


def take_action(
    session: Session,
    result_id: int,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "",
) -> ComparisonResult:
    """Take one action on a comparison row; cases go through the engine (open_case, fire).

    One unit of work: the household registered from the roster, the case opened, the row's
    action recorded and the referral sent commit together or not at all, so a refused step (or
    a colleague acting on the row first) leaves no half-done action behind."""
    require_aware(now, "now")
    with UnitOfWork(session) as uow:
        result = _load(session, result_id, actor)
        _check(result, action, actor, reason)
        case_id: int | None = None
        if action in _WORKFLOW:
            household_id = ensure_household(session, result, actor, now)
            summary = f"台账比对{result.category}：" + "；".join(result.evidence.get("reasons", []))
            case = open_case(
                session,
                _WORKFLOW[action],
                household_id,
                actor,
                now,
                summary=summary[:300],
                payload={"ledger_result_id": result.id, "ledger_run_id": result.run_id},
            )
            case_id = case.id
        _record(session, result, action, actor, now, reason, case_id)
        if action == REFERRED and case_id is not None:
            need = reason.strip() or "台账比对发现该低保/特困家庭符合建档立卡标准，建议纳入"
            fire(
                session,
                case_id,
                "send_referral",
                actor,
                now,
                {"department": POVERTY_OFFICE, "need": need},
            )
        uow.commit()
    session.refresh(result)
    return result


def _record(
    session: Session,
    result: ComparisonResult,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str,
    case_id: int | None,
) -> None:
    written = session.execute(
        update(ComparisonResult)
        .where(ComparisonResult.id == result.id, ComparisonResult.action == "none")
        .values(
            action=action,
            action_reason=reason.strip(),
            action_by_id=actor.user_id,
            action_at=now,
            action_case_id=case_id,
        )
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise LedgerActionError("该户刚被他人处理，请刷新后查看")
    append_admin_event(
        session,
        actor_id=actor.user_id,
        action=f"ledger.{action}",
        subject=f"result:{result.id}",
        payload={
            "run_id": result.run_id,
            "household_key": result.household_key,
            "category": result.category,
            "reason": reason.strip(),
            "case_id": case_id,
        },
        at=now,
    )


def available_actions(result: ComparisonResult, actor: Actor) -> list[str]:
    """The actions `take_action` would accept from this actor on this row now (buttons shown)."""
    if result.action != "none":
        return []
    found: list[str] = []
    for action, categories in ALLOWED.items():
        if result.category not in categories:
            continue
        if action == REMOVAL_STARTED and not _assisted(result):
            continue
        roles = registry().workflow(_WORKFLOW[action]).open_roles if action in _WORKFLOW else None
        if actor.roles & set(roles if roles is not None else RECORD_ROLES):
            found.append(action)
    return found
