"""Notifications: an in-app inbox row in the same transaction, and outside senders after commit.

E-mail and SMS sit behind one small `Sender` interface; the default sender only logs, because a
township office must keep working when no mail or SMS gateway is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from caseflow.db.models import Notification, OrgUnit, User, UserRole

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    user_id: int
    title: str
    body: str
    case_id: int | None = None


class Sender(Protocol):
    """Delivers a message outside the application (e-mail, SMS)."""

    def send(self, message: Message) -> None: ...


class LoggingSender:
    """The default sender: writes that a message went out, by ids only.

    Titles and bodies carry applicants' names and hardship reasons; a server log is read by
    operators who have no business with them (the inbox row holds the text for its recipient).
    """

    def send(self, message: Message) -> None:
        log.info("notify user %s about case %s", message.user_id, message.case_id)


SENDERS: list[Sender] = [LoggingSender()]


def recipients(
    session: Session, org_path: str, roles: set[str], *, district_only: bool = False
) -> list[int]:
    """Active users holding one of `roles` whose unit contains `org_path` (its township or the
    district above it)."""
    stmt = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.active, UserRole.role.in_(roles), literal(org_path).startswith(OrgUnit.path))
        .distinct()
    )
    if district_only:
        stmt = stmt.where(OrgUnit.level == "district")
    return sorted(session.scalars(stmt))


def notify(
    session: Session,
    user_ids: list[int],
    *,
    case_id: int | None,
    kind: str,
    title: str,
    body: str,
    now: datetime,
) -> list[Message]:
    """Add inbox rows (caller's transaction); return the messages to send after commit."""
    messages = []
    for uid in user_ids:
        session.add(
            Notification(
                user_id=uid, case_id=case_id, kind=kind, title=title, body=body, created_at=now
            )
        )
        messages.append(Message(uid, title, body, case_id))
    return messages


def deliver(messages: list[Message]) -> None:
    """Hand messages to the outside senders; a failing sender is logged, never raised."""
    for message in messages:
        for sender in SENDERS:
            try:
                sender.send(message)
            except Exception:
                log.exception("sender %s failed", type(sender).__name__)
