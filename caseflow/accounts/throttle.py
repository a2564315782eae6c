"""Sign-in throttling: after 5 failures in 15 minutes a username is refused for a while (logged)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import LoginAttempt
from caseflow.engine.uow import UnitOfWork

log = logging.getLogger("caseflow.security")

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def is_locked(session: Session, username: str, now: datetime) -> bool:
    """True when the username has MAX_FAILURES failures within the window."""
    failures = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == username[:64],
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= now - WINDOW,
        )
    )
    return (failures or 0) >= MAX_FAILURES


def record(session: Session, username: str, remote_addr: str, ok: bool, now: datetime) -> None:
    """Store the attempt (committed at once, so a crash later cannot erase a failure)."""
    with UnitOfWork(session) as uow:
        session.add(
            LoginAttempt(username=username[:64], remote_addr=remote_addr[:64], succeeded=ok, at=now)
        )
        uow.commit()
    if not ok:
        log.warning("failed sign-in for %r from %s", username[:64], remote_addr)
