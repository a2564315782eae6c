"""Compare-and-set: a transition is written only on the version it was decided on. A caller's
stale version, or a version that moved under fire(), is a ConcurrencyConflict with nothing
written."""

from __future__ import annotations

import pytest
from engine_world import Desk

from caseflow.engine import statements
from caseflow.kernel.errors import ConcurrencyConflict


def test_the_expected_version_moves_the_case(desk: Desk) -> None:
    case_id = desk.open()
    assert desk.case(case_id).version == 1
    result = desk.fire(case_id, "submit", "clerk", expected_version=1)
    assert result.version == 2 and desk.case(case_id).version == 2
    # An internal transition (a note) moves the version too: a page showing version 2 is stale.
    desk.fire(case_id, "note", "reviewer", {"text": "已阅"}, expected_version=2)
    assert desk.case(case_id).version == 3


def test_a_stale_version_is_a_conflict_and_nothing_is_written(desk: Desk) -> None:
    case_id = desk.open()
    desk.fire(case_id, "note", "clerk", {"text": "先记一笔"})  # version 1 → 2
    before = desk.snapshot(case_id)
    with pytest.raises(ConcurrencyConflict) as err:
        desk.fire(case_id, "submit", "clerk", expected_version=1)
    assert err.value.message_zh == "该案件刚被他人处理，请刷新页面后重试"
    assert desk.snapshot(case_id) == before


def test_a_version_moved_during_fire_rolls_back_the_event(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The event is inserted before the compare-and-set: a lost compare-and-set takes it back.
    case_id = desk.open()
    before = desk.snapshot(case_id)
    monkeypatch.setattr(statements, "compare_and_set", lambda *args, **kwargs: False)
    with pytest.raises(ConcurrencyConflict):
        desk.fire(case_id, "submit", "clerk")
    monkeypatch.undo()
    assert desk.snapshot(case_id) == before
    assert desk.fire(case_id, "submit", "clerk").version == 2


def test_two_desks_deciding_on_the_same_version_one_wins(desk: Desk) -> None:
    case_id = desk.at_checking()
    seen = desk.case(case_id).version  # both reviewers' pages show this version
    desk.fire(case_id, "send_back", "reviewer", expected_version=seen)
    after_first = desk.snapshot(case_id)
    with pytest.raises(ConcurrencyConflict):
        desk.fire(case_id, "note", "reviewer2", {"text": "同意"}, expected_version=seen)
    assert desk.snapshot(case_id) == after_first
