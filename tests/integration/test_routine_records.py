"""Screening rounds (twice a year) and training records: what is recorded, what is refused
field by field, what counts as missed, and who is not trained — within jurisdiction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support import SH, T0, World

from caseflow.accounts.training import SessionInput, record_session, untrained
from caseflow.accounts.training_models import TrainingSession
from caseflow.campaigns.models import ScreeningRound
from caseflow.campaigns.rounds import (
    HELD,
    MISSED,
    NOT_YET,
    OPEN,
    RoundInput,
    missed_rounds,
    record_round,
    year_status,
)
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied

SEPT = datetime(2026, 9, 1, 9, tzinfo=SH)


def _round(
    code: str, half: str = "1", start: str = "2026-03-02", end: str = "2026-04-10"
) -> RoundInput:
    return RoundInput(code, "2026", half, start, end, "120", "全面入户排查")


def test_a_round_counts_as_missed_only_after_its_half_year(world: World) -> None:
    reviewer = world.actor("reviewer")
    record_round(world.session, reviewer, _round("640502100"), SEPT)
    rows = {
        r.code: r for r in year_status(world.session, world.actor("supervisor"), 2026, SEPT.date())
    }
    assert rows["640502100"].rounds[1][0] == HELD and rows["640502100"].rounds[2][0] == OPEN
    assert rows["640502101"].rounds[1][0] == MISSED  # June is over, nothing recorded
    march = year_status(world.session, world.actor("supervisor"), 2026, date(2026, 3, 2))
    assert {r.rounds[1][0] for r in march} >= {OPEN} and {r.rounds[2][0] for r in march} == {
        NOT_YET
    }
    missed = missed_rounds(world.session, world.actor("supervisor"), SEPT)
    this_year = {(m.code, m.half) for m in missed if m.year == 2026}
    assert ("640502101", 1) in this_year and ("640502100", 1) not in this_year
    assert not any(m.half == 2 and m.year == 2026 for m in missed)  # July–December still runs
    # A township leader is told only of the own township.
    own = missed_rounds(world.session, world.actor("leader"), SEPT)
    assert {m.code for m in own} == {"640502100"}


def test_a_round_is_refused_field_by_field_and_nothing_is_written(world: World) -> None:
    reviewer = world.actor("reviewer")
    bad = RoundInput("640502101", "2026", "3", "2026-02-30", "2027-01-01", "-5", "")
    with pytest.raises(PayloadInvalid) as caught:
        record_round(world.session, reviewer, bad, SEPT)
    assert set(caught.value.fields) == {"township", "half", "held_from", "held_to", "households"}
    assert "辖区" in caught.value.fields["township"]
    outside = _round("640502100", "2", "2026-03-02", "2026-04-10")
    with pytest.raises(PayloadInvalid) as caught:
        record_round(world.session, reviewer, outside, SEPT)
    assert "下半年" in caught.value.fields["held_from"]
    record_round(world.session, reviewer, _round("640502100"), SEPT)
    with pytest.raises(PayloadInvalid) as caught:
        record_round(world.session, world.actor("approver"), _round("640502100"), SEPT)
    assert "已登记" in caught.value.fields["half"]
    with pytest.raises(PermissionDenied):
        record_round(world.session, world.actor("clerk"), _round("640502100"), SEPT)
    assert world.session.scalar(select(func.count(ScreeningRound.id))) == 1


def _session(world: World, who: list[str], held: str = "2026-02-10") -> TrainingSession:
    ids = [str(world.users[u].id) for u in who]
    form = SessionInput(held, "低保审核确认办法解读", "区民政局 张老师", ids)
    return record_session(world.session, world.actor("supervisor"), form, T0)


def test_staff_not_trained_this_year_are_named_within_jurisdiction(world: World) -> None:
    _session(world, ["clerk", "inv1", "other_clerk"])
    _session(world, ["reviewer"], held="2025-11-03")  # last year's does not count for 2026
    names = {u.username for u in untrained(world.session, world.actor("supervisor"), 2026)}
    assert {"clerk", "inv1", "other_clerk"}.isdisjoint(names)
    assert {"reviewer", "inv2", "leader", "approver", "other_inv"} <= names
    assert "admin" not in names  # the admin manages accounts, it is not case staff
    leader = {u.username for u in untrained(world.session, world.actor("leader"), 2026)}
    assert "other_inv" not in leader and "reviewer" in leader
    assert "reviewer" not in {
        u.username for u in untrained(world.session, world.actor("leader"), 2025)
    }


def test_a_training_session_is_refused_field_by_field(world: World) -> None:
    supervisor = world.actor("supervisor")
    future = (T0 + timedelta(days=3)).date().isoformat()
    with pytest.raises(PayloadInvalid) as caught:
        record_session(world.session, supervisor, SessionInput(future, " ", "", ["999999"]), T0)
    assert set(caught.value.fields) == {"held_on", "topic", "trainer", "attendees"}
    assert "不能晚于今天" in caught.value.fields["held_on"]
    with pytest.raises(PermissionDenied):
        ids = [str(world.users["clerk"].id)]
        form = SessionInput("2026-02-10", "培训", "张老师", ids)
        record_session(world.session, world.actor("leader"), form, T0)
    assert world.session.scalar(select(func.count(TrainingSession.id))) == 0
