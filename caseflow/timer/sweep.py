"""The timer sweep: climb the escalation ladder of due deadlines and fire expiry transitions.

Cost follows what is due, not what exists: the only scan is over open deadline rows whose
next_action_at has come (a partial index). Each rung is claimed by compare-and-set on the row's
level, so two sweeps at once — cron twice, or two servers — reach every rung exactly once; on
PostgreSQL rows another sweep is working on are skipped (SKIP LOCKED) rather than waited for.
Each rung is one unit of work (caseflow.engine.uow): a rung that finds nothing to do, or loses the
claim, leaves its unit without committing. One broken case is logged and skipped; it never stops
the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from caseflow.campaigns.escalation import escalate_campaigns
from caseflow.casework.orphans import end_majorities
from caseflow.clock import deadlines as dl
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.workcal import WorkdayCalendar
from caseflow.db.engine import is_postgres
from caseflow.db.models import Case, Deadline, Notification, OrgUnit, User, UserRole
from caseflow.engine.events import SWEEP_TRIGGERS
from caseflow.engine.fire import fire
from caseflow.engine.statements import insert_event
from caseflow.engine.uow import UnitOfWork
from caseflow.inbox.send import Message, deliver
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import CaseflowError, ConcurrencyConflict, TransitionNotAllowed
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware
from caseflow.reviews.opening import open_due_reviews
from caseflow.workflow.registry import Registry, registry

log = logging.getLogger(__name__)

_LEVEL_KINDS = {
    dl.LEVEL_REMINDED: "reminder",
    dl.LEVEL_OVERDUE: "overdue",
    dl.LEVEL_DISTRICT: "escalated",
    dl.LEVEL_BUREAU: "escalated",
}


@dataclass
class SweepReport:
    """What one sweep did; `failed` lists deadline ids that raised and were skipped."""

    levels_reached: int = 0
    expiry_fired: int = 0
    skipped: int = 0
    failed: list[int] = field(default_factory=list)
    reviews_opened: int = 0  # periodic reviews (复核) that fell due and were opened as cases
    majority_ended: int = 0  # 孤儿 / 事实无人抚养儿童 cases ended on the child's 18th birthday

    def summary_zh(self) -> str:
        """One line for the CLI."""
        return (
            f"提醒/升级 {self.levels_reached} 次，到期自动流转 {self.expiry_fired} 件，"
            f"跳过 {self.skipped} 条，出错 {len(self.failed)} 条，"
            f"开启定期复核 {self.reviews_opened} 件，"
            f"年满18周岁终止孤儿保障 {self.majority_ended} 件"
        )


def due_deadline_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Open deadline rows whose next rung is due, oldest first (served by the partial index)."""
    return list(
        session.scalars(
            select(Deadline.id)
            .where(Deadline.closed_at.is_(None), Deadline.next_action_at <= now)
            .order_by(Deadline.next_action_at)
            .limit(limit)
        )
    )


def sweep(
    factory: sessionmaker[Session],
    now: datetime,
    *,
    limit: int = 100_000,
    reg: Registry | None = None,
) -> SweepReport:
    """Process every due deadline once; safe to run concurrently and repeatedly."""
    require_aware(now, "now")
    reg = reg or registry()
    report = SweepReport()
    with factory() as session:
        # The reads' transaction ends when the first rung's unit of work begins.
        ids = due_deadline_ids(session, now, limit)
        cal = load_calendar(session)
        who = _Recipients()
        for deadline_id in ids:
            try:
                _process(session, deadline_id, now, reg, cal, report, who)
            except Exception:  # its unit of work has rolled back; the next case starts afresh
                report.failed.append(deadline_id)
                log.exception("sweep: deadline %s failed; skipped", deadline_id)
    report.levels_reached += escalate_campaigns(factory, now)  # 排查摸底 stages missed
    # Periodic reviews (复核) due by their schedule are opened as cases (caseflow.reviews).
    report.reviews_opened = len(open_due_reviews(factory, now, reg=reg).opened)
    # Children in care who turned 18 leave it by themselves (end_majority, as the system).
    report.majority_ended = len(end_majorities(factory, now, reg=reg).ended)
    return report


_dl = cast(Table, Deadline.__table__)
_cs = cast(Table, Case.__table__)
_DUE_COLUMNS = (
    _dl.c.id,
    _dl.c.case_id,
    _dl.c.state,
    _dl.c.rule,
    _dl.c.unit,
    _dl.c.due_at,
    _dl.c.level,
    _dl.c.next_action_at,
    _dl.c.closed_at,
)
# Claiming the row: PostgreSQL locks it, skipping one another sweep holds; SQLite takes the
# database's write lock with a no-op UPDATE that returns the row in the same statement.
_LOCK_DEADLINE_PG = (
    select(*_DUE_COLUMNS).where(_dl.c.id == bindparam("d_id")).with_for_update(skip_locked=True)
)
_LOCK_DEADLINE_SQLITE = (
    _dl.update()
    .where(_dl.c.id == bindparam("d_id"))
    .values(level=_dl.c.level)
    .returning(*_DUE_COLUMNS)
)
_CASE_COLUMNS = (
    _cs.c.id,
    _cs.c.case_no,
    _cs.c.workflow_key,
    _cs.c.ruleset_key,
    _cs.c.state,
    _cs.c.org_path,
    _cs.c.summary,
)
_CASE = select(*_CASE_COLUMNS).where(_cs.c.id == bindparam("c_id"))
_CASE_LOCKED = _CASE.with_for_update()  # PostgreSQL: keep each case's event chain linear
_CLAIM = (
    _dl.update()
    .where(
        _dl.c.id == bindparam("d_id"),
        _dl.c.level == bindparam("d_level"),
        _dl.c.closed_at.is_(None),
    )
    .values(level=bindparam("d_target"), next_action_at=bindparam("d_next"))
)
_INSERT_NOTIFICATIONS = cast(Table, Notification.__table__).insert()


class _Recipients:
    """Who is told at each rung. The active staff (id, role, unit path, unit level) are read once
    per sweep, in one query; each rung then picks, in Python, the users `notify.recipients` would
    return: holding one of the roles, in a unit whose path the case's org_path starts with (its
    township, or the district above it), district units only where asked."""

    def __init__(self) -> None:
        self._staff: list[tuple[int, str, str, str]] | None = None
        self._seen: dict[tuple[str, frozenset[str], bool], list[int]] = {}

    def __call__(
        self, session: Session, org_path: str, roles: set[str], district_only: bool
    ) -> list[int]:
        key = (org_path, frozenset(roles), district_only)
        users = self._seen.get(key)
        if users is None:
            if self._staff is None:
                self._staff = [tuple(r) for r in session.execute(_STAFF)]  # type: ignore[misc]
            users = sorted(
                {
                    uid
                    for uid, role, path, level in self._staff
                    if role in roles
                    and org_path.startswith(path)
                    and (not district_only or level == "district")
                }
            )
            self._seen[key] = users
        return users


_STAFF = (
    select(User.id, UserRole.role, OrgUnit.path, OrgUnit.level)
    .join(UserRole, UserRole.user_id == User.id)
    .join(OrgUnit, OrgUnit.id == User.org_unit_id)
    .where(User.active)
)


def _process(
    session: Session,
    deadline_id: int,
    now: datetime,
    reg: Registry,
    cal: WorkdayCalendar,
    report: SweepReport,
    who: _Recipients | None = None,
) -> None:
    """Climb one deadline as many rungs as are due (each rung its own unit of work)."""
    who = who or _Recipients()
    expiry_tried = False
    pg = is_postgres(session)
    while True:
        with UnitOfWork(session) as uow:
            conn = session.connection()
            lock = _LOCK_DEADLINE_PG if pg else _LOCK_DEADLINE_SQLITE
            row = conn.execute(lock, {"d_id": deadline_id}).first()
            if (
                row is None
                or row.closed_at is not None
                or row.next_action_at is None
                or row.next_action_at > now
                or row.due_at is None
            ):
                if row is None:
                    report.skipped += 1
                return  # nothing to do: the unit rolls back and releases the row
            case = conn.execute(_CASE, {"c_id": row.case_id}).one()
            wf = reg.workflow(case.workflow_key)
            state = wf.states.get(row.state) if row.state else None
            target = row.level + 1
            # The first overdue rung of a state that moves on by itself: fire that instead.
            expiry = (
                state.on_expiry
                if state is not None and target == dl.LEVEL_OVERDUE and not expiry_tried
                else None
            )
            nxt = None if expiry else _climb(uow, row, case, target, now, reg, cal, report, who)
        if expiry:  # the claim is released: fire() takes the case in a unit of its own
            if _fire_expiry(session, case.id, expiry, now, report):
                return
            expiry_tried = True  # could not move on by itself: escalate like any overdue case
            continue
        if nxt is None or nxt > now:
            return  # the next rung is not due yet: no need to read the row again


def _climb(
    uow: UnitOfWork,
    row: Any,
    case: Any,
    target: int,
    now: datetime,
    reg: Registry,
    cal: WorkdayCalendar,
    report: SweepReport,
    who: _Recipients,
) -> datetime | None:
    """Reach rung `target` in the rung's unit of work and commit it; return when the row's next
    rung falls due (None at the top of the ladder, or when another sweep claimed this rung
    first: then nothing is committed)."""
    session = uow.session
    ruleset = reg.rulesets[case.ruleset_key]
    assert row.due_at is not None
    nxt = dl.next_action_at(cal, ruleset, row.unit, row.due_at, target)
    conn = session.connection()
    claimed = conn.execute(
        _CLAIM, {"d_id": row.id, "d_level": row.level, "d_target": target, "d_next": nxt}
    )
    if claimed.rowcount != 1:  # another sweep reached this rung first: the unit rolls back
        report.skipped += 1
        return None
    if is_postgres(session):  # keep each case's event chain linear
        case = conn.execute(_CASE_LOCKED, {"c_id": case.id}).one()
    wf = reg.workflow(case.workflow_key)
    rule = ruleset.rule(row.rule)
    insert_event(
        session,
        case_id=case.id,
        actor_id=None,
        actor_role=Role.SYSTEM,
        trigger=SWEEP_TRIGGERS[target],
        from_state=case.state,
        to_state=case.state,
        payload={
            "deadline": row.rule,
            "label": rule.label,
            "due_at": row.due_at.isoformat(),
            "level": target,
            "level_label": dl.LEVEL_LABELS[target],
        },
        at=now,
    )
    dl.refresh_case_clock(session, case.id)
    messages = _notify_level(
        session, case, wf.states[case.state].owner_role, rule.label, target, now, who
    )
    uow.on_commit(partial(deliver, messages))  # outside senders hear of it once it is durable
    uow.commit()
    report.levels_reached += 1
    return nxt


def _notify_level(
    session: Session,
    case: Any,
    owner_role: str | None,
    label: str,
    level: int,
    now: datetime,
    who: _Recipients | None = None,
) -> list[Message]:
    if level == dl.LEVEL_REMINDED:
        roles, district_only = {owner_role} if owner_role else set(), False
    elif level == dl.LEVEL_OVERDUE:
        roles = {Role.TOWNSHIP_LEADER, *([owner_role] if owner_role else [])}
        district_only = False
    else:
        roles, district_only = {Role.SUPERVISOR, Role.DISTRICT_APPROVER}, True
    users = (who or _Recipients())(session, case.org_path, {str(r) for r in roles}, district_only)
    title = f"{case.case_no}：{label}{dl.LEVEL_LABELS[level]}"
    if users:  # the inbox rows in one multi-row INSERT, inside the rung's transaction
        session.connection().execute(
            _INSERT_NOTIFICATIONS,
            [
                {
                    "user_id": uid,
                    "case_id": case.id,
                    "kind": _LEVEL_KINDS[level],
                    "title": title,
                    "body": case.summary,
                    "created_at": now,
                }
                for uid in users
            ],
        )
    return [Message(uid, title, case.summary, case.id) for uid in users]


def _fire_expiry(
    session: Session, case_id: int, trigger: str, now: datetime, report: SweepReport
) -> bool:
    """Fire the state's expiry trigger; True when done or no longer needed."""
    try:
        fire(session, case_id, trigger, SYSTEM_ACTOR, now)
        report.expiry_fired += 1
        return True
    except (ConcurrencyConflict, TransitionNotAllowed) as exc:
        # Another sweep fired first, or a person moved the case on meanwhile.
        log.info("sweep: expiry %s on case %s not needed: %s", trigger, case_id, exc)
        report.skipped += 1
        return True
    except CaseflowError as exc:  # e.g. a guard: the case cannot move on by itself
        log.warning("sweep: expiry %s on case %s refused: %s", trigger, case_id, exc)
        return False
