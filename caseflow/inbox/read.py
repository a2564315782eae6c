"""The notifications inbox: a user's reminders, escalations and returned cases.

Every function takes the user id and filters on it in SQL: nobody lists or marks another
user's notifications. Marking commits (a unit of work of its own, like claiming a case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
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
    """The user's notifications, newest first, one page at a time."""
    conds = [Notification.user_id == user_id]
    if unread_only:
        conds.append(Notification.read_at.is_(None))
    total = int(session.scalar(select(func.count()).where(*conds)) or 0)
    page = max(1, page)
    rows = session.execute(
        select(Notification, Case.case_no)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(*conds)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
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
            read_at=n.read_at,
        )
        for n, case_no in rows
    ]
    return InboxPage(items, total, page, per_page, unread=unread_count(session, user_id))


def notification_case(session: Session, user_id: int, notification_id: int) -> int | None:
    """The case a notification of this user points to (None if not the user's or no case)."""
    return session.scalar(
        select(Notification.case_id).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def owns(session: Session, user_id: int, notification_id: int) -> bool:
    """Whether the notification exists and belongs to the user."""
    found = session.scalar(
        select(Notification.id).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    return found is not None


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs (or not found)."""
    require_aware(now, "now")
    with UnitOfWork(session) as uow:
        if not owns(session, user_id, notification_id):
            return False  # nothing written: the unit rolls back
        session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=now)
        )
        uow.commit()
    return True


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    require_aware(now, "now")
    with UnitOfWork(session) as uow:
        result = session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now)
        )
        uow.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
