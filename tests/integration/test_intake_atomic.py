"""Intake opens a case and issues its one-time notice (一次性告知) in ONE unit of work: both are
committed together or not at all, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from support import T0, World

from caseflow.casework import intake
from caseflow.casework.intake import IntakeRequest, start_case
from caseflow.db.models import Case, CaseEvent, Deadline
from caseflow.engine.fire import open_case
from caseflow.kernel.errors import ConcurrencyConflict


def dibao_request(household_id: int) -> IntakeRequest:
    """A 低保 application with its written request and nothing else: the notice lists the rest."""
    return IntakeRequest(household_id, "dibao", supplied=("application",), summary="因病致贫")


def _counts(world: World) -> tuple[int, int, int]:
    s = world.session
    counts = tuple(
        int(s.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Case, CaseEvent, Deadline)
    )
    s.rollback()
    return counts  # type: ignore[return-value]


def test_a_case_opened_with_missing_materials_carries_its_notice(world: World) -> None:
    hh = world.household()
    result = start_case(world.session, world.actor("clerk"), dibao_request(hh.id), T0)
    assert result.missing and result.notice_fired
    assert result.case.state == "awaiting_materials"
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == result.case.id).order_by(CaseEvent.seq)
    ).all()
    assert triggers == ["open", "request_materials"]


class NoticeRefused(Exception):
    """The notice step failing after the case was opened (a sender, a guard, a crash)."""


def test_when_the_notice_fails_no_case_and_no_event_is_left(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hh = world.household()
    before = _counts(world)
    real_fire = intake.fire

    def fire(session: Any, case_id: int, trigger: str, *args: Any, **kwargs: Any) -> Any:
        if trigger == "request_materials":
            # The case and its `open` event are flushed by now, in the same transaction.
            assert session.get(Case, case_id) is not None
            raise NoticeRefused(trigger)
        return real_fire(session, case_id, trigger, *args, **kwargs)

    monkeypatch.setattr(intake, "fire", fire)
    with pytest.raises(NoticeRefused):
        start_case(world.session, world.actor("clerk"), dibao_request(hh.id), T0)
    assert _counts(world) == before
    # The session is clean: the same intake goes through once the notice works again.
    monkeypatch.setattr(intake, "fire", real_fire)
    result = start_case(world.session, world.actor("clerk"), dibao_request(hh.id), T0)
    assert result.notice_fired
    assert _counts(world)[:2] == (before[0] + 1, before[1] + 2)  # one case: open, notice


def test_when_the_emergency_route_fails_no_case_is_left(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hh = world.household()
    before = _counts(world)

    def fire(*_args: Any, **_kwargs: Any) -> Any:
        raise NoticeRefused("declare_emergency")

    monkeypatch.setattr(intake, "fire", fire)
    emergency = {"emergency_kind": "急难型", "situation": "房屋失火"}
    req = IntakeRequest(hh.id, "temporary", emergency=emergency)
    with pytest.raises(NoticeRefused):
        start_case(world.session, world.actor("clerk"), req, T0)
    assert _counts(world) == before


def test_a_number_taken_meanwhile_rolls_back_the_attempt_and_the_next_one_succeeds(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hh = world.household()
    before = _counts(world)
    calls = 0

    def open_once_lost(*args: Any, **kwargs: Any) -> Case:
        nonlocal calls
        calls += 1
        case = open_case(*args, **kwargs)
        if calls == 1:  # as if another desk had taken this number: the unit must roll back
            raise ConcurrencyConflict("案件编号冲突，请重试")
        return case

    monkeypatch.setattr(intake, "open_case", open_once_lost)
    result = start_case(world.session, world.actor("clerk"), dibao_request(hh.id), T0)
    assert calls == 2 and result.notice_fired
    assert _counts(world)[:2] == (before[0] + 1, before[1] + 2)  # one case: open, notice
