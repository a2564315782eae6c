"""The demo's district routine: screening rounds recorded by the townships (one township left
without the latest ended round, so the board shows the flag) and two training sessions of the
district this year (a few staff left out, so the report of untrained staff names someone).
Everything goes through the core functions staff use (`record_round`, `record_session`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.accounts.training import SessionInput, record_session, staff_in_reach
from caseflow.campaigns.rounds import RoundInput, record_round, window
from caseflow.clock.workcal import local_date
from caseflow.db.models import OrgUnit, User, UserRole
from caseflow.kernel.actors import Actor
from caseflow.kernel.roles import Role

# The township that skipped its latest round (香山乡) and the staff who missed training.
MISSED_ROUND_TOWNSHIP = "640502200"
NOT_TRAINED = ("_liaison", "xiangshan_investigator2")
SESSIONS = (
    (75, "《最低生活保障审核确认办法》解读", "区民政局社会救助股"),
    (20, "特困人员认定与生活自理能力评估", "区民政局社会救助股"),
)


def _first(session: Session, role: Role, path: str) -> Actor | None:
    user = session.scalar(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(UserRole.role == role.value, OrgUnit.path == path, User.active.is_(True))
        .order_by(User.id)
    )
    return Actor.from_user(user) if user is not None else None


def _ended_rounds(today: date) -> list[tuple[int, int]]:
    """(year, half) of last year and this year whose window has ended, oldest first."""
    return [
        (year, half)
        for year in (today.year - 1, today.year)
        for half in (1, 2)
        if window(year, half)[1] < today
    ]


def seed_rounds(session: Session, now: datetime) -> int:
    """Every township's ended rounds, except the latest of one; returns how many."""
    today = local_date(now)
    ended = _ended_rounds(today)
    count = 0
    for unit in session.scalars(select(OrgUnit).where(OrgUnit.level == "township")).all():
        reviewer = _first(session, Role.TOWNSHIP_REVIEWER, unit.path)
        if reviewer is None:
            continue
        for index, (year, half) in enumerate(ended):
            if unit.code == MISSED_ROUND_TOWNSHIP and index == len(ended) - 1:
                continue
            start = window(year, half)[0] + timedelta(days=14 + int(unit.code[-2:]))
            end = start + timedelta(days=30)
            households = 40 + int(unit.code[-3:]) % 50
            form = RoundInput(
                unit.code, str(year), str(half), str(start), str(end), str(households)
            )
            record_round(session, reviewer, form, now)
            count += 1
    return count


def seed_training(session: Session, now: datetime) -> int:
    """The district's sessions of this year with their attendance; returns how many."""
    district = session.scalar(select(OrgUnit).where(OrgUnit.level == "district"))
    supervisor = _first(session, Role.SUPERVISOR, district.path) if district else None
    if supervisor is None:
        return 0
    today = local_date(now)
    staff = staff_in_reach(session, supervisor)
    attendees = [str(u.id) for u in staff if not any(n in u.username for n in NOT_TRAINED)]
    count = 0
    for days_ago, topic, trainer in SESSIONS:
        held = max(today - timedelta(days=days_ago), date(today.year, 1, 1))
        record_session(session, supervisor, SessionInput(str(held), topic, trainer, attendees), now)
        count += 1
    return count
