"""The supervisors' board (督办): overdue and escalated cases by township × state, aging buckets,
drill-down lists and the working-day calendar's coverage warning.

Aging buckets are working-day intervals; their boundaries are computed once as instants with the
calendar and handed to SQL, which does the counting — no case is loaded into Python.

The totals sum the counters of `board_counts` (caseflow.read.board_counts, migrations 0009 and
0010):
open cases per (township, state, workflow, due key), and how many of them are escalated, kept
exact by triggers on `cases`; the board sums over the workflows. The due key is the due instant,
folded for the day of the last roll into the lower end of its aging interval (today's instants
kept whole), so the sums equal a count of the cases for any `now` of that day, and the board
reads at most a handful of rows per (township, state, workflow) — a few hundred to a few thousand
in a district — whatever the number of open cases. A `now` of another day, and an actor whose
jurisdiction is narrower than a township (a village), is counted live from `cases`, the
reference implementation kept in `_live_grouped_counts`.

The drill-down lists query `cases` live, filtering a township with the same prefix test
(`org_path LIKE '/640502/640502100/%'`) the rest of the system uses for jurisdiction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from caseflow.clock.aging import AGING_EDGES as AGING_EDGES
from caseflow.clock.aging import BUCKETS as BUCKETS
from caseflow.clock.aging import DUE_SOON as DUE_SOON
from caseflow.clock.aging import DUE_SOON_WORKING_DAYS as DUE_SOON_WORKING_DAYS
from caseflow.clock.aging import OVERDUE_0_5 as OVERDUE_0_5
from caseflow.clock.aging import OVERDUE_5_15 as OVERDUE_5_15
from caseflow.clock.aging import OVERDUE_OVER_15 as OVERDUE_OVER_15
from caseflow.clock.aging import Boundaries as Boundaries
from caseflow.clock.aging import aging_bucket as aging_bucket
from caseflow.clock.aging import boundaries as boundaries
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.deadlines import LEVEL_DISTRICT, LEVEL_LABELS
from caseflow.clock.workcal import WorkdayCalendar, local_date, working_days_between
from caseflow.db.models import BoardCount, Case, Household, OrgUnit, User
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.paging import Page
from caseflow.kernel.roles import ROLE_LABELS, Role
from caseflow.read.board_counts import fits_board, read_horizon
from caseflow.workflow.registry import Registry, registry

# Who may open the board; jurisdiction (org path) decides which townships they see.
BOARD_ROLES: frozenset[str] = frozenset(
    {Role.SUPERVISOR.value, Role.DISTRICT_APPROVER.value, Role.TOWNSHIP_LEADER.value}
)

OVERDUE, ESCALATED = "overdue", "escalated"
MEASURES: tuple[str, ...] = (OVERDUE, ESCALATED, *BUCKETS)
MEASURE_LABELS: dict[str, str] = {
    OVERDUE: "已逾期",
    ESCALATED: "区级督办",
    DUE_SOON: "2 个工作日内到期",
    OVERDUE_0_5: "逾期 0–5 个工作日",
    OVERDUE_5_15: "逾期 5–15 个工作日",
    OVERDUE_OVER_15: "逾期 15 个工作日以上",
}
DISTRICT_LEVEL_NAME = "区本级"


def _zero() -> dict[str, int]:
    return dict.fromkeys(MEASURES, 0)


def _measure_conditions(b: Boundaries) -> dict[str, ColumnElement[bool]]:
    due = Case.due_at
    return {
        OVERDUE: due < b.now,
        ESCALATED: Case.escalation_level >= LEVEL_DISTRICT,
        DUE_SOON: and_(due >= b.now, due < b.soon_before),
        OVERDUE_0_5: and_(due < b.now, due >= b.over_5),
        OVERDUE_5_15: and_(due < b.over_5, due >= b.over_15),
        OVERDUE_OVER_15: due < b.over_15,
    }


def _in_scope(actor: Actor) -> ColumnElement[bool]:
    # `is_final = false` spelled like the partial indexes' WHERE (migration 0003), so SQLite
    # and PostgreSQL can answer from those indexes alone.
    return and_(in_jurisdiction(Case.org_path, actor), Case.is_final == false())


def _sum(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def township_path(org_path: str) -> str:
    """The township part of an org path ("/640502/" stays the district itself)."""
    parts = [p for p in org_path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/" if parts else "/"


@dataclass
class TownshipRow:
    """One township (or the district's own cases) with counts per state and in total."""

    code: str
    name: str
    path: str
    by_state: dict[str, dict[str, int]] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=_zero)


@dataclass
class BoardTotals:
    """Every number on the board; `states` lists the states that have any count."""

    bounds: Boundaries
    townships: list[TownshipRow]
    states: list[str]
    by_state: dict[str, dict[str, int]]
    total: dict[str, int]


def counters_cover(actor: Actor) -> bool:
    """True when the actor's jurisdiction is a union of whole townships (district, township, '/'),
    so the per-township counters answer exactly; a village-level path is counted live."""
    return township_path(actor.org_path) == actor.org_path


def counters_select(actor: Actor, b: Boundaries, *, sqlite: bool = False) -> Select[Any]:
    """The board's query over the counters, per (township, state): how many open cases are due
    before each boundary, and how many are escalated.

    The buckets are differences of these cumulative counts (over_15 <= over_5 <= now <=
    soon_before), taken in Python: one comparison per boundary and counter row, where a sum per
    bucket would test both ends of its interval.
    """
    bc = BoardCount
    path = actor.org_path
    if path.count("/") == 3:  # a township: its counters share one township_path
        scope: ColumnElement[bool] = bc.township_path == path
    elif sqlite and path.endswith("/"):
        # The paths below `path` as a range (binary collation, '0' follows '/'): SQLite seeks it
        # in the covering index instead of testing LIKE … ESCAPE on every counter row.
        scope = and_(bc.township_path >= path, bc.township_path < path[:-1] + "0")
    else:
        scope = bc.township_path.startswith(path, autoescape=True)
    before = {
        "before_soon": b.soon_before,
        "before_now": b.now,
        "before_5": b.over_5,
        "before_15": b.over_15,
    }
    # Aggregate FILTER rather than SUM(CASE …): measurably cheaper per row on SQLite.
    sums: list[Any] = [
        func.coalesce(func.sum(bc.n).filter(bc.due_at < at), 0).label(name)
        for name, at in before.items()
    ]
    sums.append(func.coalesce(func.sum(bc.n_escalated), 0).label(ESCALATED))
    # Counter rows neither due soon nor late nor escalated count in no measure: left out.
    return (
        select(bc.township_path, bc.state, *sums)
        .where(scope, or_(bc.due_at < b.soon_before, bc.n_escalated > 0))
        .group_by(bc.township_path, bc.state)
    )


def _grouped_counts(
    session: Session, actor: Actor, b: Boundaries
) -> list[tuple[str, str, dict[str, int]]]:
    """(township path, state, counts) from the counters."""
    out = []
    sqlite = session.get_bind().dialect.name == "sqlite"
    for r in session.execute(counters_select(actor, b, sqlite=sqlite)):
        soon, now, over_5, over_15 = (
            int(r.before_soon),
            int(r.before_now),
            int(r.before_5),
            int(r.before_15),
        )
        counts = {
            OVERDUE: now,
            ESCALATED: int(r.escalated),
            DUE_SOON: soon - now,
            OVERDUE_0_5: now - over_5,
            OVERDUE_5_15: over_5 - over_15,
            OVERDUE_OVER_15: over_15,
        }
        out.append((r.township_path, r.state, counts))
    return out


def _live_grouped_counts(
    session: Session, actor: Actor, b: Boundaries
) -> list[tuple[str, str, dict[str, int]]]:
    """(org path, state, counts) counted from the open cases themselves: the reference the
    counters must equal, and the way to count a jurisdiction narrower than a township."""
    conds = _measure_conditions(b)
    scope = _in_scope(actor)
    # Cases due soon or already late: a range on due_at. Grouped by (state, org_path) — the
    # column order of ix_cases_queue_state, so SQLite scans that covering index instead of
    # walking the whole table in (org_path, state) order.
    timed = select(Case.org_path, Case.state, *(_sum(conds[m]).label(m) for m in MEASURES)).where(
        scope, Case.due_at < b.soon_before
    )
    # Escalated cases whose earliest open deadline is not late (a paused total limit keeps its
    # rung): rare, counted only as escalated. Two ranges rather than an OR, each index-served.
    escalated = Case.escalation_level >= LEVEL_DISTRICT
    untimed = [
        select(Case.org_path, Case.state, func.count().label(ESCALATED)).where(scope, *where)
        for where in ((escalated, Case.due_at >= b.soon_before), (escalated, Case.due_at.is_(None)))
    ]
    out: list[tuple[str, str, dict[str, int]]] = []
    for row in session.execute(timed.group_by(Case.state, Case.org_path)):
        out.append((row.org_path, row.state, {m: int(getattr(row, m)) for m in MEASURES}))
    for stmt in untimed:
        for row in session.execute(stmt.group_by(Case.state, Case.org_path)):
            counts = _zero()
            counts[ESCALATED] = int(row.escalated)
            out.append((row.org_path, row.state, counts))
    return out


def _add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for m in MEASURES:
        into[m] += counts[m]


def _units_for(session: Session, actor: Actor, paths: Iterable[str]) -> dict[str, OrgUnit]:
    wanted = set(paths)
    stmt = select(OrgUnit).where(
        or_(
            OrgUnit.path.in_(sorted(wanted)) if wanted else OrgUnit.id.is_(None),
            and_(
                OrgUnit.level == "township",
                in_jurisdiction(OrgUnit.path, actor),
            ),
        )
    )
    return {u.path: u for u in session.scalars(stmt)}


def board_totals(
    session: Session,
    actor: Actor,
    now: datetime,
    cal: WorkdayCalendar | None = None,
    *,
    live: bool = False,
) -> BoardTotals:
    """All counts of the board within the actor's jurisdiction.

    From the counters (one grouped query), or with `live=True` — and always for a jurisdiction
    narrower than a township, or a `now` the counters' horizon does not fit (another day than
    the last roll) — from the open cases (three grouped queries).
    """
    cal = cal or load_calendar(session)
    b = boundaries(cal, now)
    if live or not counters_cover(actor) or not fits_board(read_horizon(session), b):
        grouped = _live_grouped_counts(session, actor, b)
    else:
        grouped = _grouped_counts(session, actor, b)
    paths = {township_path(p) for p, _, _ in grouped}
    units = _units_for(session, actor, paths)
    rows: dict[str, TownshipRow] = {}
    for path, unit in units.items():
        if unit.level == "township":
            rows[path] = TownshipRow(unit.code, unit.name, path)
    by_state: dict[str, dict[str, int]] = {}
    total = _zero()
    for org_path, state, counts in grouped:
        tp = township_path(org_path)
        row = rows.get(tp)
        if row is None:
            found = units.get(tp)
            name = DISTRICT_LEVEL_NAME if found is None or found.level == "district" else found.name
            code = found.code if found is not None else tp.strip("/").split("/")[-1]
            row = rows[tp] = TownshipRow(code, name, tp)
        _add(row.by_state.setdefault(state, _zero()), counts)
        _add(row.total, counts)
        _add(by_state.setdefault(state, _zero()), counts)
        _add(total, counts)
    states = sorted(by_state, key=lambda s: (-by_state[s][OVERDUE], s))
    return BoardTotals(b, sorted(rows.values(), key=lambda r: r.code), states, by_state, total)


@dataclass(frozen=True)
class Board:
    """The board page: the totals, state labels and the calendar warnings."""

    totals: BoardTotals
    state_labels: dict[str, str]
    warnings: list[str]


def state_labels(reg: Registry | None = None) -> dict[str, str]:
    """One Chinese label per state name (the 低保 workflow's wording where it has the state)."""
    reg = reg or registry()
    labels: dict[str, str] = {}
    for key in sorted(reg.workflows, key=lambda k: (k != "dibao", k)):
        for state in reg.workflows[key].states.values():
            labels.setdefault(state.name, state.label)
    return labels


def calendar_warnings(cal: WorkdayCalendar, now: datetime) -> list[str]:
    """Warnings for this year and next when their official holidays are not entered yet."""
    year = local_date(now).year
    return cal.coverage_warnings([year, year + 1])


def board(session: Session, actor: Actor, now: datetime) -> Board:
    """Everything the board page shows."""
    cal = load_calendar(session)
    return Board(
        board_totals(session, actor, now, cal), state_labels(), calendar_warnings(cal, now)
    )


# --- drill-down ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillRow:
    case_id: int
    case_no: str
    case_type: str
    state: str
    state_label: str
    head_name: str
    township_name: str
    due_at: datetime | None
    working_days_late: int | None  # None when not yet due
    escalation_level: int
    escalation_label: str
    holder: str  # who has the case now: the colleague who claimed it, or the queue it waits in
    claimed: bool = False


DrillPage = Page[DrillRow]

# Owner roles whose queue is the district's own, wherever the case lives.
DISTRICT_QUEUE_ROLES = frozenset(
    {Role.DISTRICT_APPROVER.value, Role.DISTRICT_FINANCE.value, Role.SUPERVISOR.value}
)


def holder_text(assignee: str | None, owner_role: str | None, township: str) -> str:
    """Who holds a case, for a supervisor: "王芳（已认领）", or the role queue and its place
    ("乡镇审核 · 滨河镇待办", "区民政审批 · 区级待办") when nobody claimed it."""
    if assignee:
        return f"{assignee}（已认领）"
    if not owner_role:
        return "—"
    try:
        role = ROLE_LABELS[Role(owner_role)]
    except ValueError:
        role = owner_role
    place = "区级" if owner_role in DISTRICT_QUEUE_ROLES else township
    return f"{role} · {place}待办（未认领）"


class UnknownFilter(ValueError):
    """A drill-down filter that names no measure or no township in the actor's jurisdiction."""


def _township_condition(session: Session, actor: Actor, code: str) -> ColumnElement[bool]:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None or not (
        unit.path.startswith(actor.org_path) or actor.org_path.startswith(unit.path)
    ):
        raise UnknownFilter(code)
    if unit.level == "district":
        return Case.org_path == unit.path  # the district's own cases, not its townships'
    return Case.org_path.startswith(township_path(unit.path), autoescape=True)


def township_name(session: Session, code: str) -> str:
    """The display name of a township code (the district itself is 区本级)."""
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        return code
    return DISTRICT_LEVEL_NAME if unit.level == "district" else unit.name


def drill_conditions(
    session: Session,
    actor: Actor,
    b: Boundaries,
    *,
    measure: str,
    township: str | None = None,
    state: str | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clause behind one number of the board (same conditions as the counts)."""
    if measure not in MEASURES:
        raise UnknownFilter(measure)
    conds = [_in_scope(actor), _measure_conditions(b)[measure]]
    if township:
        conds.append(_township_condition(session, actor, township))
    if state:
        conds.append(Case.state == state)
    return conds


def drill_down(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    measure: str,
    township: str | None = None,
    state: str | None = None,
    page: int = 1,
    per_page: int = 50,
    cal: WorkdayCalendar | None = None,
) -> DrillPage:
    """The cases behind a number of the board, most overdue first, one page at a time."""
    cal = cal or load_calendar(session)
    b = boundaries(cal, now)
    where = drill_conditions(session, actor, b, measure=measure, township=township, state=state)
    total = int(session.scalar(select(func.count()).select_from(Case).where(*where)) or 0)
    page = max(1, page)
    # Outer joins: the count includes cases without a household (a township's payment roll)
    # and unclaimed ones, and the list shows every case it counts.
    stmt = (
        select(Case, Household.head_name, User.display_name)
        .outerjoin(Household, Household.id == Case.household_id)
        .outerjoin(User, User.id == Case.assignee_id)
        .where(*where)
        .order_by(Case.due_at.is_(None), Case.due_at, Case.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    found = session.execute(stmt).all()
    units = _units_for(session, actor, {township_path(c.org_path) for c, _, _ in found})
    labels = state_labels()
    reg = registry()
    rows = []
    for c, head, assignee in found:
        unit = units.get(township_path(c.org_path))
        town = unit.name if unit is not None and unit.level != "district" else DISTRICT_LEVEL_NAME
        owner = reg.workflow(c.workflow_key).states[c.state].owner_role
        late = None
        if c.due_at is not None and c.due_at < now:
            late = working_days_between(cal, c.due_at, now)
        rows.append(
            DrillRow(
                case_id=c.id,
                case_no=c.case_no,
                case_type=c.case_type,
                state=c.state,
                state_label=labels.get(c.state, c.state),
                head_name=head or "—",
                township_name=town,
                due_at=c.due_at,
                working_days_late=late,
                escalation_level=c.escalation_level,
                escalation_label=LEVEL_LABELS.get(c.escalation_level, ""),
                holder=holder_text(assignee, owner, town),
                claimed=assignee is not None,
            )
        )
    return DrillPage(rows, total, page, per_page)
