"""The board's counters (migration 0009): exact after any sequence of writes, on both databases.

The counters are compared with a fresh recount from `cases` (caseflow.read.board_counts.recount) and
the board's totals with the live grouped count over `cases` (board_totals(live=True), the old
implementation), after fires, sweeps, escalations, new cases, finalisation, org-path changes,
direct SQL updates, inserts and deletes; then the migration is run on a database holding cases,
and writers on PostgreSQL move cases between two counter rows in opposite directions at once.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, insert, inspect, select, text, update
from support import SH, World, build_world
from walker import Walker

from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.deadlines import LEVEL_DISTRICT
from caseflow.db.engine import make_engine, make_session_factory
from caseflow.db.models import BoardCount, Case, CaseEvent, OrgUnit
from caseflow.db.schema import alembic_config
from caseflow.engine.fire import open_case
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError
from caseflow.read import board as bd
from caseflow.read.board_counts import (
    daily_roll,
    drift,
    fits_board,
    horizon_for,
    read_horizon,
    rebuild_counts,
    recount,
    roll_horizon,
    stored_counts,
)
from caseflow.timer.scheduler import SweepScheduler
from caseflow.timer.sweep import sweep
from caseflow.workflow.registry import registry

START = datetime(2026, 1, 26, 9, 0, tzinfo=SH)
OPENED_BY = {"dibao": "clerk", "temporary": "clerk", "tekun": "clerk", "removal": "clerk"}


def _actors(world: World) -> list[Actor]:
    """Every kind of jurisdiction: everywhere, the district, each township, a village."""
    return [
        Actor(None, "root", frozenset({"supervisor"}), "/"),
        world.actor("supervisor"),
        world.actor("leader"),
        world.actor("other_reviewer"),
        Actor(None, "v", frozenset({"supervisor"}), world.village.path),
    ]


def _nows(around: datetime) -> list[datetime]:
    """Clocks around `around`: hours apart over weeks, the exact ends of local days, midnights."""
    out = [around + timedelta(hours=h) for h in range(-24 * 30, 24 * 20, 17)]
    day = around.astimezone(SH).replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(-10, 10, 3):
        midnight = day + timedelta(days=d)
        out += [midnight, midnight - timedelta(microseconds=1)]
    return out


def assert_exact(world: World, nows: list[datetime]) -> None:
    """Counters equal the recount; board totals equal the live count for every actor and now."""
    s = world.session
    found = drift(s)
    assert found.ok, dict(found.differences)
    # Rows at 0 are deleted; a row never holds more escalated cases than cases.
    assert all(0 <= esc <= n and n > 0 for n, esc in stored_counts(s).values())
    for actor in _actors(world):
        for now in nows:
            fast = bd.board_totals(s, actor, now)
            live = bd.board_totals(s, actor, now, live=True)
            assert fast == live, (actor.org_path, now)


def _open_case_ids(world: World) -> list[int]:
    stmt = select(Case.id).where(Case.is_final.is_(False), Case.household_id.is_not(None))
    return sorted(world.session.scalars(stmt))


def _random_fire(world: World, walker: Walker, rnd: random.Random) -> bool:
    """Fire a random transition of a random open case; False when it could not."""
    ids = _open_case_ids(world)
    if not ids:
        return False
    case = world.session.get(Case, rnd.choice(ids), populate_existing=True)
    assert case is not None
    wf = registry().workflow(case.workflow_key)
    options = [t for t in wf.transitions_from(case.state) if t.trigger not in {"sign_home_visit"}]
    if not options:
        return False
    try:
        walker.step(case, rnd.choice(options))
    except (CaseflowError, AssertionError):
        world.session.rollback()  # a guard or a payload this walk cannot satisfy: not the point
        return False
    return True


def _direct_sql(world: World, rnd: random.Random, units: list[OrgUnit]) -> None:
    """What a repair script or a bulk tool would do, behind the engine's back."""
    s = world.session
    ids = sorted(s.scalars(select(Case.id)))
    target = rnd.choice(ids)
    wf = registry().workflow(s.scalars(select(Case.workflow_key).where(Case.id == target)).one())
    # States of the case's own workflow, so the sweep can still process the case afterwards.
    states = sorted(n for n, d in wf.states.items() if not d.final)
    choice = rnd.randrange(7)
    values: dict[str, Any]
    if choice == 0:  # reassign to another place (village, township, the district itself)
        values = {"org_path": rnd.choice(units).path}
    elif choice == 1:
        values = {"escalation_level": rnd.randrange(5)}
    elif choice == 2:
        values = {"due_at": START + timedelta(days=rnd.randrange(-30, 30), hours=rnd.random())}
    elif choice == 3:
        values = {"due_at": None}
    elif choice == 4:  # finalise or reopen
        values = {"is_final": rnd.random() < 0.5}
    elif choice == 5:
        values = {"state": rnd.choice(states)}
    else:  # several columns at once
        values = {
            "state": rnd.choice(states),
            "org_path": rnd.choice(units).path,
            "escalation_level": LEVEL_DISTRICT,
            "due_at": START - timedelta(days=rnd.randrange(40)),
        }
    s.execute(update(Case).where(Case.id == target).values(**values))
    s.commit()


def _insert_and_delete(world: World, rnd: random.Random, units: list[OrgUnit]) -> None:
    """A case row inserted by SQL (a township case without household), sometimes deleted again."""
    s = world.session
    unit = rnd.choice(units)
    n = rnd.randrange(1_000_000)
    new_id = s.execute(
        insert(Case)
        .values(
            case_no=f"SQL-{n}",
            case_type="roll",
            workflow_key="roll",
            ruleset_key="national-2021",
            state=rnd.choice(["prepared", "checked"]),
            is_final=rnd.random() < 0.2,
            household_id=None,
            org_unit_id=unit.id,
            org_path=unit.path,
            opened_at=START,
            state_entered_at=START,
            due_at=rnd.choice([None, START + timedelta(days=rnd.randrange(-20, 5))]),
            escalation_level=rnd.randrange(5),
        )
        .returning(Case.id)
    ).scalar_one()
    s.commit()
    if rnd.random() < 0.5:
        s.execute(delete(Case).where(Case.id == new_id))
        s.commit()


def test_counters_stay_exact_through_random_writes(engine: Engine, world: World) -> None:
    rnd = random.Random(6)
    s = world.session
    district = s.scalars(select(OrgUnit).where(OrgUnit.level == "district")).one()
    units = [world.village, world.township, world.other_township, district]
    walker = Walker(world, START)
    factory = make_session_factory(engine)
    for wf in ("dibao", "temporary", "tekun"):
        walker.open(registry().workflow(wf))
    fired = 0
    for step in range(120):
        action = rnd.random()
        if action < 0.25:
            wf = rnd.choice(sorted(OPENED_BY))
            own = rnd.random() < 0.7
            hh = world.household(unit=world.village if own else world.other_township)
            clerk = OPENED_BY[wf] if own else "other_clerk"
            open_case(s, wf, hh.id, world.actor(clerk), walker.tick(), summary="随机")
        elif action < 0.6:
            fired += _random_fire(world, walker, rnd)
        elif action < 0.7:  # time passes; the sweep reminds and escalates
            walker.now += timedelta(days=rnd.randrange(1, 6))
            daily_roll(factory, walker.now)  # as the timer does before each sweep round
            report = sweep(factory, walker.now)
            assert not report.failed
        elif action < 0.9:
            _direct_sql(world, rnd, units)
        else:
            _insert_and_delete(world, rnd, units)
        s.rollback()
        found = drift(s)
        assert found.ok, (step, dict(found.differences))
    assert_exact(world, _nows(walker.now))
    # Enough happened to mean something: cases in several keys, escalated and late ones.
    print(f"{fired} fires")
    assert fired >= 20
    counts = recount(s)
    assert len(counts) >= 10
    assert any(esc for (_, esc) in counts.values())
    assert any(due is None for (_, _, _, due) in counts)
    # Several workflows share a state name in one township: the workflow splits the key.
    pairs = {(tp, state) for tp, state, _, _ in counts}
    assert len({(tp, state, wf) for tp, state, wf, _ in counts}) > len(pairs)


def _day_nows(day_now: datetime) -> list[datetime]:
    """Clocks within the local day of `day_now`: its first and last instants and hours between."""
    start = day_now.astimezone(SH).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1, microseconds=-1)
    return [start, end, *(start + timedelta(hours=h, minutes=13 * h % 60) for h in range(0, 24, 5))]


def test_folded_counters_answer_the_day_of_their_horizon(engine: Engine, world: World) -> None:
    """Rolled to a day, the counters fold due instants into a few keys per aging interval; the
    board and every write in between stay exact for any `now` of that day, other days count live."""
    rnd = random.Random(10)
    s = world.session
    district = s.scalars(select(OrgUnit).where(OrgUnit.level == "district")).one()
    units = [world.village, world.township, world.other_township, district]
    walker = Walker(world, START)
    for wf in ("dibao", "temporary", "tekun", "dibao"):
        walker.open(registry().workflow(wf))
    for _ in range(150):  # due dates over seven weeks, whole days and odd instants
        _insert_and_delete(world, rnd, units)
    for _ in range(150):
        _direct_sql(world, rnd, units)
    cal = load_calendar(s)
    exact_rows = len(stored_counts(s))
    for offset in (-25, -9, 0, 4, 16):  # days from START: each a different fold
        day_now = START + timedelta(days=offset, hours=rnd.randrange(-9, 14))
        horizon = horizon_for(cal, day_now)
        rebuild_counts(s, horizon)
        s.commit()
        assert read_horizon(s) == horizon
        for step in range(25):  # writes under the fold go through the triggers' folding
            _direct_sql(world, rnd, units) if step % 3 else _insert_and_delete(world, rnd, units)
        found = drift(s)
        assert found.ok, (offset, dict(found.differences))
        assert len(stored_counts(s)) < exact_rows
        for now in _day_nows(day_now):
            assert fits_board(horizon, bd.boundaries(cal, now)), now
        assert_exact(world, _day_nows(day_now))
        # Another day is not the counters' to answer: still right, counted live.
        for now in (day_now - timedelta(days=1), day_now + timedelta(days=2)):
            assert not fits_board(horizon, bd.boundaries(cal, now))
        assert_exact(world, [day_now - timedelta(days=1), day_now + timedelta(days=2)])


def test_roll_horizon_moves_forward_once_a_day(engine: Engine, world: World) -> None:
    walker = Walker(world, START)
    for wf in ("dibao", "temporary"):
        walker.open(registry().workflow(wf))
    s = world.session
    cal = load_calendar(s)
    assert read_horizon(s) is None  # a new database counts exact instants
    assert roll_horizon(s, cal, START)
    assert not roll_horizon(s, cal, START + timedelta(hours=3))  # the same day: nothing to do
    assert not roll_horizon(s, cal, START - timedelta(days=2))  # never backwards
    later = START + timedelta(days=1)
    assert roll_horizon(s, cal, later)
    assert read_horizon(s) == horizon_for(cal, later) and drift(s).ok
    # The timer rolls it before its sweep: the first round of a new day folds the counters.
    s.rollback()
    assert SweepScheduler(
        make_session_factory(engine), clock=lambda: START + timedelta(days=3)
    ).run_once()
    h = read_horizon(s)
    assert h is not None and h == horizon_for(cal, START + timedelta(days=3)) and drift(s).ok


def test_a_failed_roll_does_not_stop_the_sweep(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    walker = Walker(world, START)
    walker.open(registry().workflow("dibao"))
    s = world.session
    s.rollback()

    def broken(*_args: Any) -> bool:
        raise RuntimeError("lock timeout")

    monkeypatch.setattr("caseflow.timer.rounds.daily_roll", broken)
    late = START + timedelta(days=40)  # everything of that case is overdue by then
    events_before = s.scalar(select(func.count()).select_from(CaseEvent))
    assert SweepScheduler(make_session_factory(engine), clock=lambda: late).run_once()
    s.rollback()
    assert s.scalar(select(func.count()).select_from(CaseEvent)) > events_before  # swept
    assert read_horizon(s) is None and drift(s).ok  # not rolled; the counters still exact


def test_rebuild_restores_counters_after_tampering(engine: Engine, world: World) -> None:
    walker = Walker(world, START)
    for wf in ("dibao", "temporary", "dibao"):
        walker.open(registry().workflow(wf))
    s = world.session
    expected = recount(s)
    assert stored_counts(s) == expected and expected
    s.execute(update(BoardCount).values(n=BoardCount.n + 5))
    s.execute(delete(BoardCount).where(BoardCount.state == next(iter(expected))[1]))
    s.commit()
    assert not drift(s).ok
    assert rebuild_counts(s) == len(expected)
    s.commit()
    assert drift(s).ok and stored_counts(s) == expected


def test_cli_rebuild_counts(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseflow.cli.main import main

    Walker(world, START).open(registry().workflow("dibao"))
    s = world.session
    s.execute(delete(BoardCount))
    s.commit()
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(main, ["board", "check-counts"])
    assert result.exit_code == 1, result.output
    result = CliRunner().invoke(main, ["board", "rebuild-counts"])
    assert result.exit_code == 0, result.output
    s.rollback()
    assert drift(s).ok and stored_counts(s)
    result = CliRunner().invoke(main, ["board", "check-counts"])
    assert result.exit_code == 0, result.output


def test_counter_keys_are_day_aligned_for_working_day_deadlines(world: World) -> None:
    """Real deadlines share due instants (the end of a local day), so counters compress."""
    walker = Walker(world, START)
    for _ in range(6):
        walker.open(registry().workflow("dibao"))
        walker.now += timedelta(minutes=7)
    counts = stored_counts(world.session)
    assert sum(n for n, _ in counts.values()) == 6
    assert len(counts) == 1, counts
    (due,) = {k[3] for k in counts}
    if isinstance(due, str):  # SQLite: naive UTC text, as caseflow.db.models.UTCDateTime stores it
        due = datetime.fromisoformat(due).replace(tzinfo=UTC)
    assert due.astimezone(SH).time().isoformat() == "23:59:59.999999"


# --- the migration ------------------------------------------------------------------------------


def _fresh_url(engine: Engine, tmp_path: Path) -> tuple[str, Any]:
    """An empty database of the same kind as `engine` (and a clean-up)."""
    if engine.dialect.name == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.sqlite3'}", lambda: None
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS board_migration"))
        conn.execute(text("CREATE DATABASE board_migration"))
    url = engine.url.set(database="board_migration").render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS board_migration WITH (FORCE)"))

    return url, drop


def _triggers(eng: Engine) -> set[str]:
    with eng.connect() as conn:
        if eng.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return {r[0] for r in conn.execute(text(sql)) if r[0].startswith("board_counts")}


# Columns added to tables that the pre-0009 data below is written to (0012: members' 残疾类别;
# 0014: when and why a member left the household; 0016: the office's telephone).
LATER_COLUMNS = (
    ("members", "disability_type"),
    ("members", "left_on"),
    ("members", "left_reason"),
    ("org_units", "phone"),
    ("users", "session_generation"),  # 0023
    ("users", "institution_id"),  # 0027
)


def test_migration_fills_counters_and_downgrade_removes_them(
    engine: Engine, tmp_path: Path
) -> None:
    url, drop = _fresh_url(engine, tmp_path)
    eng = make_engine(url)
    try:
        cfg = alembic_config()
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
            # Today's ORM writes the columns later migrations add; lend them while the old
            # data is written, and take them back so that the upgrade adds them itself.
            for table, column in LATER_COLUMNS:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(20)"))
        with make_session_factory(eng)() as session:
            world = build_world(session)
            walker = Walker(world, START)
            for wf in ("dibao", "dibao", "temporary", "tekun"):
                walker.open(registry().workflow(wf))
            walker.now += timedelta(days=20)
            ids = sorted(session.scalars(select(Case.id).where(Case.is_final.is_(False))))
            assert len(ids) >= 3
            session.execute(update(Case).where(Case.id == ids[0]).values(is_final=True))
            session.execute(update(Case).where(Case.id == ids[1]).values(due_at=None))
            session.execute(update(Case).where(Case.id == ids[2]).values(escalation_level=3))
            session.commit()
            still_open = len(ids) - 1
        with eng.begin() as conn:
            for table, column in LATER_COLUMNS:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert len(_triggers(eng)) == (3 if eng.dialect.name == "sqlite" else 4)
        with make_session_factory(eng)() as session:
            counts = stored_counts(session)
            assert counts == recount(session)
            assert sum(n for n, _ in counts.values()) == still_open
            assert any(due is None for (_, _, _, due) in counts)
            sup = Actor(None, "s", frozenset({"supervisor"}), "/640502/")
            for now in _nows(walker.now):
                assert bd.board_totals(session, sup, now) == bd.board_totals(
                    session, sup, now, live=True
                )
            # 0010: rolled to a day, the folded counters answer that day's board
            assert roll_horizon(session, load_calendar(session), walker.now)
            assert drift(session).ok
            for now in _nows(walker.now):
                assert bd.board_totals(session, sup, now) == bd.board_totals(
                    session, sup, now, live=True
                )
            folded = stored_counts(session)
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        with eng.connect() as conn:  # back to exact due instants, same totals
            exact = conn.execute(text("SELECT due_at, n FROM board_counts")).all()
            raw_due = {r[0] for r in conn.execute(text("SELECT due_at FROM cases"))}
        assert {due for due, _ in exact} <= raw_due
        assert sum(n for _, n in exact) == sum(n for n, _ in folded.values()) == still_open
        assert {due for due, _ in exact} != {k[3] for k in folded}  # the folded keys are gone
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        assert "board_counts" not in inspect(eng).get_table_names()
        assert _triggers(eng) == set()
        with eng.begin() as conn:  # cases are still writable without the triggers
            conn.execute(update(Case).values(escalation_level=Case.escalation_level + 1))
            if eng.dialect.name == "postgresql":
                names = "SELECT proname FROM pg_proc WHERE proname LIKE 'board_counts%'"
                assert conn.execute(text(names)).all() == []
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with make_session_factory(eng)() as session:
            assert drift(session).ok
            assert sum(n for n, _ in stored_counts(session).values()) == still_open
    finally:
        eng.dispose()
        drop()


# --- concurrent writers on PostgreSQL -----------------------------------------------------------


@pytest.mark.postgres
def test_opposite_moves_between_two_counter_rows_do_not_deadlock(pg_url: str) -> None:
    eng = make_engine(pg_url, pool_size=8)
    try:
        with make_session_factory(eng)() as session:
            reset = "TRUNCATE cases, org_units, board_counts RESTART IDENTITY CASCADE"
            session.execute(text(reset))
            session.add(OrgUnit(code="640502", name="区", level="district", path="/640502/"))
            session.commit()
            due = datetime(2026, 3, 2, 15, 59, 59, 999999, tzinfo=UTC)
            rows = [
                {
                    "case_no": f"C-{i}",
                    "case_type": "roll",
                    "workflow_key": "roll",
                    "ruleset_key": "national-2021",
                    "state": "accepted" if i % 2 else "drafting",
                    "is_final": False,
                    "org_unit_id": 1,
                    "org_path": "/640502/640502100/",
                    "opened_at": due,
                    "state_entered_at": due,
                    "due_at": due,
                    "escalation_level": 0,
                }
                for i in range(40)
            ]
            session.execute(insert(Case), rows)
            session.commit()
        errors: list[BaseException] = []
        moves = [0]
        lock = threading.Lock()

        def writer(seed: int) -> None:
            rnd = random.Random(seed)
            try:
                with eng.connect() as conn:
                    for _ in range(150):
                        case_id = rnd.randrange(1, 41)
                        # Flip one case to the other key (half the moves go each way), and
                        # now and then escalate or de-escalate it in place.
                        flip = "CASE state WHEN 'accepted' THEN 'drafting' ELSE 'accepted' END"
                        sql = f"UPDATE cases SET state = {flip} WHERE id = :id"
                        if rnd.random() < 0.25:
                            sql = "UPDATE cases SET escalation_level = 3 - escalation_level "
                            sql += "WHERE id = :id"
                        conn.execute(text(sql), {"id": case_id})
                        conn.execute(text("SELECT pg_sleep(0.001)"))  # hold both row locks
                        conn.commit()
                        with lock:
                            moves[0] += 1
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[0]
        assert moves[0] == 6 * 150
        with make_session_factory(eng)() as session:
            assert drift(session).ok
            counts = stored_counts(session)
            states = session.execute(text("SELECT state, count(*) FROM cases GROUP BY state"))
            assert {k[1]: n for k, (n, _) in counts.items()} == {state: n for state, n in states}
            assert sum(n for n, _ in counts.values()) == 40
    finally:
        eng.dispose()
