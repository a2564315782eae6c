"""Back-off after failed password checks: a growing wait, never a lock-out.

Each failure counts in one or more scopes, each with its own allowance and longest wait:

- ADDRESS: every sign-in from one address, whatever the username (a burst across many accounts
  is slowed);
- ACCOUNT: an account tried from browsers it never signed in on (guessing from many addresses
  is slowed, but the owner's own browsers never wait for it: see DEVICE);
- DEVICE: one browser the account has signed in on before (signed cookie): only that browser's
  own failures count, so nobody else can make the owner wait there;
- PASSWORD: a signed-in user's current-password check on the password page.

After `free` failures the next attempt waits 1 s, then 2 s, 4 s … up to `cap`; failures are
forgotten after FORGET_AFTER without one. The state lives in the database (sign_in_guards) so
several app servers share it; every change is one short unit of work.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from caseflow.db.engine import is_postgres
from caseflow.db.models import LoginAttempt, SignInGuard
from caseflow.engine.uow import UnitOfWork

log = logging.getLogger("caseflow.security")

ADDRESS = "address"
ACCOUNT = "account"
DEVICE = "device"
PASSWORD = "password"


@dataclass(frozen=True)
class Rule:
    """Failures allowed before any wait, and the longest wait."""

    free: int
    cap: timedelta


RULES = {
    # An office shares one address behind its router: room for everyone's typing errors.
    ADDRESS: Rule(free=10, cap=timedelta(minutes=15)),
    # Short cap: a stranger can make a new browser of the owner's wait, never for long.
    ACCOUNT: Rule(free=5, cap=timedelta(minutes=5)),
    DEVICE: Rule(free=5, cap=timedelta(minutes=15)),
    PASSWORD: Rule(free=3, cap=timedelta(minutes=15)),
}
FORGET_AFTER = timedelta(hours=1)
# Rows untouched this long are deleted as failures are recorded (unknown usernames add rows).
PRUNE_AFTER = timedelta(days=1)
MAX_DOUBLINGS = 20  # 2**20 s is far beyond every cap: no huge powers

Key = tuple[str, str]


def key(scope: str, value: str) -> Key:
    """A (scope, key) pair, the key cut to the column's width."""
    return scope, value[:160]


def wait_seconds(session: Session, keys: Iterable[Key], now: datetime) -> int:
    """Whole seconds until every one of `keys` accepts an attempt (0: go ahead)."""
    wanted = list(keys)
    if not wanted:
        return 0
    until = session.scalars(
        select(SignInGuard.blocked_until).where(
            tuple_(SignInGuard.scope, SignInGuard.key).in_(wanted),
            SignInGuard.blocked_until > now,
        )
    ).all()
    if not until:
        return 0
    return max(1, math.ceil((max(u for u in until if u is not None) - now).total_seconds()))


def _delay(rule: Rule, failures: int) -> timedelta | None:
    over = failures - rule.free
    if over <= 0:
        return None
    return min(timedelta(seconds=2 ** min(over - 1, MAX_DOUBLINGS)), rule.cap)


def _count_failure(session: Session, scope: str, value: str, now: datetime) -> None:
    insert = pg_insert if is_postgres(session) else sqlite_insert
    # Insert-or-keep, then lock the row: concurrent first failures never collide.
    session.execute(
        insert(SignInGuard)
        .values(scope=scope, key=value, failures=0, last_failure_at=now)
        .on_conflict_do_nothing()
    )
    row = session.scalars(
        select(SignInGuard)
        .where(SignInGuard.scope == scope, SignInGuard.key == value)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if now - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = _delay(RULES[scope], row.failures)
    row.blocked_until = now + delay if delay is not None else None


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt, for the security log (login_attempts)."""

    username: str
    remote_addr: str

    def row(self, ok: bool, now: datetime) -> LoginAttempt:
        """The log row of this attempt."""
        return LoginAttempt(
            username=self.username[:64], remote_addr=self.remote_addr[:64], succeeded=ok, at=now
        )


def record_failure(
    session: Session, keys: Iterable[Key], now: datetime, attempt: Attempt | None = None
) -> None:
    """Count a failure in every scope of `keys` (one unit of work, committed at once so a crash
    later cannot erase it); a sign-in `attempt` is logged too."""
    with UnitOfWork(session) as uow:
        for scope, value in keys:
            _count_failure(session, scope, value, now)
        if attempt is not None:
            session.add(attempt.row(False, now))
        session.execute(delete(SignInGuard).where(SignInGuard.last_failure_at < now - PRUNE_AFTER))
        uow.commit()
    who = attempt or Attempt("", "")
    log.warning("failed password check for %r from %s", who.username[:64], who.remote_addr)


def record_success(
    session: Session, cleared: Iterable[Key], now: datetime, attempt: Attempt | None = None
) -> None:
    """Forget the failures of `cleared` (never the address's: signing in to one's own account
    must not buy more guesses at others'); a sign-in `attempt` is logged."""
    with UnitOfWork(session) as uow:
        clear(session, cleared)
        if attempt is not None:
            session.add(attempt.row(True, now))
        uow.commit()


def clear(session: Session, keys: Iterable[Key]) -> None:
    """Forget the failures of `keys` (inside the caller's unit of work)."""
    wanted = list(keys)
    if wanted:
        session.execute(
            delete(SignInGuard).where(tuple_(SignInGuard.scope, SignInGuard.key).in_(wanted))
        )
