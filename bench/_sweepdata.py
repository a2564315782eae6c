"""The sweep benchmark's own world (no tests/ import), bulk-loaded without the ORM.

沙坡头区 with its 11 townships and 10 villages each; two staff per role in every township (clerk,
investigator, township reviewer, township leader) and in the district (approver, supervisor), so
every rung has recipients; one household per case; N open 低保 (dibao) cases in `accepted`,
`investigating`, `township_review` or `publicizing`, each with its open state deadline row, its
open `total` row and a valid first audit event (`open`, seq 1, hashed from GENESIS_HASH).

The clock model. The previous sweep ran at PREVIOUS_SWEEP, 15 minutes before NOW (just after
midnight). A deadline row stands at the level it had reached then: every rung of its ladder at or
before PREVIOUS_SWEEP has been climbed. Rows that are *due* at NOW have exactly one rung in
(PREVIOUS_SWEEP, NOW] — the reminder, overdue (or, in `publicizing`, the publicity_ended expiry),
district or bureau rung that came due at midnight — so the sweep climbs each of them exactly one
rung. Every other row, the total limits included, has no rung in that window, so its
`next_action_at` is after NOW. Due dates, reminders and escalations are computed with caseflow's
own functions (caseflow.clock.deadlines.next_action_at on the working-day calendar of the case's
rule
set), so the rows are what the application would write.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg
from sqlalchemy import JSON, Engine, inspect

from caseflow.accounts.orgs import DISTRICT, TOWNSHIPS
from caseflow.bootstrap import boot
from caseflow.clock import deadlines as dl
from caseflow.clock.workcal import WorkdayCalendar, due_or_none
from caseflow.db.models import Base
from caseflow.engine.audit import GENESIS_HASH, event_hash
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import LOCAL_TZ
from caseflow.workflow.loader import OPEN_TRIGGER
from caseflow.workflow.registry import registry
from caseflow.workflow.rulesets import RuleSet

boot()  # the composition root, as every entry point calls it

# Five past midnight on a Friday of an ordinary working week (2026 is covered by the
# chinesecalendar package): working-day limits end at 23:59:59.999999 local and overdue starts at
# 00:00, so the sweep after midnight is the day's busiest. The one before ran 15 minutes earlier.
NOW = datetime(2026, 11, 27, 0, 5, tzinfo=LOCAL_TZ)
PREVIOUS_SWEEP = NOW - timedelta(minutes=15)
WORKFLOW = "dibao"
RULESET = "ningxia-640502-2021"  # what open_case selects for a 640502 unit in 2026
VILLAGES_PER_TOWNSHIP = 10
STAFF_PER_ROLE = 2
TOWNSHIP_ROLES = (Role.CLERK, Role.INVESTIGATOR, Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_LEADER)
DISTRICT_ROLES = (Role.DISTRICT_APPROVER, Role.SUPERVISOR)
SUMMARY = "申请最低生活保障"
OPEN_PAYLOAD: dict[str, Any] = {"summary": SUMMARY}  # what open_case records; never mutated


@dataclass(frozen=True)
class StateMix:
    """How many cases sit in a state, how long ago they entered it, and how long after opening."""

    share: float
    entered_days_back: int  # the state was entered 1..this many calendar days before NOW
    opened_before: tuple[int, int]  # calendar days between opening and entering the state


STATES: dict[str, StateMix] = {
    "accepted": StateMix(0.20, 10, (0, 0)),
    "investigating": StateMix(0.40, 25, (1, 6)),
    "township_review": StateMix(0.25, 12, (15, 25)),
    "publicizing": StateMix(0.15, 9, (20, 32)),
}

ORG_COLS = ("id", "code", "name", "level", "parent_id", "path")
USER_COLS = (
    "id",
    "username",
    "display_name",
    "password_hash",
    "org_unit_id",
    "active",
    "created_at",
)
USER_ROLE_COLS = ("user_id", "role")
HOUSEHOLD_COLS = (
    "id",
    "org_unit_id",
    "org_path",
    "head_name",
    "address",
    "phone",
    "bank_name",
    "bank_account",
    "created_at",
)
CASE_COLS = (
    "id",
    "case_no",
    "case_type",
    "workflow_key",
    "ruleset_key",
    "state",
    "is_final",
    "version",
    "household_id",
    "org_unit_id",
    "org_path",
    "flag_illness",
    "flag_disability",
    "flag_sudden",
    "flag_staff_relative",
    "opened_at",
    "state_entered_at",
    "closed_at",
    "opened_by_id",
    "assignee_id",
    "summary",
    "due_at",
    "escalation_level",
)
DEADLINE_COLS = (
    "id",
    "case_id",
    "state",
    "rule",
    "unit",
    "amount",
    "started_at",
    "due_at",
    "calendar_source",
    "level",
    "next_action_at",
    "extended",
    "closed_at",
    "org_path",
)
EVENT_COLS = (
    "id",
    "case_id",
    "seq",
    "actor_id",
    "actor_role",
    "trigger",
    "from_state",
    "to_state",
    "payload",
    "at",
    "prev_hash",
    "hash",
)
TABLES: dict[str, tuple[str, ...]] = {
    "org_units": ORG_COLS,
    "users": USER_COLS,
    "user_roles": USER_ROLE_COLS,
    "households": HOUSEHOLD_COLS,
    "cases": CASE_COLS,
    "deadlines": DEADLINE_COLS,
    "case_events": EVENT_COLS,
}
SERIAL_TABLES = ("org_units", "users", "households", "cases", "deadlines", "case_events")

Row = tuple[Any, ...]
Rows = dict[str, list[Row]]


@dataclass(frozen=True)
class Clock:
    """A deadline rule started on one local day, as it stands at NOW."""

    rule: str
    unit: str
    amount: int
    due_at: datetime
    source: str
    level: int  # rungs reached by the previous sweep
    next_action_at: datetime | None
    due_now: bool  # exactly one rung came due in (PREVIOUS_SWEEP, NOW]


@dataclass
class Plan:
    """What the sweep of a generated dataset must do."""

    cases: int
    due: int
    rungs_by_target: Counter[int] = field(default_factory=Counter)
    expiry: int = 0
    due_by_state: Counter[str] = field(default_factory=Counter)
    due_case_ids: list[int] = field(default_factory=list)

    @property
    def levels(self) -> int:
        """Escalation rungs the sweep must reach (expiry transitions excluded)."""
        return sum(self.rungs_by_target.values())


def _clock(cal: WorkdayCalendar, rs: RuleSet, rule_name: str, day: date) -> Clock | None:
    rule = rs.rule(rule_name)
    assert rule.unit in ("working_days", "calendar_days")  # the due date depends on the day only
    start = datetime.combine(day, time(9, 0), LOCAL_TZ)
    due = due_or_none(cal, rule.unit, start, rule.amount)  # type: ignore[arg-type]
    assert due is not None
    ladder = [dl.next_action_at(cal, rs, rule.unit, due.due_at, lvl) for lvl in range(4)]
    before = sum(1 for t in ladder if t is not None and t <= PREVIOUS_SWEEP)
    now = sum(1 for t in ladder if t is not None and t <= NOW)
    if now - before > 1:
        return None  # two rungs in one night: not a shape the benchmark counts on
    nxt = ladder[before] if before < len(ladder) else None
    return Clock(
        rule.name, rule.unit, rule.amount, due.due_at, due.source, before, nxt, now > before
    )


def _working_days_back(cal: WorkdayCalendar, days: int) -> list[date]:
    today = NOW.date()
    return [
        today - timedelta(days=k)
        for k in range(1, days + 1)
        if cal.is_workday(today - timedelta(k))
    ]


class World:
    """Static parts (org tree, staff, deadline clocks) and the case generator."""

    def __init__(self, cal: WorkdayCalendar) -> None:
        reg = registry()
        wf = reg.workflow(WORKFLOW)
        rs = reg.rulesets[RULESET]
        assert wf.total_deadline is not None
        self.created = NOW - timedelta(days=400)
        # Org tree: district, townships, villages.
        self.orgs: list[Row] = []
        d_path = f"/{DISTRICT[0]}/"
        self.orgs.append((1, DISTRICT[0], DISTRICT[1], "district", None, d_path))
        self.villages: list[tuple[int, str, str]] = []  # (id, path, township code)
        next_id = 2
        township_ids: dict[str, int] = {}
        for code, name in TOWNSHIPS:
            t_path = f"{d_path}{code}/"
            township_ids[code] = next_id
            self.orgs.append((next_id, code, name, "township", 1, t_path))
            next_id += 1
        for code, name in TOWNSHIPS:
            for v in range(VILLAGES_PER_TOWNSHIP):
                v_code = f"{code}{201 + v:03d}"
                v_path = f"{d_path}{code}/{v_code}/"
                self.orgs.append(
                    (next_id, v_code, f"{name}第{v + 1}村", "village", township_ids[code], v_path)
                )
                self.villages.append((next_id, v_path, code))
                next_id += 1
        # Staff.
        self.users: list[Row] = []
        self.user_roles: list[Row] = []
        self.clerk_of: dict[str, int] = {}
        uid = 1
        units = [(code, township_ids[code], TOWNSHIP_ROLES) for code, _ in TOWNSHIPS]
        units.append((DISTRICT[0], 1, DISTRICT_ROLES))
        for code, unit_id, roles in units:
            for role in roles:
                for k in range(STAFF_PER_ROLE):
                    name = f"{role.value}-{code}-{k + 1}"
                    self.users.append((uid, name, name, "", unit_id, True, self.created))
                    self.user_roles.append((uid, role.value))
                    if role == Role.CLERK and k == 0:
                        self.clerk_of[code] = uid
                    uid += 1
        # Clocks: every state deadline by the day the state was entered, the total by opening day.
        self.total: dict[date, Clock] = {}
        span = max(m.entered_days_back + m.opened_before[1] for m in STATES.values()) + 50
        for day in _working_days_back(cal, span):
            clock = _clock(cal, rs, wf.total_deadline, day)
            if clock is not None and not clock.due_now:
                self.total[day] = clock
        self.due_clocks: dict[str, list[tuple[date, Clock]]] = {}
        self.idle_clocks: dict[str, list[tuple[date, Clock]]] = {}
        for state, mix in STATES.items():
            rule = wf.states[state].deadline
            assert rule is not None
            expires = wf.states[state].on_expiry is not None
            due, idle = [], []
            for day in _working_days_back(cal, mix.entered_days_back):
                clock = _clock(cal, rs, rule, day)
                if clock is None:
                    continue
                if clock.due_now:
                    # A state with an expiry trigger moves on at the overdue rung: never beyond.
                    if not expires or clock.level + 1 <= dl.LEVEL_OVERDUE:
                        due.append((day, clock))
                elif not expires or clock.level < dl.LEVEL_OVERDUE:
                    idle.append((day, clock))
            assert due and idle, f"no clocks for {state}"
            self.due_clocks[state], self.idle_clocks[state] = due, idle
        self.expiry_states = {s for s in STATES if wf.states[s].on_expiry}
        self._openings: dict[tuple[date, StateMix], list[date]] = {}

    def _opening_day(self, rng: random.Random, entered: date, mix: StateMix) -> date:
        key = (entered, mix)
        options = self._openings.get(key)
        if options is None:
            lo, hi = mix.opened_before
            for extra in range(40):  # widen the range until a day with a quiet total limit fits
                days = (entered - timedelta(days=k) for k in range(lo, hi + 1 + extra))
                options = [d for d in days if d in self.total]
                if options:
                    break
            assert options, f"no opening day before {entered}"
            self._openings[key] = options
        return rng.choice(options)

    def cases(
        self, n: int, due: int, seed: int, chunk: int = 50_000
    ) -> tuple[Plan, Iterator[Rows]]:
        """The plan, and the case rows in chunks (households, cases, deadlines, case_events).

        The due cases draw from their own random stream, so for one seed the same `due` cases
        (state, clock, village, times) are generated whatever `n` is; only where they sit among
        the other cases (their ids) changes.
        """
        if not 0 <= due <= n:
            raise ValueError("--due must be between 0 and the number of cases")
        due_ids = set(random.Random(seed).sample(range(1, n + 1), due))
        rng_due, rng_idle = random.Random(seed + 1), random.Random(seed + 2)
        states = list(STATES)
        weights = [STATES[s].share for s in states]
        plan = Plan(cases=n, due=due, due_case_ids=sorted(due_ids))
        # Decide every case's state and clock up front (cheap), so the plan is known before loading.
        picks: list[tuple[str, date, Clock, bool]] = []
        for case_id in range(1, n + 1):
            is_due = case_id in due_ids
            rng = rng_due if is_due else rng_idle
            state = rng.choices(states, weights)[0]
            day, clock = rng.choice((self.due_clocks if is_due else self.idle_clocks)[state])
            picks.append((state, day, clock, is_due))
            if is_due:
                plan.due_by_state[state] += 1
                target = clock.level + 1
                if state in self.expiry_states and target == dl.LEVEL_OVERDUE:
                    plan.expiry += 1
                else:
                    plan.rungs_by_target[target] += 1
        return plan, self._rows(picks, (rng_idle, rng_due), chunk)

    def _rows(
        self,
        picks: list[tuple[str, date, Clock, bool]],
        rngs: tuple[random.Random, random.Random],
        chunk: int,
    ) -> Iterator[Rows]:
        counters: Counter[str] = Counter()
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        for first in range(0, len(picks), chunk):
            out: Rows = {"households": [], "cases": [], "deadlines": [], "case_events": []}
            for offset, (state, entered_day, clock, is_due) in enumerate(
                picks[first : first + chunk]
            ):
                cid = first + offset + 1
                rng = rngs[is_due]
                village_id, path, township = rng.choice(self.villages)
                mix = STATES[state]
                minute = rng.randint(0, 8 * 60)
                entered = datetime.combine(entered_day, time(8, 30), LOCAL_TZ) + timedelta(
                    minutes=minute
                )
                if mix.opened_before == (0, 0):
                    opened_day, opened = entered_day, entered
                else:
                    opened_day = self._opening_day(rng, entered_day, mix)
                    opened = datetime.combine(opened_day, time(8, 30), LOCAL_TZ) + timedelta(
                        minutes=rng.randint(0, 8 * 60)
                    )
                total = self.total[opened_day]
                clerk = self.clerk_of[township]
                counters[township] += 1
                case_no = f"DB-{township}-{opened.year}-{counters[township]:06d}"
                head = f"{rng.choice(surnames)}某{cid}"
                out["households"].append(
                    (cid, village_id, path, head, "", "", "", "", opened - timedelta(days=1))
                )
                dues = [d for d in (total.due_at, clock.due_at) if d is not None]
                out["cases"].append(
                    (
                        cid,
                        case_no,
                        WORKFLOW,
                        WORKFLOW,
                        RULESET,
                        state,
                        False,
                        1,
                        cid,
                        village_id,
                        path,
                        rng.random() < 0.1,
                        rng.random() < 0.05,
                        False,
                        False,
                        opened,
                        entered,
                        None,
                        clerk,
                        None,
                        SUMMARY,
                        min(dues),
                        max(total.level, clock.level),
                    )
                )
                for k, (st, c, started) in enumerate(
                    ((None, total, opened), (state, clock, entered))
                ):
                    out["deadlines"].append(
                        (
                            2 * cid - 1 + k,
                            cid,
                            st,
                            c.rule,
                            c.unit,
                            c.amount,
                            started,
                            c.due_at,
                            c.source,
                            c.level,
                            c.next_action_at,
                            False,
                            None,
                            path,
                        )
                    )
                payload = OPEN_PAYLOAD
                fields: dict[str, Any] = dict(
                    case_id=cid,
                    seq=1,
                    actor_id=clerk,
                    actor_role=Role.CLERK.value,
                    trigger=OPEN_TRIGGER,
                    from_state=None,
                    to_state="accepted",
                    payload=payload,
                    at=opened,
                )
                digest = event_hash(**fields, prev_hash=GENESIS_HASH)
                out["case_events"].append(
                    (
                        cid,
                        cid,
                        1,
                        clerk,
                        Role.CLERK.value,
                        OPEN_TRIGGER,
                        None,
                        "accepted",
                        payload,
                        opened,
                        GENESIS_HASH,
                        digest,
                    )
                )
            yield out

    def static_rows(self) -> Rows:
        """Org units, users and their roles."""
        return {"org_units": self.orgs, "users": self.users, "user_roles": self.user_roles}


# --- loaders -------------------------------------------------------------------------------------


def check_columns(engine: Engine) -> None:
    """Every NOT NULL column of the migrated tables is one the loader writes."""
    insp = inspect(engine)
    for table, cols in TABLES.items():
        for col in insp.get_columns(table):
            required = not col["nullable"] and col.get("default") is None
            if required and col["name"] not in cols and col["name"] != "id":
                raise AssertionError(f"{table}.{col['name']} is NOT NULL and not loaded")


def _memo(proc: Callable[[Any], Any], by_identity: bool = False) -> Callable[[Any], Any]:
    # Generated values repeat (a few thousand distinct instants, one payload): convert each once,
    # all the way to what pysqlite stores (its datetime adapter is isoformat(" ")).
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        key = id(value) if by_identity else value
        try:
            return cache[key][1]
        except KeyError:
            out = proc(value)
            if isinstance(out, datetime):
                out = out.isoformat(" ")
            cache[key] = (value, out)  # keeps the value alive, so its id stays unique
            return out

    return convert


def _sqlite_converters(engine: Engine, table: str) -> list[tuple[int, Callable[[Any], Any]]]:
    # The exact storage format SQLAlchemy binds (UTC datetimes, 0/1, JSON text).
    tbl = Base.metadata.tables[table]
    out = []
    for i, name in enumerate(TABLES[table]):
        col_type = tbl.c[name].type
        proc = col_type.bind_processor(engine.dialect)
        if proc is not None:
            out.append((i, _memo(proc, by_identity=isinstance(col_type, JSON))))
    return out


def load_sqlite(engine: Engine, batches: Iterator[Rows], static: Rows) -> int:
    """executemany in one transaction per chunk on a plain sqlite3 connection; returns rows."""
    path = engine.url.database
    assert path
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conv = {t: _sqlite_converters(engine, t) for t in TABLES}
    total = 0

    def put(rows: Rows) -> int:
        conn.execute("BEGIN")
        count = 0
        for table, data in rows.items():
            cols = TABLES[table]
            procs = conv[table]
            if procs:
                fixed = []
                for row in data:
                    r = list(row)
                    for i, proc in procs:
                        r[i] = proc(r[i])
                    fixed.append(r)
                data = fixed  # type: ignore[assignment]
            marks = ",".join("?" * len(cols))
            conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", data)
            count += len(data)
        conn.execute("COMMIT")
        return count

    total += put(static)
    for rows in batches:
        total += put(rows)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return total


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_postgres(url: str, batches: Iterator[Rows], static: Rows) -> int:
    """COPY FROM STDIN (psycopg), one transaction per chunk; sequences moved past the ids; then
    VACUUM (FREEZE, ANALYZE) and CHECKPOINT.

    Foreign-key triggers are skipped during the load (session_replication_role = replica, as
    pg_restore --disable-triggers does): the generator writes only valid references. Every index
    the migrations created stays in place and is maintained row by row.
    """
    total = 0
    with psycopg.connect(_pg_dsn(url)) as conn:
        conn.execute("SET session_replication_role = replica")

        def put(rows: Rows) -> int:
            count = 0
            with conn.cursor() as cur:
                for table, data in rows.items():
                    cols = TABLES[table]
                    json_at = cols.index("payload") if "payload" in cols else -1
                    with cur.copy(f"COPY {table} ({','.join(cols)}) FROM STDIN") as copy:
                        for row in data:
                            if json_at >= 0:
                                row = (
                                    *row[:json_at],
                                    json.dumps(row[json_at], ensure_ascii=False),
                                    *row[json_at + 1 :],
                                )
                            copy.write_row(row)
                    count += len(data)
            conn.commit()
            return count

        total += put(static)
        for rows in batches:
            total += put(rows)
        with conn.cursor() as cur:
            for table in SERIAL_TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        conn.commit()
        conn.autocommit = True
        # Settle the fresh load as a long-running database would be: statistics, hint bits and
        # the visibility map set, dirty pages written. Otherwise autovacuum of the freshly copied
        # tables and the checkpoint of the load compete with the timed sweep, ten times more
        # so for the big dataset than for the small one.
        conn.execute("VACUUM (FREEZE, ANALYZE)")
        conn.execute("CHECKPOINT")
    return total
