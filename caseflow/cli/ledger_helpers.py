"""Small helpers for the `caseflow ledger` commands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import User
from caseflow.kernel.actors import Actor


def actor_by_username(session: Session, username: str | None) -> Actor | None:
    """The actor for an active user, None without a name; LookupError (Chinese) if unknown."""
    if username is None:
        return None
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise LookupError(f"用户不存在或已停用：{username}")
    return Actor.from_user(user)
