"""One unit of work for every write.

    with UnitOfWork(session) as uow:
        ...                       # reads and writes on uow.session
        uow.commit()              # the only commit; after it, the queued follow-up work runs once

Leaving the block without `commit()` — an exception, an early return — rolls everything back.
A database conflict (a compare-and-set that lost, a unique key taken by a concurrent writer, a
lock or deadlock) leaves as `ConcurrencyConflict`, so callers handle one error type for "someone
else got there first". A unit opened while another is active on the same session joins it: its
`commit()` is a no-op and its follow-up work waits for the outer commit — so two `fire()` calls
(or an intake that opens a case and sends the one-time notice) commit together or not at all.

Follow-up work (`on_commit`) is what must happen only once the change is durable — notifications
to outside senders, after-commit hooks that fire further transitions in units of their own. It
runs after the commit, outside the unit, in order; it is dropped on rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from caseflow.db.engine import begin_writer
from caseflow.db.failures import Failure, database_failure
from caseflow.kernel.errors import ConcurrencyConflict, DatabaseBusy

log = logging.getLogger(__name__)

_ACTIVE = "caseflow.uow"  # session.info key: the outermost unit of work in progress
_FLUSHED = "caseflow.flushed"  # session.info key: ORM writes flushed in the open transaction

FollowUp = Callable[[], None]
T = TypeVar("T")


class UnitOfWork:
    """Begin, roll back unless committed, map conflicts, run follow-up work after commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._outer: UnitOfWork | None = None
        self._follow_ups: list[FollowUp] = []
        self._committed = False
        # Reads a guard and the effects of one transition share (a household and its members),
        # kept for the unit's transaction only: they die with it, committed or not.
        self.memo: dict[Any, Any] = {}

    @property
    def joined(self) -> bool:
        """True when this unit is part of an outer one on the same session."""
        return self._outer is not None

    def __enter__(self) -> UnitOfWork:
        outer = self.session.info.get(_ACTIVE)
        if outer is not None:
            self._outer = outer
            return self
        session = self.session
        if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
            # Writes of the caller's own would be committed with this unit, or lost with it:
            # the caller must commit or roll them back first.
            raise RuntimeError("a unit of work needs a session without pending changes")
        if session.in_transaction():
            # A transaction left by the caller's reads (a page that looked before it acted):
            # end it, so this unit's locks are taken on fresh data. Ended by commit, as fire()
            # always has — it holds no writes (checked above), and a rollback would expire and
            # detach what the caller had loaded.
            session.commit()
        session.info[_ACTIVE] = self
        try:
            begin_writer(session)
        except BaseException as exc:
            self._close()
            session.rollback()
            if is_busy(exc):
                raise DatabaseBusy(detail=str(exc)) from exc
            raise
        return self

    def on_commit(self, fn: FollowUp) -> None:
        """Run `fn` once after the outermost unit commits; drop it if the unit rolls back."""
        if self._outer is not None:
            self._outer.on_commit(fn)
        else:
            self._follow_ups.append(fn)

    def commit(self) -> None:
        """Commit (the outermost unit only), then run the follow-up work."""
        if self._outer is not None:
            return
        try:
            self.session.commit()
        except BaseException:
            self._close()
            self.session.rollback()
            raise
        self._committed = True
        self._close()
        follow_ups, self._follow_ups = self._follow_ups, []
        for fn in follow_ups:
            try:
                fn()
            except Exception:  # follow-up work must never undo or block a committed change
                if self.session.in_transaction():
                    self.session.rollback()
                log.exception("follow-up work after commit failed")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._outer is None and not self._committed:
            self._close()
            self._follow_ups.clear()
            self.session.rollback()
        if exc is not None and is_busy(exc):
            raise DatabaseBusy(detail=str(exc)) from exc
        if exc is not None and is_conflict(exc):
            raise ConcurrencyConflict(detail=str(exc)) from exc

    def _close(self) -> None:
        if self.session.info.get(_ACTIVE) is self:
            del self.session.info[_ACTIVE]


def track_flushed_writes() -> None:
    """Mark a session whose open transaction holds flushed ORM writes (cleared when it ends),
    so a unit of work refuses to begin on top of them. Installed once by the composition root."""
    if event.contains(Session, "after_flush", _flushed):
        return
    event.listen(Session, "after_flush", _flushed)
    event.listen(Session, "after_commit", _ended)
    event.listen(Session, "after_rollback", _ended)


def _flushed(session: Session, _context: Any) -> None:
    session.info[_FLUSHED] = True


def _ended(session: Session) -> None:
    session.info.pop(_FLUSHED, None)


def is_conflict(exc: BaseException) -> bool:
    """A database refusal that means a concurrent writer won, not a bug."""
    if isinstance(exc, StaleDataError | IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return "locked" in text or "deadlock" in text
    return False


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked": the busy timeout ran out while others wrote."""
    return database_failure(exc) is Failure.BUSY


def active_unit(session: Session) -> UnitOfWork | None:
    """The unit of work in progress on `session`, if any."""
    active: Any = session.info.get(_ACTIVE)
    return active if isinstance(active, UnitOfWork) else None


def memoized(session: Session, key: Any, load: Callable[[], T]) -> T:
    """`load()` once per unit of work on `session` (every time when no unit is active)."""
    unit = active_unit(session)
    if unit is None:
        return load()
    root = unit._outer or unit
    if key not in root.memo:
        root.memo[key] = load()
    return cast(T, root.memo[key])


def on_commit(session: Session, fn: FollowUp) -> None:
    """Queue `fn` on the unit of work in progress on `session` (effects use this)."""
    unit = active_unit(session)
    if unit is None:
        raise RuntimeError("on_commit() needs a unit of work in progress")
    unit.on_commit(fn)
