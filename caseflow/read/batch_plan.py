"""The batch planner: for one chosen sign-off, the cases it applies to now, each with its values.

A batch never carries one amount, class or person count for every case. The approver picks one
action; the planner lists the open cases in that action's states inside the actor's jurisdiction,
works out each case's own values from its own assessment (低保: the covered members and the class
the means test gave, the amount the rules compute for them; 特困: the care level of the self-care
assessment and its amount), and dry-runs the engine (`engine.fire.refusal`) with exactly those
values, so the list shows only cases `fire` would accept. Firing later passes the same values,
recomputed at that moment and checked against what the approver confirmed.

Only sign-offs that make sense in a batch are offered (BATCH_ACTIONS): no roll actions, nothing
that needs a per-case text (reasons, places, dates) typed by a person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow.casework.assessments import latest_assessment
from caseflow.casework.intake import CASE_TYPE_LABELS
from caseflow.db.models import Case, CaseEvent
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import refusal
from caseflow.kernel.actors import Actor
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.payments.grants import (
    CARE_LEVEL_CHOICES,
    Computed,
    assessed_cover,
    compute_dibao,
    compute_tekun,
    review_adjustments,
)
from caseflow.policy.config import PolicyError
from caseflow.workflow.registry import registry

MAX_PLAN = 200  # cases listed (and fired) at most in one batch

CARE_LEVEL_LABELS = {code: label for label, code in CARE_LEVEL_CHOICES.items()}


@dataclass(frozen=True)
class CaseValues:
    """What one case would be fired with, and what the approver is shown to confirm."""

    payload: dict[str, Any]
    amount_fen: int | None = None
    household_size: int | None = None
    covered_names: tuple[str, ...] = ()
    aid_class: str = ""
    care_level: str = ""
    explain: str = ""
    previous_fen: int | None = None  # an adjustment: the monthly amount in force before it

    @property
    def covered_count(self) -> int:
        """Persons covered by the decision (named members, never a typed count)."""
        return len(self.covered_names)


ValuesFn = Callable[[Session, Case, datetime], CaseValues]


@dataclass(frozen=True)
class BatchAction:
    """A sign-off offered in batch: `key` is "<workflow>:<trigger>"."""

    key: str
    workflow_key: str
    trigger: str
    label: str
    roles: frozenset[str]
    values: ValuesFn
    shows_amount: bool = False


@dataclass(frozen=True)
class PlanRow:
    case_id: int
    case_no: str
    version: int
    head_name: str
    values: CaseValues


@dataclass(frozen=True)
class Plan:
    """The cases the action applies to now (`rows`) and how many others were left out, why."""

    action: BatchAction
    rows: list[PlanRow]
    held: dict[str, int] = field(default_factory=dict)  # reason → number of cases

    @property
    def held_total(self) -> int:
        return sum(self.held.values())


class ValuesUnavailable(Exception):
    """A case's own values cannot be computed (no assessment, no policy): it is held back."""


# --- each action's own values ---------------------------------------------------------------


def _no_values(_session: Session, _case: Case, _now: datetime) -> CaseValues:
    return CaseValues(payload={})


def _dibao_approval(session: Session, case: Case, now: datetime) -> CaseValues:
    """低保 审核确认: the members and class the case's own means test gave, its computed amount.
    A 单人保 household (57号 第八条) covers the one member the assessment named."""
    row = latest_assessment(session, case, "means_test")
    if row is None or not row.aid_class:
        raise ValuesUnavailable("本案没有家庭经济状况核对结果")
    members = {m.id: m for m in case.household.members} if case.household else {}
    covered = assessed_cover(session, case)
    try:
        computed = compute_dibao(session, case, covered, row.aid_class, to_local(now).date())
    except PolicyError as exc:
        raise ValuesUnavailable(str(exc)) from None
    return _shown(
        computed,
        {"covered_members": computed.covered_ids, "aid_class": row.aid_class},
        len(members),
        tuple(members[i].name for i in computed.covered_ids),
    )


def _tekun_approval(session: Session, case: Case, now: datetime) -> CaseValues:
    """特困 审核确认: the care level of the case's own self-care assessment, its amount."""
    try:
        computed = compute_tekun(session, case, to_local(now).date())
    except PolicyError as exc:
        raise ValuesUnavailable(str(exc)) from None
    label = CARE_LEVEL_LABELS.get(computed.care_level or "", "")
    members = {m.id: m for m in case.household.members} if case.household else {}
    names = tuple(members[i].name for i in computed.covered_ids if i in members)
    return _shown(computed, {"care_level": label}, len(members), names)


def _shown(
    computed: Computed, payload: dict[str, Any], size: int, names: tuple[str, ...]
) -> CaseValues:
    return CaseValues(
        payload=payload,
        amount_fen=computed.amount_fen,
        household_size=size,
        covered_names=names,
        aid_class=computed.aid_class or "",
        care_level=CARE_LEVEL_LABELS.get(computed.care_level or "", ""),
        explain=computed.explain,
    )


def _review_adjustment(session: Session, case: Case, now: datetime) -> CaseValues:
    """复核 确认调整: for each programme the household is paid, the class, covered members or
    care level proposed and the amount the rules give for them from the review's own
    assessment, beside the amount in force (the same computation the decision's effect uses)."""
    try:
        changes = review_adjustments(session, case, to_local(now).date())
    except PolicyError as exc:
        raise ValuesUnavailable(str(exc)) from None
    if not changes:
        raise ValuesUnavailable("本户没有在保的低保、特困待遇可调整")
    members = {m.id: m for m in case.household.members} if case.household else {}
    covered = sorted({i for c in changes for i in c.computed.covered_ids if i in members})
    parts = [c.computed for c in changes]
    return CaseValues(
        payload={},
        amount_fen=sum(p.amount_fen for p in parts),
        household_size=len(members),
        covered_names=tuple(members[i].name for i in covered),
        aid_class=next((p.aid_class for p in parts if p.aid_class), ""),
        care_level=next(
            (CARE_LEVEL_LABELS.get(p.care_level, "") for p in parts if p.care_level), ""
        ),
        explain="\n".join(p.explain for p in parts),
        previous_fen=sum(c.current.amount_fen for c in changes),
    )


def _filed_amount(session: Session, case: Case, _now: datetime) -> CaseValues:
    """备案: the amount the township approved, shown for the district to acknowledge."""
    approved = session.scalar(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case.id, CaseEvent.trigger == "township_approve")
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    amount = int((approved or {}).get("amount_fen") or 0)
    goods = int((approved or {}).get("in_kind_value_fen") or 0)
    return CaseValues(payload={}, amount_fen=amount + goods)


_SIGN_OFFS: tuple[tuple[str, str, ValuesFn, bool], ...] = (
    ("dibao", "approve", _dibao_approval, True),
    ("tekun", "approve", _tekun_approval, True),
    ("temporary", "acknowledge_filing", _filed_amount, True),
    ("dibao", "start_investigation", _no_values, False),
    ("tekun", "start_investigation", _no_values, False),
    ("temporary", "start_investigation", _no_values, False),
    ("review", "start_review", _no_values, False),
    ("review", "conclude_unchanged", _no_values, False),
    ("review", "approve_adjustment", _review_adjustment, True),
)


def batch_actions(actor: Actor) -> list[BatchAction]:
    """The sign-offs the actor's roles may give in batch (declared in _SIGN_OFFS)."""
    reg = registry()
    found: list[BatchAction] = []
    for wf_key, trigger, values, money in _SIGN_OFFS:
        wf = reg.workflows.get(wf_key)
        t = next((t for t in wf.transitions if t.trigger == trigger), None) if wf else None
        if wf is None or t is None or not (t.roles & actor.roles):
            continue
        label = f"{CASE_TYPE_LABELS.get(wf.case_type, wf.label)} · {t.label}"
        found.append(
            BatchAction(f"{wf_key}:{trigger}", wf_key, trigger, label, t.roles, values, money)
        )
    return found


def find_action(actor: Actor, key: str) -> BatchAction | None:
    """The batch action with this key, if the actor may use it."""
    return next((a for a in batch_actions(actor) if a.key == key), None)


# --- the plan --------------------------------------------------------------------------------


def _candidates(
    session: Session, actor: Actor, action: BatchAction, ids: Iterable[int] | None
) -> list[Case]:
    wf = registry().workflow(action.workflow_key)
    states = sorted({s for t in wf.transitions if t.trigger == action.trigger for s in t.sources})
    stmt = (
        select(Case)
        .options(selectinload(Case.household))
        .where(
            Case.workflow_key == action.workflow_key,
            Case.state.in_(states),
            in_jurisdiction(Case.org_path, actor),
        )
    )
    if ids is not None:
        stmt = stmt.where(Case.id.in_(list(ids)[:MAX_PLAN]))
    else:  # acknowledge_filing is from a final state; every other sign-off is from open ones
        stmt = stmt.where(Case.is_final.is_(action.trigger == "acknowledge_filing"))
    return list(session.scalars(stmt.order_by(Case.due_at.asc(), Case.id).limit(MAX_PLAN)))


def _judge(
    session: Session, actor: Actor, action: BatchAction, case: Case, now: datetime
) -> tuple[CaseValues | None, str | None]:
    if case.assignee_id is not None and case.assignee_id != actor.user_id:
        return None, "已由他人认领"
    try:
        values = action.values(session, case, now)
    except ValuesUnavailable as exc:
        return None, str(exc)
    reason = refusal(session, case, action.trigger, actor, now, values.payload)
    return (values, None) if reason is None else (None, reason)


def plan(
    session: Session,
    actor: Actor,
    now: datetime,
    action: BatchAction,
    case_ids: Iterable[int] | None = None,
) -> Plan:
    """Cases `action` applies to now (all of them, or those of `case_ids`), each with its own
    values; the others are counted by reason, not listed."""
    require_aware(now, "now")
    rows: list[PlanRow] = []
    held: dict[str, int] = {}
    for case in _candidates(session, actor, action, case_ids):
        values, reason = _judge(session, actor, action, case, now)
        if values is None:
            key = reason or "不能办理"
            held[key] = held.get(key, 0) + 1
            continue
        head = case.household.head_name if case.household else ""
        rows.append(PlanRow(case.id, case.case_no, case.version, head, values))
    return Plan(action, rows, held)


@dataclass(frozen=True)
class Confirmed:
    """What the approver saw and confirmed for one case: its version and amount."""

    version: int | None
    amount_fen: int | None


def payloads_to_fire(
    current: Plan, confirmed: Mapping[int, Confirmed]
) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """Each confirmed case's values as computed now, or why it is not fired: it no longer
    applies, or its amount changed since the approver confirmed it."""
    by_id = {r.case_id: r for r in current.rows}
    payloads: dict[int, dict[str, Any]] = {}
    refused: dict[int, str] = {}
    for case_id, seen in confirmed.items():
        row = by_id.get(case_id)
        if row is None:
            refused[case_id] = "该案件现在不适用此操作，请刷新列表后重新核对"
        elif current.action.shows_amount and row.values.amount_fen != seen.amount_fen:
            was = "—" if seen.amount_fen is None else format_yuan(seen.amount_fen)
            now = format_yuan(row.values.amount_fen or 0)
            refused[case_id] = f"核定金额已变化（核对时 {was} 元，现为 {now} 元），请重新核对"
        else:
            payloads[case_id] = row.values.payload
    return payloads, refused
