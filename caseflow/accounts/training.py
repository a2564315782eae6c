"""Staff training (业务培训): record a session with its attendance, list the year's sessions,
and name the staff who attended none this year.

District staff record sessions (the plan makes training the district's duty); attendees are
active accounts inside the recorder's jurisdiction. Township leaders read the report for their
own township. Every list is limited to the reader's jurisdiction in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from caseflow.accounts.orgs import DISTRICT
from caseflow.accounts.training_models import TrainingAttendance, TrainingSession
from caseflow.clock.workcal import local_date
from caseflow.db.models import OrgUnit, User, UserRole
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware

RECORD_ROLES = frozenset({Role.DISTRICT_APPROVER, Role.SUPERVISOR})
VIEW_ROLES = RECORD_ROLES | {Role.TOWNSHIP_LEADER}
# Accounts that are not case staff: nobody trains the timer, and the admin manages accounts only.
NOT_STAFF = (Role.SYSTEM.value, Role.ADMIN.value)


def may_record(actor: Actor) -> bool:
    """District-level staff with a recording role."""
    return bool(actor.roles & RECORD_ROLES) and f"/{DISTRICT[0]}/".startswith(actor.org_path)


def _staff(actor: Actor) -> ColumnElement[bool]:
    """Active case staff whose unit lies in the actor's subtree (a WHERE clause on users)."""
    unit = aliased(OrgUnit)  # its own name: the outer query may join OrgUnit too
    unit_in_reach = exists().where(unit.id == User.org_unit_id, in_jurisdiction(unit.path, actor))
    other_role = exists().where(UserRole.user_id == User.id, UserRole.role.not_in(NOT_STAFF))
    return and_(User.active.is_(True), unit_in_reach, other_role)


def staff_in_reach(session: Session, actor: Actor) -> list[User]:
    """Case staff the actor may record as attendees, by unit then name."""
    return list(
        session.scalars(
            select(User)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(_staff(actor))
            .order_by(OrgUnit.path, User.username)
        )
    )


@dataclass(frozen=True)
class SessionInput:
    """A session as typed on the form."""

    held_on: str
    topic: str
    trainer: str
    attendee_ids: Sequence[str]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _check(
    session: Session, actor: Actor, form: SessionInput, today: date
) -> tuple[date, list[int]]:
    errors: dict[str, str] = {}
    held: date | None = None
    try:
        held = date.fromisoformat(form.held_on.strip())
    except ValueError:
        errors["held_on"] = "培训日期应为 年-月-日（如 2026-03-15）"
    if held is not None and held > today:
        errors["held_on"] = "培训日期不能晚于今天（只登记已经举办的培训）"
    topic, trainer = _clean(form.topic), _clean(form.trainer)
    if not topic:
        errors["topic"] = "请填写培训主题"
    elif len(topic) > 200:
        errors["topic"] = "培训主题不能超过 200 个字"
    if not trainer:
        errors["trainer"] = "请填写授课人"
    elif len(trainer) > 100:
        errors["trainer"] = "授课人不能超过 100 个字"
    known = _attendees(session, actor, form.attendee_ids, errors)
    if errors:
        raise PayloadInvalid(errors)
    assert held is not None
    return held, known


def _attendees(
    session: Session, actor: Actor, attendee_ids: Sequence[str], errors: dict[str, str]
) -> list[int]:
    """The attendees' user ids; a message in `errors` unless each is case staff in reach."""
    wanted = {int(i) for i in attendee_ids if i.isascii() and i.isdigit() and len(i) < 10}
    known = set(session.scalars(select(User.id).where(User.id.in_(wanted), _staff(actor))))
    if not attendee_ids:
        errors["attendees"] = "请至少选择一名参训人员"
    elif known != wanted or len(wanted) != len(set(attendee_ids)):
        errors["attendees"] = "参训人员须为您辖区内在岗的工作人员"
    return sorted(known)


def record_session(
    session: Session, actor: Actor, form: SessionInput, now: datetime
) -> TrainingSession:
    """Check every field (PayloadInvalid names each in Chinese), store session and attendance."""
    require_aware(now, "now")
    if not may_record(actor):
        raise PermissionDenied("只有区级民政审批或督查人员可以登记业务培训")
    with UnitOfWork(session) as uow:
        held, attendees = _check(session, actor, form, local_date(now))
        unit = session.scalar(select(OrgUnit).where(OrgUnit.path == actor.org_path))
        assert unit is not None
        row = TrainingSession(
            org_unit_id=unit.id,
            org_path=unit.path,
            held_on=held,
            topic=_clean(form.topic),
            trainer=_clean(form.trainer),
            recorded_by_id=actor.user_id,
            recorded_at=now,
        )
        session.add(row)
        session.flush()
        session.add_all(TrainingAttendance(session_id=row.id, user_id=u) for u in attendees)
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="training.session",
            subject=f"training:{row.id}",
            payload={"held_on": held.isoformat(), "topic": row.topic, "attendees": attendees},
            at=now,
        )
        uow.commit()
    return row


def session_in_reach(
    session: Session, actor: Actor, session_id: int
) -> tuple[TrainingSession, set[int]] | None:
    """A session recorded in the actor's jurisdiction (in SQL) and the ids of who attended it,
    or None (the page for adding attendees)."""
    if not 0 < session_id < 2**63:
        return None
    row = session.scalar(
        select(TrainingSession).where(
            TrainingSession.id == session_id, in_jurisdiction(TrainingSession.org_path, actor)
        )
    )
    if row is None:
        return None
    attended = session.scalars(
        select(TrainingAttendance.user_id).where(TrainingAttendance.session_id == row.id)
    )
    return row, set(attended)


def add_attendance(
    session: Session, actor: Actor, session_id: int, attendee_ids: Sequence[str], now: datetime
) -> list[int]:
    """Record further attendees of a session already held (someone missing from the first list):
    the same checks as a new session's attendance, and nobody twice. Returns the user ids added."""
    require_aware(now, "now")
    if not may_record(actor):
        raise PermissionDenied("只有区级民政审批或督查人员可以登记业务培训")
    with UnitOfWork(session) as uow:
        row = session.scalar(
            select(TrainingSession).where(
                TrainingSession.id == session_id, in_jurisdiction(TrainingSession.org_path, actor)
            )
        )
        if row is None:
            raise PayloadInvalid({"session": f"培训场次 {session_id} 不存在或不在您的辖区"})
        errors: dict[str, str] = {}
        known = _attendees(session, actor, attendee_ids, errors)
        already = set(
            session.scalars(
                select(TrainingAttendance.user_id).where(
                    TrainingAttendance.session_id == row.id,
                    TrainingAttendance.user_id.in_(known),
                )
            )
        )
        if already and "attendees" not in errors:
            names = session.scalars(
                select(User.display_name).where(User.id.in_(already)).order_by(User.username)
            )
            errors["attendees"] = f"已登记为本场参训人员：{'、'.join(names)}"
        if errors:
            raise PayloadInvalid(errors)
        session.add_all(TrainingAttendance(session_id=row.id, user_id=u) for u in known)
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="training.attendance",
            subject=f"training:{row.id}",
            payload={"attendees": known},
            at=now,
        )
        uow.commit()
    return known


@dataclass(frozen=True)
class SessionLine:
    session: TrainingSession
    attendees: int  # of them, inside the reader's jurisdiction


def sessions_of(session: Session, actor: Actor, year: int) -> list[SessionLine]:
    """Sessions held in `year` that someone in the actor's reach attended, newest first."""
    count = func.count(TrainingAttendance.id)
    rows = session.execute(
        select(TrainingSession, count)
        .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
        .join(User, User.id == TrainingAttendance.user_id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            TrainingSession.held_on.between(date(year, 1, 1), date(year, 12, 31)),
            in_jurisdiction(OrgUnit.path, actor),
        )
        .group_by(TrainingSession.id)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
    ).all()
    return [SessionLine(s, int(n)) for s, n in rows]


@dataclass(frozen=True)
class Untrained:
    user_id: int
    username: str
    display_name: str
    unit_name: str


def untrained(session: Session, actor: Actor, year: int) -> list[Untrained]:
    """Case staff in the actor's reach who attended no session held in `year`."""
    trained = exists().where(
        TrainingAttendance.user_id == User.id,
        TrainingAttendance.session_id == TrainingSession.id,
        TrainingSession.held_on.between(date(year, 1, 1), date(year, 12, 31)),
    )
    rows = session.execute(
        select(User.id, User.username, User.display_name, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(_staff(actor), ~trained)
        .order_by(OrgUnit.path, User.username)
    ).all()
    return [Untrained(*row) for row in rows]
