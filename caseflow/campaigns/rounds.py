"""Screening twice a year (排查摸底): each township records the round of each half-year, and a
round whose half-year has ended without a record is missed.

The district plan (卫沙民社发〔2018〕182号, ../shared/DOMAIN.md) asks for screening twice a year
without naming the months; this project takes the two halves of the calendar year as the two
windows (first round January–June, second July–December; 待核实 against the district's own
schedule). A round is "missed" only once its window has passed, never while it is still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.campaigns.models import ScreeningRound
from caseflow.campaigns.service import typed_date, typed_int
from caseflow.clock.workcal import local_date
from caseflow.db.models import OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware

# Township reviewers and leaders record their own township's round; district staff any.
RECORD_ROLES = frozenset(
    {Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_LEADER, Role.DISTRICT_APPROVER, Role.SUPERVISOR}
)
HALF_LABELS = {1: "上半年", 2: "下半年"}
HELD, MISSED, OPEN, NOT_YET = "held", "missed", "open", "not_yet"
STATUS_LABELS = {HELD: "已开展", MISSED: "逾期未开展", OPEN: "进行中（未登记）", NOT_YET: "未到期"}
MAX_HOUSEHOLDS = 1_000_000


def window(year: int, half: int) -> tuple[date, date]:
    """The first and last day of a round's half-year."""
    return (
        (date(year, 1, 1), date(year, 6, 30))
        if half == 1
        else (date(year, 7, 1), date(year, 12, 31))
    )


def status_of(year: int, half: int, held: bool, today: date) -> str:
    """held, or missed once the window has passed, open while it runs, not_yet before."""
    first, last = window(year, half)
    if held:
        return HELD
    if today > last:
        return MISSED
    return OPEN if today >= first else NOT_YET


@dataclass(frozen=True)
class TownshipRounds:
    """One township's two rounds of a year: status and the record, if any."""

    code: str
    name: str
    rounds: dict[int, tuple[str, ScreeningRound | None]]

    @property
    def both_held(self) -> bool:
        return all(status == HELD for status, _ in self.rounds.values())


def _townships(session: Session, actor: Actor) -> list[OrgUnit]:
    return list(
        session.scalars(
            select(OrgUnit)
            .where(OrgUnit.level == "township", in_jurisdiction(OrgUnit.path, actor))
            .order_by(OrgUnit.code)
        )
    )


def year_status(session: Session, actor: Actor, year: int, today: date) -> list[TownshipRounds]:
    """Every township in the actor's reach with both rounds of `year`."""
    records = {
        (r.township_id, r.half): r
        for r in session.scalars(
            select(ScreeningRound).where(
                ScreeningRound.year == year, in_jurisdiction(ScreeningRound.org_path, actor)
            )
        )
    }
    found = []
    for unit in _townships(session, actor):
        rounds = {}
        for half in (1, 2):
            record = records.get((unit.id, half))
            rounds[half] = (status_of(year, half, record is not None, today), record)
        found.append(TownshipRounds(unit.code, unit.name, rounds))
    return found


@dataclass(frozen=True)
class MissedRound:
    code: str
    name: str
    year: int
    half: int

    @property
    def label(self) -> str:
        return f"{self.year}年{HALF_LABELS[self.half]}"


def missed_rounds(session: Session, actor: Actor, now: datetime) -> list[MissedRound]:
    """Rounds of this year and last whose window has passed without a record, by township."""
    today = local_date(now)
    missed = []
    for year in (today.year - 1, today.year):
        for row in year_status(session, actor, year, today):
            missed += [
                MissedRound(row.code, row.name, year, half)
                for half, (status, _) in row.rounds.items()
                if status == MISSED
            ]
    return sorted(missed, key=lambda m: (m.code, m.year, m.half))


@dataclass(frozen=True)
class RoundInput:
    """A round as typed on the form or the command line."""

    township: str
    year: str
    half: str
    held_from: str
    held_to: str
    households: str
    note: str = ""


def _checked(session: Session, actor: Actor, form: RoundInput, today: date) -> ScreeningRound:
    """The round as a new row (not added), or PayloadInvalid naming every wrong field."""
    errors: dict[str, str] = {}
    unit = session.scalar(
        select(OrgUnit).where(
            OrgUnit.code == form.township.strip()[:20],
            OrgUnit.level == "township",
            in_jurisdiction(OrgUnit.path, actor),
        )
    )
    if unit is None:
        errors["township"] = "请选择您辖区内的乡镇"
    year = typed_int(form.year, 2000, today.year)
    if year is None:
        errors["year"] = f"年度应为 2000–{today.year} 的年份"
    half = typed_int(form.half, 1, 2)
    if half is None:
        errors["half"] = "请选择上半年或下半年"
    start, end = typed_date(form.held_from), typed_date(form.held_to)
    if start is None:
        errors["held_from"] = "开始日期应为 年-月-日（如 2026-03-01）"
    if end is None:
        errors["held_to"] = "结束日期应为 年-月-日（如 2026-03-31）"
    elif end > today:
        errors["held_to"] = "结束日期不能晚于今天（只登记已经完成的排查）"
    if start and end and end < start:
        errors["held_to"] = "结束日期不能早于开始日期"
    if start and year and half:
        first, last = window(year, half)
        if not first <= start <= last:
            errors["held_from"] = f"开始日期应在{year}年{HALF_LABELS[half]}内（{first}～{last}）"
    households = typed_int(form.households, 0, MAX_HOUSEHOLDS)
    if households is None:
        errors["households"] = "排查户数应为 0 或正整数"
    note = " ".join(form.note.split())
    if len(note) > 500:
        errors["note"] = "情况说明不能超过 500 个字"
    if unit is not None and year and half:
        taken = session.scalar(
            select(func.count()).where(
                ScreeningRound.township_id == unit.id,
                ScreeningRound.year == year,
                ScreeningRound.half == half,
            )
        )
        if taken:
            errors["half"] = f"{unit.name}{year}年{HALF_LABELS[half]}的排查摸底已登记"
    if errors:
        raise PayloadInvalid(errors)
    assert unit and year and half and start and end and households is not None
    return ScreeningRound(
        township_id=unit.id,
        org_path=unit.path,
        year=year,
        half=half,
        held_from=start,
        held_to=end,
        households_screened=households,
        note=note,
    )


def record_round(session: Session, actor: Actor, form: RoundInput, now: datetime) -> ScreeningRound:
    """Check every field (PayloadInvalid names each in Chinese), store the round, log it."""
    require_aware(now, "now")
    if not actor.roles & RECORD_ROLES:
        raise PermissionDenied("只有乡镇审核、乡镇领导或区级人员可以登记排查摸底")
    today = local_date(now)
    with UnitOfWork(session) as uow:
        row = _checked(session, actor, form, today)
        row.recorded_by_id, row.recorded_at = actor.user_id, now
        session.add(row)
        session.flush()
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="screening.round",
            subject=f"township:{row.org_path.strip('/').split('/')[-1]}",
            payload={"year": row.year, "half": row.half, "households": row.households_screened},
            at=now,
        )
        uow.commit()
    return row
