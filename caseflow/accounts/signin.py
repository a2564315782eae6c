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
from caseflow.accounts.users import password_matches, spend_a_password_check
from caseflow.db.models import User
from caseflow.engine.uow import UnitOfWork
from caseflow.institutions.models import Institution
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
    institution_id: int | None = None  # an institution's staff (roles and path already cut)

    @property
    def actor(self) -> Actor:
        """The core's view of this account."""
        return Actor(self.user_id, self.username, self.roles, self.org_path, self.institution_id)


def session_token(user: User) -> str:
    """The account's session generation: raised on sign-out, password change and an admin's
    reset, which ends every session signed in before."""
    return str(user.session_generation)


def identity_of(user: User, session: Session | None = None) -> Identity:
    """The identity of a loaded account (an institution's staff: the roles and path their
    binding allows, kernel.actors.account_reach, and the institution's name as their unit)."""
    actor = Actor.from_user(user)
    org_name = user.org_unit.name
    if user.institution_id is not None and session is not None:
        org_name = (
            session.scalar(select(Institution.name).where(Institution.id == user.institution_id))
            or org_name
        )
    return Identity(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=actor.roles,
        org_path=actor.org_path,
        org_name=org_name,
        active=user.active,
        token=session_token(user),
        institution_id=actor.institution_id,
    )


def signed_in(session: Session, user_id: int, token: str) -> Identity | None:
    """The identity behind a stored sign-in, or None once the account is inactive or its
    session generation moved on (signed out, password changed or reset)."""
    user = session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active or session_token(user) != token:
        return None
    return identity_of(user, session)


class SignInRefused(Exception):
    """Sign-in refused; `message_zh` says why."""

    def __init__(self, message_zh: str) -> None:
        self.message_zh = message_zh
        super().__init__(message_zh)


class TooManyFailures(SignInRefused):
    """Too many failures lately: wait `seconds` before the next attempt."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(f"密码错误次数过多，请 {seconds} 秒后再试")


class WrongPassword(SignInRefused):
    """Unknown or inactive username, or a wrong password (never said which)."""


def sign_in_keys(username: str, remote_addr: str, device: str | None) -> list[throttle.Key]:
    """The throttle scopes an attempt counts in: only its own browser's when the account signed
    in on this browser before (nobody else can make the owner wait there), else the address's
    and the account's."""
    if device:
        return [throttle.key(throttle.DEVICE, f"{device}:{username}")]
    return [
        throttle.key(throttle.ADDRESS, remote_addr or "-"),
        throttle.key(throttle.ACCOUNT, username),
    ]


def sign_in(
    session: Session,
    username: str,
    password: str,
    remote_addr: str,
    now: datetime,
    device: str | None = None,
) -> Identity:
    """Check a sign-in and record the attempt. `device` is the id of a browser the account
    signed in on before (the web keeps it in a signed cookie), else None. TooManyFailures says
    how long to wait; an unknown or inactive account costs the same password check as a real
    one, so timing tells nothing."""
    username = username[:64]
    keys = sign_in_keys(username, remote_addr, device)
    wait = throttle.wait_seconds(session, keys, now)
    if wait:
        raise TooManyFailures(wait)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        spend_a_password_check(password)
        ok = False
    else:
        ok = password_matches(user, password)
    attempt = throttle.Attempt(username, remote_addr)
    if not ok:
        throttle.record_failure(session, keys, now, attempt)
        raise WrongPassword("用户名或密码不正确")
    assert user is not None
    cleared = [k for k in keys if k[0] != throttle.ADDRESS]
    throttle.record_success(session, cleared, now, attempt)
    return identity_of(user, session)


def end_sessions(session: Session, user_id: int) -> None:
    """Sign out every session of the account (the generation moves on)."""
    with UnitOfWork(session) as uow:
        user = session.get(User, user_id, populate_existing=True)
        if user is not None:
            bump_generation(user)
        uow.commit()


def bump_generation(user: User) -> None:
    """Move the account's session generation on (inside the caller's unit of work): every
    cookie signed in before is refused from then on."""
    user.session_generation = (user.session_generation or 0) + 1
