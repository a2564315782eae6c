"""The unit of work: nothing is kept unless committed, joined units commit together, follow-up
work runs once after the commit (never after a rollback), database conflicts leave as
ConcurrencyConflict."""

from __future__ import annotations

import pytest
from engine_world import Desk
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from support import T0

from caseflow.accounts.orgs import unit_by_code
from caseflow.accounts.users import new_user
from caseflow.db.models import Household
from caseflow.engine.uow import UnitOfWork, active_unit, is_conflict, on_commit
from caseflow.kernel.errors import ConcurrencyConflict
from caseflow.kernel.roles import Role


def _add(session: Session, name: str, *, flush: bool = True) -> None:
    township = unit_by_code(session, "640502100")
    session.add(
        Household(org_unit_id=township.id, org_path=township.path, head_name=name, created_at=T0)
    )
    if flush:
        session.flush()


def _names(session: Session) -> set[str]:
    names = set(session.scalars(select(Household.head_name)))
    session.rollback()
    return names - {"王大明"}  # the template's household


def test_a_committed_unit_keeps_its_writes(session: Session) -> None:
    with UnitOfWork(session) as uow:
        _add(session, "甲")
        uow.commit()
    assert _names(session) == {"甲"}
    assert active_unit(session) is None


def test_leaving_without_commit_rolls_back(session: Session) -> None:
    with UnitOfWork(session):
        _add(session, "甲")
    assert _names(session) == set()


def test_an_exception_rolls_back_and_leaves_as_itself(session: Session) -> None:
    with pytest.raises(ValueError, match="boom"), UnitOfWork(session):
        _add(session, "甲")
        raise ValueError("boom")
    assert _names(session) == set()
    assert active_unit(session) is None


def test_joined_units_commit_together(session: Session) -> None:
    with UnitOfWork(session) as outer:
        _add(session, "甲")
        with UnitOfWork(session) as inner:
            assert inner.joined and not outer.joined
            assert active_unit(session) is outer
            _add(session, "乙")
            inner.commit()  # a no-op: the outer unit decides
        assert session.in_transaction()
        outer.commit()
    assert _names(session) == {"甲", "乙"}


def test_joined_units_roll_back_together(session: Session) -> None:
    with UnitOfWork(session):
        _add(session, "甲")
        with UnitOfWork(session) as inner:
            _add(session, "乙")
            inner.commit()
        # The outer unit ends without commit: the inner unit's "commit" is undone too.
    assert _names(session) == set()


def test_follow_up_work_runs_once_after_commit(session: Session) -> None:
    ran: list[tuple[str, bool]] = []
    with UnitOfWork(session) as uow:
        _add(session, "甲")
        uow.on_commit(lambda: ran.append(("first", session.in_transaction())))
        on_commit(session, lambda: ran.append(("second", session.in_transaction())))
        assert ran == []
        uow.commit()
        assert [name for name, _ in ran] == ["first", "second"]
    # Outside the committed transaction, in order, once.
    assert ran == [("first", False), ("second", False)]


def test_follow_up_work_is_dropped_on_rollback(session: Session) -> None:
    ran: list[str] = []
    with UnitOfWork(session) as uow:
        uow.on_commit(lambda: ran.append("dropped"))
    with UnitOfWork(session) as uow:  # a later unit does not run the dropped work
        _add(session, "甲")
        uow.commit()
    session.commit()
    assert ran == []


def test_follow_up_work_of_a_joined_unit_waits_for_the_outer_commit(session: Session) -> None:
    ran: list[str] = []
    with UnitOfWork(session) as outer:
        with UnitOfWork(session) as inner:
            inner.on_commit(lambda: ran.append("inner"))
            inner.commit()
        assert ran == []
        outer.commit()
    assert ran == ["inner"]


def test_a_failing_follow_up_does_not_stop_the_next(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken() -> None:
        _add(session, "半截")  # begins a transaction the unit must end
        raise RuntimeError("mail server down")

    with UnitOfWork(session) as uow:
        _add(session, "甲")
        uow.on_commit(broken)
        uow.on_commit(lambda: ran.append("next"))
        uow.commit()
    assert ran == ["next"]
    assert "follow-up work after commit failed" in caplog.text
    assert _names(session) == {"甲"}


def test_an_integrity_error_leaves_as_a_concurrency_conflict(session: Session) -> None:
    township = unit_by_code(session, "640502100")
    session.commit()
    with pytest.raises(ConcurrencyConflict) as err, UnitOfWork(session):
        _add(session, "甲")
        session.add(new_user("clerk", "重名", township, [Role.CLERK], T0))  # username taken
        session.flush()
    assert isinstance(err.value.__cause__, IntegrityError)
    assert _names(session) == set()


def test_an_integrity_error_at_commit_is_a_conflict_too(session: Session) -> None:
    township = unit_by_code(session, "640502100")
    session.commit()
    with pytest.raises(ConcurrencyConflict), UnitOfWork(session) as uow:
        session.add(new_user("clerk", "重名", township, [Role.CLERK], T0))
        uow.commit()  # the flush inside commit fails
    assert active_unit(session) is None
    assert _names(session) == set()


def test_which_database_errors_are_conflicts() -> None:
    locked = OperationalError("UPDATE cases", {}, Exception("database is locked"))
    deadlock = OperationalError("UPDATE cases", {}, Exception("deadlock detected"))
    missing = OperationalError("SELECT", {}, Exception("no such table: cases"))
    unique = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert is_conflict(locked) and is_conflict(deadlock) and is_conflict(unique)
    assert is_conflict(StaleDataError("expected to update 1 row"))
    assert not is_conflict(missing) and not is_conflict(ValueError("x"))


def test_pending_changes_refuse_a_new_unit(session: Session) -> None:
    _add(session, "未提交", flush=False)
    with pytest.raises(RuntimeError, match="without pending changes"), UnitOfWork(session):
        pass  # pragma: no cover
    session.rollback()
    assert _names(session) == set()


def test_flushed_writes_of_the_caller_are_not_committed_by_a_new_unit(session: Session) -> None:
    _add(session, "已flush未提交")  # flushed: session.new is empty, the row is in the transaction
    with pytest.raises(RuntimeError), UnitOfWork(session):
        pass  # pragma: no cover
    session.rollback()
    assert _names(session) == set()


def test_a_read_transaction_is_ended_before_the_unit_begins(session: Session) -> None:
    loaded = session.scalars(select(Household)).one()  # a page that looked before it acted
    assert session.in_transaction()
    with UnitOfWork(session) as uow:
        _add(session, "甲")
        uow.commit()
    assert loaded.head_name == "王大明"  # still usable: ended by commit, not rolled back
    assert _names(session) == {"甲"}


def test_on_commit_needs_a_unit(session: Session) -> None:
    with pytest.raises(RuntimeError, match="needs a unit of work"):
        on_commit(session, lambda: None)


def test_two_fires_in_one_unit_commit_together_or_not_at_all(desk: Desk) -> None:
    first, second = desk.open(), desk.open()
    with UnitOfWork(desk.session):
        desk.fire(first, "submit", "clerk")
        desk.fire(second, "submit", "clerk")
        # No commit: a use case that failed after both transitions.
    assert (desk.case(first).state, desk.case(second).state) == ("filed", "filed")
    with UnitOfWork(desk.session) as uow:
        desk.fire(first, "submit", "clerk")
        desk.fire(second, "submit", "clerk")
        uow.commit()
    assert (desk.case(first).state, desk.case(second).state) == ("checking", "checking")
