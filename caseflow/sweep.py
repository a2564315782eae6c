"""The timer sweep: climb the escalation ladder of due deadlines and fire expiry transitions.

Cost follows what is due, not what exists: the only scan is over open deadline rows whose
next_action_at has come (a partial index). Each rung is claimed by compare-and-set on the row's
level, so two sweeps at once — cron twice, or two servers — reach every rung exactly once; on
PostgreSQL rows another sweep is working on are skipped (SKIP LOCKED) rather than waited for.
One broken case is logged and skipped; it never stops the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from caseflow import deadlines as dl
from caseflow.actors import SYSTEM_ACTOR
from caseflow.audit import append_event
from caseflow.calendar_store import load_calendar
from caseflow.campaigns.escalation import escalate_campaigns
from caseflow.db import is_postgres
from caseflow.engine import fire
from caseflow.errors import CaseflowError, ConcurrencyConflict, TransitionNotAllowed
from caseflow.models import Case, Deadline
from caseflow.notify import Message, deliver, notify, recipients
from caseflow.reviews.opening import open_due_reviews
from caseflow.roles import Role
from caseflow.timeutil import require_aware
from caseflow.workcal import WorkdayCalendar
from caseflow.workflow.registry import Registry, registry

log = logging.getLogger(__name__)

_LEVEL_TRIGGERS = {
    dl.LEVEL_REMINDED: "deadline_reminder",
    dl.LEVEL_OVERDUE: "deadline_overdue",
    dl.LEVEL_DISTRICT: "escalated_district",
    dl.LEVEL_BUREAU: "escalated_bureau",
}
# How the case page names the sweep's own events.
SYSTEM_EVENT_LABELS = {
    trigger: dl.LEVEL_LABELS[level] for level, trigger in _LEVEL_TRIGGERS.items()
}
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

    def summary_zh(self) -> str:
        """One line for the CLI."""
        return (
            f"提醒/升级 {self.levels_reached} 次，到期自动流转 {self.expiry_fired} 件，"
            f"跳过 {self.skipped} 条，出错 {len(self.failed)} 条，"
            f"开启定期复核 {self.reviews_opened} 件"
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
        ids = due_deadline_ids(session, now, limit)
        cal = load_calendar(session)
        session.rollback()
        for deadline_id in ids:
            try:
                _process(session, deadline_id, now, reg, cal, report)
            except Exception:
                session.rollback()
                report.failed.append(deadline_id)
                log.exception("sweep: deadline %s failed; skipped", deadline_id)
    report.levels_reached += escalate_campaigns(factory, now)  # 排查摸底 stages missed
    # Periodic reviews (复核) due by their schedule are opened as cases (caseflow.reviews).
    report.reviews_opened = len(open_due_reviews(factory, now, reg=reg).opened)
    return report


def _process(
    session: Session,
    deadline_id: int,
    now: datetime,
    reg: Registry,
    cal: WorkdayCalendar,
    report: SweepReport,
) -> None:
    """Climb one deadline as many rungs as are due (each rung its own transaction)."""
    expiry_tried = False
    while True:
        stmt = select(Deadline).where(Deadline.id == deadline_id)
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        else:
            # SQLite: take the write lock before reading, so the claim below cannot go stale.
            session.execute(
                update(Deadline).where(Deadline.id == deadline_id).values(level=Deadline.level)
            )
        row = session.scalars(stmt.execution_options(populate_existing=True)).first()
        if (
            row is None
            or row.closed_at is not None
            or row.next_action_at is None
            or row.next_action_at > now
            or row.due_at is None
        ):
            session.rollback()
            if row is None:
                report.skipped += 1
            return
        case = session.get(Case, row.case_id, populate_existing=True)
        assert case is not None
        wf = reg.workflow(case.workflow_key)
        state = wf.states.get(row.state) if row.state else None
        target = row.level + 1
        if (
            target == dl.LEVEL_OVERDUE
            and state is not None
            and state.on_expiry
            and not expiry_tried
        ):
            session.rollback()
            if _fire_expiry(session, case.id, state.on_expiry, now, report):
                return
            expiry_tried = True  # could not move on by itself: escalate like any overdue case
            continue
        if not _climb(session, row, case, target, now, reg, cal, report):
            return


def _climb(
    session: Session,
    row: Deadline,
    case: Case,
    target: int,
    now: datetime,
    reg: Registry,
    cal: WorkdayCalendar,
    report: SweepReport,
) -> bool:
    ruleset = reg.rulesets[case.ruleset_key]
    assert row.due_at is not None
    nxt = dl.next_action_at(cal, ruleset, row.unit, row.due_at, target)
    claimed = session.execute(
        update(Deadline)
        .where(Deadline.id == row.id, Deadline.level == row.level, Deadline.closed_at.is_(None))
        .values(level=target, next_action_at=nxt)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()  # another sweep reached this rung first
        report.skipped += 1
        return False
    if is_postgres(session):  # keep each case's event chain linear
        session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    wf = reg.workflow(case.workflow_key)
    rule = ruleset.rule(row.rule)
    append_event(
        session,
        case_id=case.id,
        actor_id=None,
        actor_role=Role.SYSTEM,
        trigger=_LEVEL_TRIGGERS[target],
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
        session, case, wf.states[case.state].owner_role, rule.label, target, now
    )
    session.commit()
    deliver(messages)
    report.levels_reached += 1
    return True


def _notify_level(
    session: Session, case: Case, owner_role: str | None, label: str, level: int, now: datetime
) -> list[Message]:
    if level == dl.LEVEL_REMINDED:
        roles, district_only = {owner_role} if owner_role else set(), False
    elif level == dl.LEVEL_OVERDUE:
        roles = {Role.TOWNSHIP_LEADER, *([owner_role] if owner_role else [])}
        district_only = False
    else:
        roles, district_only = {Role.SUPERVISOR, Role.DISTRICT_APPROVER}, True
    users = recipients(session, case.org_path, {str(r) for r in roles}, district_only=district_only)
    title = f"{case.case_no}：{label}{dl.LEVEL_LABELS[level]}"
    return notify(
        session,
        users,
        case_id=case.id,
        kind=_LEVEL_KINDS[level],
        title=title,
        body=case.summary,
        now=now,
    )


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
