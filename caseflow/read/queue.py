"""The work queue (待办): open cases the actor may act on now, inside its jurisdiction, in SQL.

Which (workflow, state) pairs an actor may act on is derived once from the workflow definitions
(`actionable_pairs`); the queue itself is then one SQL query over indexed columns of `cases` —
never a loop asking the state machine case by case. Guards are not judged here (they need the
case's details); the case page and `fire` still judge them.

The tab counts come from the board's counters (`board_counts`, migration 0009: open cases per
township, state, workflow and due instant, kept exact by triggers) whenever the filters can be
expressed on those keys, so they no longer grow with the number of open cases; "mine" is counted
live on ix_cases_assignee_open. The live grouped count stays as the reference (`live=True`).

Claim / release mark who is working a case, by compare-and-set, with an audit event each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from caseflow.db.engine import is_postgres
from caseflow.db.models import BoardCount, BoardHorizon, Case, Household, OrgUnit, User
from caseflow.institutions.models import Admission
from caseflow.kernel.actors import Actor
from caseflow.kernel.paging import Page
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware
from caseflow.read.board_counts import fits_day
from caseflow.workflow.registry import Registry, registry

# Not work items: the deadline extension is possible from (almost) every state.
ESCALATED_LEVEL = 3  # 3 = escalated to the district (督办), 4 = to the bureau's leadership
ASSIGNEE_CHOICES = frozenset({"", "mine", "unclaimed"})
TABS = ("all", "overdue", "escalated", "mine")
_CODE = re.compile(r"^\d{6,12}$")
# How claim / release events read on the case timeline and in the audit trail.

Pair = tuple[str, str]


_PAIRS_CACHE: dict[tuple[int, frozenset[str]], tuple[Pair, ...]] = {}


def _pairs_for(roles: frozenset[str], reg: Registry) -> tuple[Pair, ...]:
    key = (id(reg), roles)
    if key in _PAIRS_CACHE:
        return _PAIRS_CACHE[key]
    found: set[Pair] = set()
    for wf in reg.workflows.values():
        for state in wf.states.values():
            if state.final:
                continue
            for t in wf.transitions_from(state.name):
                if not t.queue_work:
                    continue
                if (t.roles - {Role.SYSTEM.value}) & roles:
                    found.add((wf.key, state.name))
                    break
    result = _PAIRS_CACHE[key] = tuple(sorted(found))
    return result


def actionable_pairs(roles: Iterable[str], reg: Registry | None = None) -> list[Pair]:
    """(workflow_key, state) pairs where a declared transition allows one of `roles`."""
    return list(_pairs_for(frozenset(roles) - {Role.SYSTEM.value}, reg or registry()))


@dataclass(frozen=True)
class QueueFilters:
    """What the user narrowed the queue to; codes are org-unit codes (乡镇 9 / 村 12 digits)."""

    case_type: str = ""
    state: str = ""
    township: str = ""
    village: str = ""
    overdue: bool = False
    escalated: bool = False
    assignee: str = ""  # "" | "mine" | "unclaimed"

    @classmethod
    def for_tab(cls, tab: str, **kwargs: Any) -> QueueFilters:
        """Filters of a tab (all / overdue / escalated / mine) on top of the other filters."""
        assignee = kwargs.pop("assignee", "")
        return cls(
            overdue=tab == "overdue",
            escalated=tab == "escalated",
            assignee="mine" if tab == "mine" else assignee,
            **kwargs,
        )


@dataclass(frozen=True)
class TabCounts:
    all: int = 0
    overdue: int = 0
    escalated: int = 0
    mine: int = 0


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue, as the list shows it."""

    id: int
    case_no: str
    case_type: str
    workflow_key: str
    state: str
    version: int
    org_path: str
    unit_name: str
    head_name: str | None  # None for a case about a township (the payment roll)
    due_at: datetime | None
    escalation_level: int
    flag_illness: bool
    flag_disability: bool
    flag_sudden: bool
    flag_staff_relative: bool
    assignee_id: int | None
    assignee_name: str | None
    household_id: int | None = None  # for the registry status beside the head's name

    @property
    def township_code(self) -> str:
        """The township segment of the org path ("" for a case filed at district level)."""
        parts = self.org_path.strip("/").split("/")
        return parts[1] if len(parts) > 1 else ""

    def overdue(self, now: datetime) -> bool:
        """Past its earliest open deadline."""
        return self.due_at is not None and self.due_at < now

    @property
    def escalated(self) -> bool:
        """Escalated to the district (督办) or higher."""
        return self.escalation_level >= ESCALATED_LEVEL


@dataclass(frozen=True)
class QueuePage(Page[QueueRow]):
    """A page of the queue with the counts of its tabs."""

    counts: TabCounts


def _unit_path(code: str) -> str | None:
    """The org path of a township (9 digits) or village (12 digits) code, or None if malformed.

    Codes follow the national administrative code: district 6 + township 3 + village 3 digits,
    and org paths are built from them (caseflow.accounts.orgs.add_unit)."""
    if not _CODE.match(code) or len(code) not in (9, 12):
        return None
    parts = [code[:6], code[:9]] + ([code] if len(code) == 12 else [])
    return "/" + "/".join(parts) + "/"


def _prefix(path: str) -> ColumnElement[bool]:
    """org_path LIKE 'path%', the pattern inlined: a prepared statement's generic plan cannot
    turn a parameter into an index range, and there are only a few distinct org paths."""
    escaped = path.replace("/", "//").replace("%", "/%").replace("_", "/_")
    pattern = bindparam(None, escaped + "%", type_=String(), literal_execute=True)
    return Case.org_path.like(pattern, escape="/")


def _place_range(path: str) -> list[ColumnElement[bool]]:
    """org_path >= 'path' AND org_path < 'path' with its closing '/' raised to '0': exactly the
    paths below `path` under binary collation (SQLite's), as a range an index can seek on —
    SQLite does not turn LIKE … ESCAPE into one. Org paths end in '/', and '0' follows '/'."""
    low = bindparam(None, path, type_=String(), literal_execute=True)
    high = bindparam(None, path[:-1] + "0", type_=String(), literal_execute=True)
    return [Case.org_path >= low, Case.org_path < high]


def _narrowest_place(actor: Actor, filters: QueueFilters) -> str:
    """The deepest org path the query is limited to: the actor's, or a valid place filter's."""
    place = actor.org_path
    for code in (filters.township, filters.village):
        path = _unit_path(code) if code else None
        if path and path.startswith(place) and len(path) > len(place):
            place = path
    return place


def _pairs_condition(
    pairs: Sequence[Pair],
    reg: Registry,
    state_col: ColumnElement[str],
    *,
    grouped: bool = False,
    workflow_col: ColumnElement[str] | None = None,
) -> ColumnElement[bool]:
    """The exact (workflow, state) test, written per state so that planners estimate it well:
    a state every one of whose workflows is in the set needs no workflow test at all.

    `grouped` (SQLite): those states go into one IN list — one test per row instead of one per
    state, which is most of the work when thousands of index entries are counted."""
    by_state: dict[str, set[str]] = {}
    for wf_key, state in pairs:
        by_state.setdefault(state, set()).add(wf_key)
    wf_col = Case.workflow_key.expression if workflow_col is None else workflow_col
    terms: list[ColumnElement[bool]] = []
    whole: list[str] = []
    for state, wfs in sorted(by_state.items()):
        having = {k for k, wf in reg.workflows.items() if state in wf.states}
        if wfs >= having:
            whole.append(state)
        else:
            terms.append(and_(state_col == state, wf_col.in_(sorted(wfs))))
    if grouped and whole:
        terms.insert(0, state_col.in_(whole))
    else:
        terms[:0] = [state_col == state for state in whole]
    return or_(*terms)


def _reach(actor: Actor) -> ColumnElement[bool]:
    """The actor's cases: those below its org path, or an institution's staff's admissions to
    their institution (a semi-join on the admissions' institution index)."""
    if actor.institution_id is None:
        return _prefix(actor.org_path)
    return Case.id.in_(
        select(Admission.case_id).where(Admission.institution_id == actor.institution_id)
    )


def _base_conditions(
    actor: Actor,
    pairs: Sequence[Pair],
    filters: QueueFilters,
    *,
    ordered: bool = False,
    postgres: bool = False,
) -> list[ColumnElement[bool]]:
    """Open, in jurisdiction, actionable, and the non-tab filters.

    `ordered` (the page query on SQLite): the state test is written so that no index can seek
    on it (`state || ''`), which leaves the planner one good path — ix_cases_queue_due read in queue
    order, state and org path checked on the way, stopping after one page.

    The counts on SQLite: below the district (a township user, or a township / village filter)
    they read that place's open cases from ix_cases_queue_place — a range on org path, a few
    per cent of the open cases — and test the state inside the index; district-wide they read
    the actionable states from ix_cases_queue_state. Either way they touch about the rows they
    count, not every open case in those states across the district."""
    reg = registry()
    place = _narrowest_place(actor, filters)
    # An institution's staff: their reach is their institution's admissions, wherever the
    # household lives (their own org path lies below every case's, caseflow.kernel.actors).
    by_place = (
        not postgres and not ordered and place.count("/") > 2 and actor.institution_id is None
    )
    state_col: ColumnElement[str] = (
        Case.state.concat("") if ordered or by_place else Case.state.expression
    )
    if filters.case_type:
        pairs = [p for p in pairs if reg.workflow(p[0]).case_type == filters.case_type]
    if filters.state:
        pairs = [p for p in pairs if p[1] == filters.state]
    if not pairs:
        return [Case.is_final == false(), literal(False)]
    conds: list[ColumnElement[bool]] = [
        Case.is_final == false(),
        _reach(actor),
        _pairs_condition(pairs, reg, state_col, grouped=not postgres),
    ]
    if by_place:
        conds += _place_range(place)
    elif not postgres:
        # SQLite narrows on ix_cases_queue_state through a plain IN; PostgreSQL would count
        # this repeat of the pair test twice in its row estimate, and choose worse plans.
        conds.append(state_col.in_(sorted({s for _, s in pairs})))
    if filters.case_type:
        conds.append(Case.case_type == filters.case_type)
    for code in (filters.township, filters.village):
        if code:
            path = _unit_path(code)
            conds.append(_prefix(path) if path else literal(False))
    return conds


def _tab_conditions(
    actor: Actor, now: Any, filters: QueueFilters, *, me: Any = None
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filters.overdue:
        conds.append(Case.due_at < now)
    if filters.escalated:
        conds.append(Case.escalation_level >= ESCALATED_LEVEL)
    if filters.assignee == "mine":
        conds.append(Case.assignee_id == ((actor.user_id or 0) if me is None else me))
    elif filters.assignee == "unclaimed":
        conds.append(Case.assignee_id.is_(None))
    return conds


def _as_int(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _live_counts(
    session: Session, actor: Actor, now: datetime, filters: QueueFilters, pairs: Sequence[Pair]
) -> tuple[TabCounts, int]:
    """Every count from the open cases themselves, one grouped query: the reference, and the
    way for filters the counters cannot express (village, unclaimed, a village-level actor)."""
    tab = _tab_conditions(actor, now, filters)
    row = session.execute(
        select(
            func.count(),
            _as_int(Case.due_at < now),
            _as_int(Case.escalation_level >= ESCALATED_LEVEL),
            _as_int(Case.assignee_id == (actor.user_id or 0)),
            _as_int(and_(true(), *tab)) if tab else func.count(),
        ).where(*_base_conditions(actor, pairs, filters, postgres=is_postgres(session)))
    ).one()
    all_, overdue, escalated, mine, total = (int(v or 0) for v in row)
    return TabCounts(all_, overdue, escalated, mine), total


_DISTRICT_OR_TOWNSHIP = re.compile(r"^/[^/]+/(?:[^/]+/)?$")


def _counter_township(actor: Actor, filters: QueueFilters) -> str | None:
    """The township path the counters are limited to ("" for the actor's whole jurisdiction),
    or None when the filters cannot be expressed on the counters' keys.

    The counters hold whole townships: a village (as filter or as the actor's jurisdiction) and
    "unclaimed" (the assignee is no key) are counted live. A township filter is the equality
    township_path = its path (the live prefix test on org_path selects the same cases)."""
    if filters.village or filters.assignee not in ("", "mine"):
        return None
    if actor.institution_id is not None:
        return None  # the counters know townships, not institutions: counted live
    if not _DISTRICT_OR_TOWNSHIP.match(actor.org_path):
        return None
    if not filters.township:
        return ""
    if len(filters.township) != 9:
        return None  # a village code or junk in the township field: the live query judges it
    return _unit_path(filters.township)


def _filtered_pairs(pairs: Sequence[Pair], filters: QueueFilters) -> list[Pair]:
    reg = registry()
    out = list(pairs)
    if filters.case_type:
        # A case's case_type is its workflow's (engine.open_case): the type is a set of workflows.
        out = [p for p in out if reg.workflow(p[0]).case_type == filters.case_type]
    if filters.state:
        out = [p for p in out if p[1] == filters.state]
    return out


def _township_paths(actor_path: str) -> Any:
    """The distinct township paths of the counters below `actor_path`, as a subquery: a loose
    index scan (one PRIMARY KEY seek per township, a dozen in a district) that lets the count
    seek each (township, actionable state) range instead of reading every counter row of the
    district — the rows of the states the actor cannot act on are most of them.

    The walk goes through all township paths in key order and the prefix test is applied to
    what it found: under a non-binary collation (PostgreSQL) the paths below a district need
    not be one contiguous key range."""
    bc = BoardCount
    nxt = aliased(BoardCount)
    towns = select(func.min(bc.township_path).label("p")).cte("towns", recursive=True)
    step = (
        select(func.min(nxt.township_path)).where(nxt.township_path > towns.c.p).scalar_subquery()
    )
    towns = towns.union_all(select(step).where(towns.c.p.is_not(None)))
    return select(towns.c.p).where(towns.c.p.startswith(actor_path, autoescape=True))


def counters_select(
    actor: Actor, now: Any, filters: QueueFilters, township: str, pairs: Sequence[Pair]
) -> Select[int, int, int, int]:
    """The counter query of `queue_counts`: (all, overdue, escalated, escalated and overdue)
    summed over the actionable pairs' counter rows in the actor's jurisdiction (or `township`).
    `now`: an instant, or a bind parameter standing for one."""
    bc = BoardCount
    scope: ColumnElement[bool]
    if township:
        scope = and_(
            bc.township_path == township,
            literal(township.startswith(actor.org_path)),
        )
    elif actor.org_path.count("/") == 3:
        scope = bc.township_path == actor.org_path
    else:
        scope = bc.township_path.in_(_township_paths(actor.org_path))
    late = bc.due_at < now
    # Escalated and overdue at once is no tab's total unless both filters are set: the fourth
    # sum costs a quarter of the query's time per counter row, so it is left out otherwise.
    late_escalated: Any = literal(0)
    if filters.overdue and filters.escalated:
        late_escalated = func.coalesce(func.sum(bc.n_escalated).filter(late), 0)
    states = sorted({s for _, s in pairs})
    pair_test = _pairs_condition(
        pairs, registry(), bc.state.expression, workflow_col=bc.workflow_key.expression
    )
    return select(
        func.coalesce(func.sum(bc.n), 0).label("all"),
        func.coalesce(func.sum(bc.n).filter(late), 0).label("overdue"),
        func.coalesce(func.sum(bc.n_escalated), 0).label("escalated"),
        late_escalated.label("late_escalated"),
    ).where(
        scope,
        # State: the second column of the key, sought after the township (the pair test alone
        # is an OR the planner would not seek on when some states need a workflow test too).
        *([bc.state.in_(states)] if len(states) > 1 else []),
        pair_test,
    )


def mine_select(
    actor: Actor, now: Any, filters: QueueFilters, pairs: Sequence[Pair], me: Any = None
) -> Any:
    """The live "mine" count and the total under the tab filters among them. `now` and `me`
    (the user id, by default the actor's): values or bind parameters."""
    me = (actor.user_id or 0) if me is None else me
    tab = _tab_conditions(actor, now, filters, me=me)
    # Served by ix_cases_assignee_open (claimed open cases only: assignee_id = ? implies its
    # `assignee_id IS NOT NULL`); ordered=True keeps the state test off the other indexes.
    return select(
        func.count().label("mine"),
        (_as_int(and_(true(), *tab)) if tab else func.count()).label("mine_total"),
    ).where(
        Case.assignee_id == me,
        *_base_conditions(actor, pairs, filters, ordered=True),
    )


# The statement of the tab counts per (jurisdiction, roles, filters, counter township), with the
# clock and the user as parameters: building it costs about a millisecond of Python, thirty
# times what SQLite then needs to answer it. Bounded, since filters come from the query string.
_COUNTS_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_COUNTS_STATEMENTS_MAX = 1024


def tab_counts_select(
    actor: Actor, filters: QueueFilters, township: str, pairs: Sequence[Pair]
) -> Any:
    """The counters' sums and the live "mine" count in one statement (one round trip): all,
    overdue, escalated, late_escalated, mine, mine_total; parameters `queue_now` (the instant)
    and `queue_me` (the user id, 0 for none)."""
    key = (actor.org_path, frozenset(actor.roles), filters, township, tuple(pairs))
    found = _COUNTS_STATEMENTS.get(key)
    if found is not None:
        return found
    now = bindparam("queue_now", type_=Case.__table__.c.due_at.type)
    me = bindparam("queue_me", type_=Integer())
    sums = counters_select(actor, now, filters, township, _filtered_pairs(pairs, filters))
    counters = sums.subquery("counters")
    mine = mine_select(actor, now, filters, pairs, me=me).subquery("mine")
    # The horizon's day, to know the counters fold due dates for the day of `queue_now`.
    horizon = [
        select(col).scalar_subquery().label(col.key)
        for col in (BoardHorizon.today_start, BoardHorizon.tomorrow_start)
    ]
    stmt = select(*counters.c, *mine.c, *horizon).select_from(counters.join(mine, true()))
    if len(_COUNTS_STATEMENTS) >= _COUNTS_STATEMENTS_MAX:
        _COUNTS_STATEMENTS.clear()
    _COUNTS_STATEMENTS[key] = stmt
    return stmt


def queue_counts(
    session: Session,
    actor: Actor,
    now: datetime,
    filters: QueueFilters = QueueFilters(),
    *,
    live: bool = False,
) -> tuple[TabCounts, int]:
    """Counts per tab under the non-tab filters, and the total under all filters.

    From the counters plus a live count of the actor's own cases where the filters allow it
    (see `_counter_township`) and their horizon's day holds `now` (board_counts.fits_day),
    otherwise — and with `live=True` — one grouped query over the open cases. Both give the
    same numbers (tests/integration/test_queue_counters.py)."""
    require_aware(now, "now")
    pairs = actionable_pairs(actor.roles)
    if not pairs:
        return TabCounts(), 0
    township = None if live else _counter_township(actor, filters)
    if township is None:
        return _live_counts(session, actor, now, filters, pairs)
    if not _filtered_pairs(pairs, filters):
        return TabCounts(), 0
    stmt = tab_counts_select(actor, filters, township, pairs)
    row = session.execute(stmt, {"queue_now": now, "queue_me": actor.user_id or 0}).one()
    *sums, today_start, tomorrow_start = row
    if not fits_day(today_start, tomorrow_start, now):
        # The counters fold another day's due dates: "overdue" is not theirs to say for `now`.
        return _live_counts(session, actor, now, filters, pairs)
    all_, overdue, escalated, late_escalated, mine, mine_total = (int(v or 0) for v in sums)
    if filters.assignee == "mine":
        total = mine_total
    elif filters.overdue and filters.escalated:
        total = late_escalated
    elif filters.overdue:
        total = overdue
    elif filters.escalated:
        total = escalated
    else:
        total = all_
    return TabCounts(all_, overdue, escalated, mine), total


def _priority() -> ColumnElement[bool]:
    """因大病 / 因重残 / 因突发事件, written as ix_cases_queue_priority's WHERE clause is (SQLite
    uses a partial index only for a query whose own WHERE repeats the index's terms)."""
    return or_(Case.flag_illness, Case.flag_disability, Case.flag_sudden)


def _slices(conds: Sequence[ColumnElement[bool]], now: datetime, cut: int) -> Any:
    """The first `cut` ids of each part of the queue's order, each read in the order of an
    index: overdue (ix_cases_queue_due from its start), priority not yet overdue
    (ix_cases_queue_priority, partial on the flags), the rest not yet overdue
    (ix_cases_queue_due from `now`), paused (no due date; few). Columns: id, slice, after
    (the paused non-priority cases)."""
    # ix_cases_queue_due leads with (due_at IS NULL): an equality on that expression lets a
    # slice seek into the dated or the paused part and read it in due order (SQLite then sorts
    # only the ties of one instant by id, "RIGHT PART OF ORDER BY").
    dated = Case.due_at.is_(None) == false()
    paused = Case.due_at.is_(None) == true()
    priority = _priority()
    by_due = [Case.due_at, Case.id]
    slices: list[tuple[int, list[ColumnElement[bool]], list[Any]]] = [
        (0, [dated, Case.due_at < now], by_due),
        (1, [Case.due_at >= now, priority], by_due),
        (2, [dated, Case.due_at >= now, ~priority], by_due),
        (3, [paused], [~priority, Case.id]),
    ]
    parts = [
        select(
            Case.id.label("id"),
            literal(rank).label("slice"),
            (~priority if rank == 3 else literal(False)).label("after"),
        )
        .where(*conds, *where)
        .order_by(*order)
        .limit(cut)
        .subquery(f"slice{rank}")
        for rank, where, order in slices
    ]
    return union_all(*(select(part) for part in parts)).subquery("page")


def _ranked(conds: Sequence[ColumnElement[bool]], now: datetime, limit: int, offset: int) -> Any:
    """The page's ids by a rank computed in ORDER BY (PostgreSQL): the database keeps the top
    rows in a bounded heap while it reads the jurisdiction's actionable cases, and only the
    page's rows are joined to their households, units and assignees afterwards. Columns as
    `_slices`'."""
    priority = _priority()
    rank = case((Case.due_at.is_(None), 3), (Case.due_at < now, 0), (priority, 1), else_=2)
    after = and_(Case.due_at.is_(None), ~priority)
    return (
        select(Case.id.label("id"), rank.label("slice"), after.label("after"))
        .where(*conds)
        .order_by(rank, after, Case.due_at, Case.id)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )


def queue_select(
    actor: Actor,
    now: datetime,
    filters: QueueFilters,
    *,
    sqlite: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> Any:
    """The page query: `limit` rows after `offset`, in the queue's order (the bench EXPLAINs it).

    The ordering rule (README, "The queue's order"): overdue cases first, most overdue first;
    then the priority groups of the plan (因大病 / 因重残 / 因突发事件) by due date, ahead of
    every other case not yet overdue; then the rest by due date; paused cases (no due date)
    last, priority ones first. Priority is a rank, not a tie-break: a priority case due next
    week comes before an ordinary one due tomorrow — but never before an overdue one.

    SQLite: a rank computed from `now` in ORDER BY would make it sort every open case in the
    jurisdiction, so the page is read as index-ordered slices (`_slices`) cut after
    `offset + limit` rows, and only those few rows are put in order. PostgreSQL keeps the rank
    in ORDER BY (`_ranked`): its top-N heap is cheap, and planning four slices cost it more
    than they saved (bench/queue.py, README). Either way only the page's rows are joined.
    The state test is hidden from SQLite's index chooser (see `_base_conditions`); on
    PostgreSQL it stays plain, for the planner's state statistics."""
    pairs = actionable_pairs(actor.roles) or [("", "")]
    conds = [
        *_base_conditions(actor, pairs, filters, ordered=sqlite, postgres=not sqlite),
        *_tab_conditions(actor, now, filters),
    ]
    rows = select(
        Case.id,
        Case.case_no,
        Case.case_type,
        Case.workflow_key,
        Case.state,
        Case.version,
        Case.org_path,
        OrgUnit.name,
        Household.head_name,
        Case.due_at,
        Case.escalation_level,
        Case.flag_illness,
        Case.flag_disability,
        Case.flag_sudden,
        Case.flag_staff_relative,
        Case.assignee_id,
        User.display_name,
        Case.household_id,
    )
    if sqlite:
        page, skip = _slices(conds, now, offset + limit), offset
    else:
        page, skip = _ranked(conds, now, limit, offset), 0
    return (
        rows.select_from(page)
        .join(Case, Case.id == page.c.id)
        # Outer: a township's payment roll (and a 提标 case) has no household, and the counts
        # include it — the list must show every case it counts.
        .outerjoin(Household, Household.id == Case.household_id)
        .join(OrgUnit, OrgUnit.id == Case.org_unit_id)
        .outerjoin(User, User.id == Case.assignee_id)
        .order_by(page.c.slice, page.c.after, Case.due_at, Case.id)
        .limit(limit)
        .offset(skip)
    )


def queue_page(
    session: Session,
    actor: Actor,
    now: datetime,
    filters: QueueFilters = QueueFilters(),
    page: int = 1,
    per_page: int = 50,
) -> QueuePage:
    """One page of the queue, most urgent first, with the total and the counts per tab."""
    require_aware(now, "now")
    per_page = max(1, min(per_page, 200))
    page = max(1, page)
    counts, total = queue_counts(session, actor, now, filters)
    if total == 0:
        return QueuePage([], 0, 1, per_page, counts)
    page = min(page, max(1, -(-total // per_page)))
    stmt = queue_select(
        actor,
        now,
        filters,
        sqlite=not is_postgres(session),
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    rows = [QueueRow(*r) for r in session.execute(stmt).all()]
    return QueuePage(rows, total, page, per_page, counts)


# --- claim / release -------------------------------------------------------------------------
