"""Guards: a named guard that refuses stops the transition with its reason in Chinese, having
written nothing; available_transitions offers exactly what fire() accepts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from engine_world import NOTE_MISSING, OVER_LIMIT, Desk

from caseflow.engine.fire import available_transitions
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.errors import CaseflowError, GuardFailed, PermissionDenied

PAYLOADS: dict[str, dict[str, Any]] = {"note": {"text": "补充说明"}, "approve": {"amount": 500}}


def test_a_guard_refuses_with_its_reason_and_nothing_is_written(desk: Desk) -> None:
    case_id = desk.at_checking(noted=False)
    before = desk.snapshot(case_id)
    with pytest.raises(GuardFailed) as err:
        desk.fire(case_id, "approve", "reviewer", {"amount": 500})
    assert err.value.guard == "paper_noted"
    assert err.value.message_zh == NOTE_MISSING
    assert desk.snapshot(case_id) == before
    desk.fire(case_id, "note", "reviewer", {"text": "已核对"})
    assert desk.fire(case_id, "approve", "reviewer", {"amount": 500}).to_state == "approved"


def test_a_payload_guard_is_judged_on_submit_only(desk: Desk) -> None:
    case_id = desk.at_checking()
    # The preview cannot know the amount: approve is offered, unblocked.
    assert desk.offered(case_id, "reviewer")["approve"] is None
    before = desk.snapshot(case_id)
    with pytest.raises(GuardFailed) as err:
        desk.fire(case_id, "approve", "reviewer", {"amount": 100_001})
    assert (err.value.guard, err.value.message_zh) == ("paper_within_limit", OVER_LIMIT)
    assert desk.snapshot(case_id) == before
    assert desk.fire(case_id, "approve", "reviewer", {"amount": 100_000}).to_state == "approved"


def test_roles_are_checked_before_guards(desk: Desk) -> None:
    # No note: the guard would refuse. The district approver holds a role `approve` names, so
    # the guard is judged and gives its reason; a supervisor does not, so it never is.
    case_id = desk.at_checking(noted=False)
    with pytest.raises(GuardFailed):
        desk.fire(case_id, "approve", "approver", {"amount": 500})
    with pytest.raises(PermissionDenied):
        desk.fire(case_id, "approve", "supervisor", {"amount": 500})


def _situations(desk: Desk) -> dict[str, int]:
    """Cases in every situation the paper workflow's rules distinguish."""
    filed = desk.open()
    bare = desk.at_checking(noted=False)
    noted = desk.at_checking()
    by_dual = desk.open(by="dual")
    desk.fire(by_dual, "submit", "dual")
    desk.fire(by_dual, "note", "reviewer2", {"text": "材料齐全"})
    closed = desk.at_checking()
    desk.fire(closed, "refuse", "reviewer")
    return {"filed": filed, "bare": bare, "noted": noted, "by_dual": by_dual, "closed": closed}


def _outcome(desk: Desk, attempt: Callable[[], object]) -> str | None:
    """'ok', a guard's reason, or None when fire() refused for any other reason — inside a unit
    of work that is never committed, so every attempt starts from the same case."""
    with UnitOfWork(desk.session):
        try:
            attempt()
        except GuardFailed as exc:
            return exc.message_zh
        except CaseflowError:
            return None
        return "ok"


def test_available_transitions_offer_exactly_what_fire_accepts(desk: Desk) -> None:
    wf = desk.reg.workflow("paper")
    compared = 0
    for situation, case_id in _situations(desk).items():
        before = desk.snapshot(case_id)
        case = desk.case(case_id)
        for user, actor in desk.actors.items():
            offered = {
                a.trigger: a.blocked_reason or "ok"
                for a in available_transitions(
                    desk.session, case, actor, desk.now, include_blocked=True, reg=desk.reg
                )
            }
            desk.session.commit()
            accepted: dict[str, str] = {}
            for trigger in sorted(wf.triggers):
                attempt = partial(desk.fire, case_id, trigger, user, PAYLOADS.get(trigger))
                outcome = _outcome(desk, attempt)
                if outcome is not None:
                    accepted[trigger] = outcome
            assert offered == accepted, (situation, user)
            compared += 1
        assert desk.snapshot(case_id) == before, situation
    assert compared == 5 * len(desk.actors)


def test_the_offer_is_not_vacuous(desk: Desk) -> None:
    # The comparison above sees refusals of every kind and acceptances.
    case_id = desk.at_checking(noted=False)
    assert desk.offered(case_id, "reviewer") == {
        "note": None,
        "send_back": None,
        "approve": NOTE_MISSING,
        "refuse": None,
    }
