"""Escalate townships that missed a campaign stage with rows unresolved, like an overdue case:
the day after the stage ends the township leaders are told (逾期); after the campaign's number of
working days more (official calendar, with its 调休 and overrides) the district supervisors are
told (督办). Each rung is a unique row (stage, township, level), so running the sweep again — or
two sweeps at once — never notifies twice."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from caseflow.campaigns.models import Campaign, CampaignEscalation, CampaignStage
from caseflow.campaigns.progress import TownshipProgress, township_progress
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.workcal import WorkdayCalendar, add_working_days, end_of_local_day, local_date
from caseflow.db.models import OrgUnit
from caseflow.engine.uow import UnitOfWork
from caseflow.inbox.send import Message, deliver, notify, recipients
from caseflow.kernel.errors import ConcurrencyConflict
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware

log = logging.getLogger(__name__)

LEVEL_TOWNSHIP = 1
LEVEL_DISTRICT = 2
LEVEL_LABELS = {LEVEL_TOWNSHIP: "逾期，已提醒乡镇领导", LEVEL_DISTRICT: "已上报区级督办"}


def rung_due_at(
    cal: WorkdayCalendar, stage: CampaignStage, campaign: Campaign, level: int
) -> datetime:
    """When a rung falls due: the end of the stage's last day, then N working days later."""
    end = end_of_local_day(stage.ends_on)
    if level == LEVEL_TOWNSHIP:
        return end
    return add_working_days(cal, end, campaign.district_after_working_days).due_at


def escalate_campaigns(factory: sessionmaker[Session], now: datetime) -> int:
    """Reach every due rung once; returns how many were reached. Never raises (the sweep's other
    work must go on): a failing stage is logged and skipped."""
    require_aware(now, "now")
    reached = 0
    with factory() as session:
        try:
            with UnitOfWork(session):  # reads only: leaving the unit ends the transaction
                cal = load_calendar(session)
                due = session.execute(
                    select(CampaignStage, Campaign)
                    .join(Campaign, Campaign.id == CampaignStage.campaign_id)
                    .where(
                        Campaign.comparison_run_id.is_not(None),
                        CampaignStage.ends_on < local_date(now),
                    )
                    .order_by(CampaignStage.id)
                ).all()
        except Exception:
            log.exception("campaign escalation: could not list ended stages")
            return 0
        for stage, campaign in due:
            try:
                reached += _stage(session, cal, stage, campaign, now)
            except Exception:
                log.exception("campaign escalation: stage %s failed; skipped", stage.id)
    return reached


def _stage(
    session: Session, cal: WorkdayCalendar, stage: CampaignStage, campaign: Campaign, now: datetime
) -> int:
    assert campaign.comparison_run_id is not None
    levels = _due_levels(cal, stage, campaign, now)
    if not levels:
        return 0
    with UnitOfWork(session):  # reads only: ended (even by a failure) before any rung is claimed
        paths = {code: path for code, path in session.execute(select(OrgUnit.code, OrgUnit.path))}
        rungs = [
            (row, level)
            for row in township_progress(session, campaign.comparison_run_id, "/")
            if row.code is not None and not row.meets(stage.target_percent)
            for level in levels
        ]
    reached = 0
    for row, level in rungs:
        assert row.code is not None
        if _reach(session, stage, campaign, row, paths[row.code], level, now):
            reached += 1
    return reached


def _due_levels(
    cal: WorkdayCalendar, stage: CampaignStage, campaign: Campaign, now: datetime
) -> list[int]:
    """The rungs of the ladder already due now, lowest first."""
    due = []
    for level in (LEVEL_TOWNSHIP, LEVEL_DISTRICT):
        if rung_due_at(cal, stage, campaign, level) >= now:
            break
        due.append(level)
    return due


def _reach(
    session: Session,
    stage: CampaignStage,
    campaign: Campaign,
    row: TownshipProgress,
    path: str,
    level: int,
    now: datetime,
) -> bool:
    """Claim the rung (unique row) and notify in one unit of work; False if already there."""
    claimed = False
    try:
        with UnitOfWork(session) as uow:
            session.add(
                CampaignEscalation(
                    stage_id=stage.id,
                    township_code=row.code,
                    level=level,
                    resolved=row.resolved,
                    total=row.total,
                    reached_at=now,
                )
            )
            session.flush()  # the unique (stage, township, level) row: taken means reached
            claimed = True
            if level == LEVEL_TOWNSHIP:
                users = recipients(session, path, {Role.TOWNSHIP_LEADER.value})
                kind = "overdue"
            else:
                users = recipients(session, path, {Role.SUPERVISOR.value}, district_only=True)
                kind = "escalated"
            title = f"{campaign.name}「{stage.name}」{row.name}{LEVEL_LABELS[level]}"
            body = (
                f"阶段截止 {stage.ends_on.isoformat()}，目标完成 {stage.target_percent}%，"
                f"实际已处理 {row.resolved}/{row.total}（{row.percent}%）"
            )
            messages: list[Message] = notify(
                session, users, case_id=None, kind=kind, title=title[:200], body=body, now=now
            )
            uow.on_commit(lambda: deliver(messages))
            uow.commit()
    except ConcurrencyConflict as exc:
        if not claimed and isinstance(exc.__cause__, IntegrityError):  # reached before
            return False
        raise
    return True
