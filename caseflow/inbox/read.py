"""The notifications inbox: a user's reminders, escalations and returned cases.

Every function takes the user id and filters on it in SQL: nobody lists or marks another
user's notifications. Marking commits (a unit of work of its own, like claiming a case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Notification
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.paging import Page
from caseflow.kernel.timeutil import require_aware

KIND_LABELS = {
    "reminder": "即将到期提醒",
    "overdue": "逾期",
    "escalated": "督办",
    "returned": "退回",
    "supervision": "督办意见",
    "filing": "备案",
    "new_work": "紧急待办",
}


@dataclass(frozen=True)
class InboxItem:
    id: int
    case_id: int | None
    case_no: str | None
    kind: str
    kind_label: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    # The entries of the same case folded into this line (this one is the newest of them).
    count: int = 1
    unread_in_group: int = 0


@dataclass(frozen=True)
class InboxPage(Page[InboxItem]):
    """A page of the inbox with the unread count."""

    unread: int


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (served by ix_notifications_user_unread)."""
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.scalar(stmt) or 0)


def inbox_page(
    session: Session,
    user_id: int,
    *,
    unread_only: bool = False,
    page: int = 1,
    per_page: int = 30,
) -> InboxPage:
    """The user's notifications, one line per case (the newest entry, with how many there are
    and how many unread) and one per entry without a case, newest first, a page at a time."""
    conds = [Notification.user_id == user_id]
    if unread_only:
        conds.append(Notification.read_at.is_(None))
    # The group: the case, or the entry itself when it names none (negative ids never clash).
    key = func.coalesce(Notification.case_id, -Notification.id)
    groups = (
        select(
            func.max(Notification.id).label("newest"),
            func.count().label("n"),
            func.coalesce(func.sum(case((Notification.read_at.is_(None), 1), else_=0)), 0).label(
                "unread"
            ),
            func.max(Notification.created_at).label("latest"),
        )
        .where(*conds)
        .group_by(key)
        .subquery("groups")
    )
    total = int(session.scalar(select(func.count()).select_from(groups)) or 0)
    page = max(1, page)
    rows = session.execute(
        select(Notification, Case.case_no, groups.c.n, groups.c.unread)
        .join(groups, groups.c.newest == Notification.id)
        .outerjoin(Case, Case.id == Notification.case_id)
        .order_by(groups.c.latest.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        InboxItem(
            id=n.id,
            case_id=n.case_id,
            case_no=case_no,
            kind=n.kind,
            kind_label=KIND_LABELS.get(n.kind, n.kind),
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read_at=n.read_at if not unread else None,
            count=int(count),
            unread_in_group=int(unread),
        )
        for n, case_no, count, unread in rows
    ]
    return InboxPage(items, total, page, per_page, unread=unread_count(session, user_id))


def notification_case(session: Session, user_id: int, notification_id: int) -> int | None:
    """The case a notification of this user points to (None if not the user's or no case)."""
    return session.scalar(
        select(Notification.case_id).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def _mark(session: Session, user_id: int, now: datetime, *where: Any) -> int | None:
    """Mark the user's unread notifications matching `where` read, in a unit of work of its
    own; how many changed, or None (nothing written) when the user has none matching at all."""
    require_aware(now, "now")
    mine = [Notification.user_id == user_id, *where]
    with UnitOfWork(session) as uow:
        if session.scalar(select(Notification.id).where(*mine).limit(1)) is None:
            return None  # another user's look the same as none
        result = session.execute(
            update(Notification).where(*mine, Notification.read_at.is_(None)).values(read_at=now)
        )
        uow.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs (or not found)."""
    return _mark(session, user_id, now, Notification.id == notification_id) is not None


def mark_case_read(session: Session, user_id: int, case_id: int, now: datetime) -> int | None:
    """Mark every unread notification of the user about one case read; how many changed, or
    None when the user has no notification about that case."""
    return _mark(session, user_id, now, Notification.case_id == case_id)


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return _mark(session, user_id, now) or 0
