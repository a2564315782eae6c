"""Signing in: the throttle, the account lookup and the password check in one place, and the
signed-in identity a web session keeps (detached from any database session). (No one co-signs
with a password at the desk any more: a duplicate-check override is granted by a township
reviewer or leader in their own session — caseflow.casework.overrides.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.accounts import throttle
from caseflow.accounts.users import password_matches
from caseflow.db.models import User
from caseflow.kernel.actors import Actor


@dataclass(frozen=True)
class Identity:
    """A signed-in account as a web session keeps it between requests."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[str]
    org_path: str
    org_name: str
    active: bool
    token: str  # see session_token

    @property
    def actor(self) -> Actor:
        """The core's view of this account."""
        return Actor(self.user_id, self.username, self.roles, self.org_path)


def session_token(user: User) -> str:
    """Part of the password hash: changing the password signs out every other session."""
    return user.password_hash[-12:]


def identity_of(user: User) -> Identity:
    """The identity of a loaded account."""
    return Identity(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(user.role_names),
        org_path=user.org_unit.path,
        org_name=user.org_unit.name,
        active=user.active,
        token=session_token(user),
    )


def signed_in(session: Session, user_id: int, token: str) -> Identity | None:
    """The identity behind a stored sign-in, or None once the account is inactive or its
    password changed."""
    user = session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active or session_token(user) != token:
        return None
    return identity_of(user)


class SignInRefused(Exception):
    """Sign-in refused; `message_zh` says why."""

    def __init__(self, message_zh: str) -> None:
        self.message_zh = message_zh
        super().__init__(message_zh)


class TooManyFailures(SignInRefused):
    """The username is throttled after repeated failures."""


class WrongPassword(SignInRefused):
    """Unknown or inactive username, or a wrong password (never said which)."""


def sign_in(
    session: Session, username: str, password: str, remote_addr: str, now: datetime
) -> Identity:
    """Check a sign-in and record the attempt (failures are kept, each at once)."""
    if throttle.is_locked(session, username, now):
        raise TooManyFailures("登录失败次数过多，请 15 分钟后再试")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not password_matches(user, password):
        throttle.record(session, username, remote_addr, False, now)
        raise WrongPassword("用户名或密码不正确")
    identity = identity_of(user)
    throttle.record(session, username, remote_addr, True, now)
    return identity
