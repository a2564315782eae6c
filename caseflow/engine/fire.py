"""The one path for every state change: `fire`. And `available_transitions`, its dry run.

fire(session, case_id, trigger, actor, now, payload)
  1. lock the case row (FOR UPDATE on PostgreSQL, a write lock taken first on SQLite), in SQL
     limited to the actor's jurisdiction
  2. find the declared transition for (state, trigger)   → UnknownTrigger / TransitionNotAllowed
  3. the actor's role may fire it (deny by default)             → PermissionDenied
  4. separation of duties                                       → PermissionDenied
  5. payload fields and named guards                            → PayloadInvalid / GuardFailed
  6. state moves (compare-and-set on version)                   → ConcurrencyConflict
  7. one hash-chained audit event
  8. deadlines closed / opened, effects run
  9. commit — or roll back everything; after commit, the after-commit hooks run
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from caseflow.clock import deadlines
from caseflow.clock.calendar_store import load_calendar
from caseflow.db.engine import is_postgres
from caseflow.db.models import Case, Household, OrgUnit
from caseflow.db.record import CaseRecord, record_from_row, record_of
from caseflow.db.scope import in_jurisdiction
from caseflow.engine import statements
from caseflow.engine.events import event_label
from caseflow.engine.payload import validate_payload
from caseflow.engine.plugins import (
    AFTER_COMMIT_HOOKS,
    CLOCK_EFFECTS,
    EFFECTS,
    GUARDS,
    EffectContext,
    FireResult,
    GuardContext,
)
from caseflow.engine.uow import UnitOfWork, active_unit
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    GuardFailed,
    PayloadInvalid,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTrigger,
)
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.workflow.loader import OPEN_TRIGGER
from caseflow.workflow.machine import next_state
from caseflow.workflow.model import TransitionDef, WorkflowDef
from caseflow.workflow.registry import Registry, registry
from caseflow.workflow.rulesets import RuleSet, select_ruleset

# Role order decides which role an event records when an actor holds several that qualify.
_ROLE_ORDER = [r.value for r in Role]

MAX_ID = 2**63


@dataclass(frozen=True)
class AvailableTransition:
    """An action the actor may take now (`blocked_reason` set when only a guard is in the way)."""

    trigger: str
    label: str
    dest: str | None
    transition: TransitionDef
    blocked_reason: str | None = None


def _acting_role(t: TransitionDef, actor: Actor) -> str:
    for role in _ROLE_ORDER:
        if role in t.roles and role in actor.roles:
            return role
    raise PermissionDenied(f"您的角色无权执行「{t.label}」")


def _check_separation(
    session: Session, case: CaseRecord, wf: WorkflowDef, t: TransitionDef, actor: Actor
) -> None:
    if actor.is_system:
        return
    # The declarations themselves, not the case's intake flag: a near relative declared after
    # the case opened must step aside at once (one EXISTS on the declarations' household index).
    if wf.related_staff_excluded and case.household_id is not None:
        related = statements.RELATED_STAFF.first(
            session, {"s_household": case.household_id, "s_user": actor.user_id}
        )
        if related is not None and related[0]:
            raise PermissionDenied("本案为您的近亲属备案案件，您须回避，不能办理")
    if t.forbid_actors_of:
        done = statements.done_before(tuple(t.forbid_actors_of)).first(
            session, {"s_case": case.id, "s_user": actor.user_id}
        )
        if done is not None:
            raise PermissionDenied(
                f"您已在本案中办理「{event_label(wf, done[0])}」，按职责分离规定不能再「{t.label}」"
            )


def _check_guards(t: TransitionDef, ctx: GuardContext) -> None:
    for name in t.guards:
        g = GUARDS[name]
        if g.needs_payload and ctx.payload is None:
            continue  # judged when the form is submitted
        reason = g.fn(ctx)
        if reason is not None:
            raise GuardFailed(name, reason)


def _lookup(wf: WorkflowDef, state: str, trigger: str) -> TransitionDef:
    if trigger not in wf.triggers:
        raise UnknownTrigger(f"「{wf.label}」没有此操作：{trigger}")
    t = wf.transition_for(state, trigger)
    if t is None:
        raise TransitionNotAllowed(
            f"案件当前处于「{wf.states[state].label}」，不能执行「{wf.label_of(trigger)}」"
        )
    return t


def _lock_case(
    session: Session, case_id: int, actor: Actor
) -> tuple[CaseRecord, tuple[int | None, str | None]]:
    """Read the case for update, inside the actor's jurisdiction (enforced in the WHERE clause),
    with the (seq, hash) of its newest event, where the audit chain continues."""
    if not 0 < case_id < MAX_ID:  # SQLite overflows on larger integers; no such case exists
        raise CaseNotFound()
    params = {"l_id": case_id, "l_scope": statements.scope_pattern(actor.org_path)}
    # PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks: a no-op UPDATE as the first
    # statement takes the database's write lock before the row is read (statements.lock_case).
    found = statements.lock_case(session, is_postgres(session), params)
    if found is None:
        raise CaseNotFound()
    row, newest = found
    return record_from_row(row), newest


def _admit(
    session: Session,
    reg: Registry,
    wf: WorkflowDef,
    case: CaseRecord,
    trigger: str,
    actor: Actor,
    now: datetime,
    payload: Mapping[str, Any] | None,
) -> tuple[TransitionDef, str, dict[str, Any], RuleSet]:
    """Steps 2–5: the declared transition, the acting role, separation of duties, the payload
    and the guards — or the CaseflowError that refuses it. Shared by fire and its dry run."""
    t = _lookup(wf, case.state, trigger)
    role = _acting_role(t, actor)
    _check_separation(session, case, wf, t, actor)
    clean = validate_payload(t.payload, payload)
    ruleset = reg.rulesets[case.ruleset_key]
    _check_guards(t, GuardContext(session, case, actor, now, ruleset, clean))
    return t, role, clean, ruleset


def fire(
    session: Session,
    case_id: int,
    trigger: str,
    actor: Actor,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
    *,
    expected_version: int | None = None,
    reg: Registry | None = None,
) -> FireResult:
    """Move a case by `trigger`, or raise a CaseflowError having changed nothing."""
    require_aware(now, "now")
    reg = reg or registry()
    with UnitOfWork(session) as uow:
        case, newest = _lock_case(session, case_id, actor)
        if expected_version is not None and case.version != expected_version:
            raise ConcurrencyConflict(
                detail=f"case {case_id}: version {case.version} ≠ {expected_version}"
            )
        wf = reg.workflow(case.workflow_key)
        t, role, clean, ruleset = _admit(session, reg, wf, case, trigger, actor, now, payload)
        result = _apply(session, reg, wf, case, t, actor, role, now, clean, ruleset, newest)
        # Each hook is follow-up work of its own: one that fails is logged (and its transaction
        # ended) by the unit of work, and never stops the next.
        for hook in AFTER_COMMIT_HOOKS:
            uow.on_commit(partial(hook, session, result))
        uow.commit()
    return result


def _apply(
    session: Session,
    reg: Registry,
    wf: WorkflowDef,
    case: CaseRecord,
    t: TransitionDef,
    actor: Actor,
    role: str,
    now: datetime,
    payload: dict[str, Any],
    ruleset: RuleSet,
    newest: tuple[int | None, str | None],
) -> FireResult:
    old = case.state
    new = next_state(reg.machines[wf.key], old, t.trigger)
    loaded_version = case.version
    values: dict[str, Any] = {"state": new, "version": loaded_version + 1}
    if new != old:
        values["state_entered_at"] = now
        values["assignee_id"] = None  # a claim lasts for one state
        if wf.states[new].final:
            values.update(is_final=True, closed_at=now)
    event_id = statements.insert_event(
        session,
        case_id=case.id,
        actor_id=actor.user_id,
        actor_role=role,
        trigger=t.trigger,
        from_state=old,
        to_state=new,
        payload=payload,
        at=now,
        newest=newest,
    )
    # Deadline rows change only on a state change or through an effect: an internal event (a
    # signature, a note) needs no calendar and leaves the case's clock as it is.
    cal = load_calendar(session) if new != old or t.effects else None
    if new != old:
        assert cal is not None
        deadlines.on_state_change(session, case, wf, ruleset, cal, old, new, now)
    # Compare-and-set: the write succeeds only on the version we read (we hold the lock, so a
    # mismatch means someone wrote around it). The case's clock is refreshed in the same UPDATE.
    if not statements.compare_and_set(session, case.id, loaded_version, values, new != old):
        raise ConcurrencyConflict(detail=f"case {case.id}: version moved during fire")
    if t.effects:  # effects see the case in its new state, in the database and in the session
        assert cal is not None
        mapped = reload_case(session, case.id)
        for name in t.effects:
            EFFECTS[name](EffectContext(session, mapped, wf, ruleset, cal, actor, now, payload))
        if CLOCK_EFFECTS.intersection(t.effects):
            deadlines.refresh_case_clock(session, case.id)  # flushes the effects' changes first
        else:
            session.flush()  # the case's clock is as the compare-and-set left it
    else:
        _forget_loaded_copy(session, case.id)
    return FireResult(case.id, t.trigger, old, new, loaded_version + 1, event_id, actor, now)


def reload_case(session: Session, case_id: int) -> Case:
    """The mapped Case of a row this transaction has locked (or just committed), read afresh: a
    copy the session already had is refreshed. For effects it is read after the compare-and-set,
    so they see the case in its new state."""
    case = session.get(Case, case_id, populate_existing=True)
    assert case is not None  # locked (or written) within the actor's jurisdiction
    return case


def _forget_loaded_copy(session: Session, case_id: int) -> None:
    """A Case the caller loaded into this session before fire() is now stale: expire it, so
    its next attribute access reads the committed row rather than the pre-transition values."""
    if not session.identity_map:
        return  # the common case on the hot path: nothing loaded, nothing to look up
    loaded = session.identity_map.get(identity_key(Case, case_id))
    if loaded is not None:
        session.expire(loaded)


def available_transitions(
    session: Session,
    case: Case,
    actor: Actor,
    now: datetime,
    *,
    include_blocked: bool = False,
    reg: Registry | None = None,
) -> list[AvailableTransition]:
    """Steps 2–5 of fire, changing nothing: a button shows exactly when fire would accept."""
    reg = reg or registry()
    if not actor.may_see(case.org_path) or case.is_final:
        return []
    wf = reg.workflow(case.workflow_key)
    ruleset = reg.rulesets[case.ruleset_key]
    record = record_of(case)
    ctx = GuardContext(session, record, actor, now, ruleset, None)
    found: list[AvailableTransition] = []
    for t in wf.transitions_from(case.state):
        try:
            _acting_role(t, actor)
            _check_separation(session, record, wf, t, actor)
        except PermissionDenied:
            continue  # roles before guards: no role, no reason shown
        try:
            _check_guards(t, ctx)
        except GuardFailed as exc:
            if include_blocked:
                found.append(AvailableTransition(t.trigger, t.label, t.dest, t, exc.message_zh))
            continue
        found.append(AvailableTransition(t.trigger, t.label, t.dest, t))
    return found


def refusal(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
    *,
    reg: Registry | None = None,
) -> str | None:
    """Why fire would refuse `trigger` with `payload` on `case` now (steps 2–5, the payload's
    own guards included), or None when it would accept; writes nothing. For a batch that lists
    only the cases an action applies to, each with the values it would be fired with."""
    require_aware(now, "now")
    reg = reg or registry()
    if not actor.may_see(case.org_path):
        return CaseNotFound.message_zh
    wf = reg.workflow(case.workflow_key)
    record = record_of(case)
    try:
        if case.is_final:
            raise TransitionNotAllowed(f"案件已办结，不能执行「{wf.label_of(trigger)}」")
        _admit(session, reg, wf, record, trigger, actor, now, payload)
    except (
        UnknownTrigger,
        TransitionNotAllowed,
        PermissionDenied,
        PayloadInvalid,
        GuardFailed,
    ) as exc:
        return exc.message_zh
    return None


def next_case_no(session: Session, case_type: str, org: OrgUnit, now: datetime) -> str:
    """A readable, unique number such as DB-640502100-2026-000123."""
    prefix = f"{_TYPE_PREFIX.get(case_type, 'CF')}-{org.code[:9]}-{to_local(now).year}-"
    if is_postgres(session) or any(c in prefix for c in "*?[]"):
        same_series = Case.case_no.startswith(prefix, autoescape=True)
    else:
        # GLOB is case-sensitive, so SQLite seeks the prefix in the unique index on case_no
        # (its LIKE is case-insensitive and would scan); org codes are digits, so the prefix
        # has no GLOB metacharacters (checked above).
        same_series = Case.case_no.op("GLOB")(prefix + "*")
    # LIMIT 1: the newest number only, not every number of the series (that made each new case
    # of a busy township cost more than the one before).
    last = session.scalar(
        select(Case.case_no).where(same_series).order_by(Case.case_no.desc()).limit(1)
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


_TYPE_PREFIX = {
    "dibao": "DB",
    "tekun": "TK",
    "temporary": "LS",
    "removal": "QT",
    "review": "FH",
    "referral": "ZJ",
    "roll": "FF",
    "rise": "TB",
    "admission": "RY",
    "spot_check": "CC",
    "complaint": "TS",
    "recovery": "ZH",
    "orphan": "GE",
}


@dataclass(frozen=True)
class CaseFlags:
    illness: bool = False
    disability: bool = False
    sudden: bool = False
    staff_relative: bool = False


def open_case(
    session: Session,
    workflow_key: str,
    household_id: int,
    actor: Actor,
    now: datetime,
    *,
    flags: CaseFlags = CaseFlags(),
    summary: str = "",
    payload: Mapping[str, Any] | None = None,
    reg: Registry | None = None,
) -> Case:
    """Create a case in its initial state: the `open` event, its deadlines, one commit."""
    require_aware(now, "now")
    reg = reg or registry()
    wf = reg.workflow(workflow_key)
    if not wf.household_bound:
        raise PermissionDenied(f"「{wf.label}」不针对家庭，不能在此受理")
    # Inside a caller's unit of work a failed insert has spoilt the caller's transaction too:
    # one attempt, and the caller (who owns the unit) retries the whole of it.
    attempts = 1 if active_unit(session) is not None else 3
    for attempt in range(attempts):
        try:
            return _open_case_once(
                session, reg, wf, household_id, actor, now, flags, summary, payload
            )
        except ConcurrencyConflict as exc:
            if _is_second_open_review(exc.__cause__):
                raise ConcurrencyConflict("本户已有未办结的定期复核案件，不能重复开启") from None
            # Two desks numbered a case at the same moment; the loser takes the next number.
            if attempt == attempts - 1:
                raise ConcurrencyConflict("案件编号冲突，请重试") from None
    raise AssertionError("unreachable")


def _is_second_open_review(exc: BaseException | None) -> bool:
    """The unique partial index `uq_cases_one_open_review` (migration 0005) refused the insert:
    PostgreSQL names the index, SQLite the column (the case number is its only other unique key)."""
    if not isinstance(exc, IntegrityError):
        return False
    text = str(exc.orig)
    return "uq_cases_one_open_review" in text or "cases.household_id" in text


def _open_case_once(
    session: Session,
    reg: Registry,
    wf: WorkflowDef,
    household_id: int,
    actor: Actor,
    now: datetime,
    flags: CaseFlags,
    summary: str,
    payload: Mapping[str, Any] | None,
) -> Case:
    with UnitOfWork(session) as uow:
        case = create_case(session, reg, wf, household_id, actor, now, flags, summary, payload)
        uow.commit()
    return case


def create_case(
    session: Session,
    reg: Registry,
    wf: WorkflowDef,
    household_id: int,
    actor: Actor,
    now: datetime,
    flags: CaseFlags,
    summary: str,
    payload: Mapping[str, Any] | None,
) -> Case:
    """open_case's work inside the caller's transaction, without committing: for an effect
    that opens a follow-up case (a review's removal) atomically with the transition."""
    if not 0 < household_id < MAX_ID:
        raise CaseNotFound("家庭不存在或不在您的管辖范围内")
    household = session.scalars(
        select(Household).where(
            Household.id == household_id,
            in_jurisdiction(Household.org_path, actor),
        )
    ).first()
    if household is None:
        raise CaseNotFound("家庭不存在或不在您的管辖范围内")
    return _add_case(
        session, reg, wf, household.org_unit, household.org_path, household.id, actor, now,
        flags, summary, payload,
    )  # fmt: skip


def create_unit_case(
    session: Session,
    reg: Registry,
    wf: WorkflowDef,
    unit: OrgUnit,
    actor: Actor,
    now: datetime,
    summary: str,
    payload: Mapping[str, Any] | None,
) -> Case:
    """create_case for a workflow about an org unit rather than a household (`household_bound:
    false`, e.g. a township's monthly roll); the caller has checked the actor's reach over
    `unit`."""
    return _add_case(
        session, reg, wf, unit, unit.path, None, actor, now, CaseFlags(), summary, payload
    )


def _add_case(
    session: Session,
    reg: Registry,
    wf: WorkflowDef,
    org: OrgUnit,
    org_path: str,
    household_id: int | None,
    actor: Actor,
    now: datetime,
    flags: CaseFlags,
    summary: str,
    payload: Mapping[str, Any] | None,
) -> Case:
    """The new case row, its `open` event and first deadlines, in the caller's transaction."""
    role = next((r for r in _ROLE_ORDER if r in wf.open_roles and r in actor.roles), None)
    if role is None:
        raise PermissionDenied(f"您的角色无权受理「{wf.label}」")
    ruleset = select_ruleset(reg.rulesets, org.code, to_local(now).date())
    initial = wf.initial.name
    case = Case(
        case_no=next_case_no(session, wf.case_type, org, now),
        case_type=wf.case_type,
        workflow_key=wf.key,
        ruleset_key=ruleset.key,
        state=initial,
        is_final=False,
        version=1,
        household_id=household_id,
        org_unit_id=org.id,
        org_path=org_path,
        flag_illness=flags.illness,
        flag_disability=flags.disability,
        flag_sudden=flags.sudden,
        flag_staff_relative=flags.staff_relative,
        opened_at=now,
        state_entered_at=now,
        opened_by_id=actor.user_id,
        summary=summary,
    )
    session.add(case)
    session.flush()
    event_payload = {"summary": summary, **dict(payload or {})}
    statements.insert_event(
        session,
        case_id=case.id,
        actor_id=actor.user_id,
        actor_role=role,
        trigger=OPEN_TRIGGER,
        from_state=None,
        to_state=initial,
        payload=event_payload,
        at=now,
    )
    deadlines.on_state_change(
        session, case, wf, ruleset, load_calendar(session), None, initial, now
    )
    session.flush()
    deadlines.refresh_case_clock(session, case.id)
    return case
