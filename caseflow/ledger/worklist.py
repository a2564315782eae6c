"""Read side of comparison runs for the worklist pages: counts per township, village and category,
filtered, paged lists and single rows — all limited in SQL to the actor's jurisdiction.

A result belongs to its township (township_code). Rows without a known township (the roster named
none, or one outside the district) are the district's: only actors whose unit is the district see
them — the same rule as caseflow.ledger.actions.scope_path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import DISTRICT
from caseflow.db.models import Case, ComparisonResult, ComparisonRun, OrgUnit, RosterImport
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound
from caseflow.kernel.paging import Page
from caseflow.ledger.classify import CATEGORIES

UNPLACED = "-"  # the township filter value of rows without a known township
UNPLACED_LABEL = "（未识别乡镇）"


class UnknownFilter(LookupError):
    """A township filter outside the actor's jurisdiction (shown as "not found")."""


def district_wide(actor: Actor) -> bool:
    """True when the actor's unit is the district itself (or above)."""
    return actor.may_see(f"/{DISTRICT[0]}/")


def in_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the result lies inside the actor's jurisdiction."""
    codes = select(OrgUnit.code).where(in_jurisdiction(OrgUnit.path, actor))
    inside = ComparisonResult.township_code.in_(codes)
    if not district_wide(actor):
        return inside
    unknown = ~ComparisonResult.township_code.in_(select(OrgUnit.code))
    return or_(inside, ComparisonResult.township_code.is_(None), unknown)


def township_names(session: Session) -> dict[str, str]:
    """Township code → name."""
    return dict(
        session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "township")).all()
    )


@dataclass(frozen=True)
class PlaceCount:
    code: str  # township code, or UNPLACED
    name: str
    village: str  # "" on township lines
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """All categories."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Summary:
    totals: dict[str, int]
    townships: list[PlaceCount]
    villages: list[PlaceCount]  # only when a township is chosen
    acted: int  # rows with an action taken (carried ones included)
    undecided: int = 0  # rows held for a person to decide (人工判定: same-name heads)

    @property
    def total(self) -> int:
        """Households in the actor's view of the run."""
        return sum(self.totals.values())


def undecided_count(session: Session, run_id: int) -> int:
    """Households of a run held for a person to decide (人工判定), district-wide."""
    return int(
        session.scalar(
            select(func.count()).where(
                ComparisonResult.run_id == run_id, ComparisonResult.needs_decision.is_(True)
            )
        )
        or 0
    )


def load_run(session: Session, run_id: int) -> ComparisonRun:
    """The run (runs span the district; their rows are what is limited), or CaseNotFound."""
    run = session.get(ComparisonRun, run_id)
    if run is None:
        raise CaseNotFound("比对批次不存在")
    return run


def _township_clause(township: str | None) -> list[ColumnElement[bool]]:
    if not township:
        return []
    if township == UNPLACED:
        unknown = ~ComparisonResult.township_code.in_(select(OrgUnit.code))
        return [or_(ComparisonResult.township_code.is_(None), unknown)]
    return [ComparisonResult.township_code == township]


def check_township(session: Session, actor: Actor, township: str | None) -> None:
    """UnknownFilter unless the township filter lies inside the actor's jurisdiction."""
    if not township:
        return
    if township == UNPLACED:
        if not district_wide(actor):
            raise UnknownFilter(township)
        return
    path = session.scalar(
        select(OrgUnit.path).where(OrgUnit.code == township, OrgUnit.level == "township")
    )
    if path is None or not actor.may_see(path):
        raise UnknownFilter(township)


def summary(session: Session, actor: Actor, run_id: int, township: str | None = None) -> Summary:
    """Counts per category, per township × category, and per village of one township."""
    check_township(session, actor, township)
    base = [ComparisonResult.run_id == run_id, in_scope(actor)]
    names = township_names(session)
    by_place: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for code, category, n in session.execute(
        select(ComparisonResult.township_code, ComparisonResult.category, func.count())
        .where(*base)
        .group_by(ComparisonResult.township_code, ComparisonResult.category)
    ):
        key = code if code in names else UNPLACED
        by_place.setdefault(key, Counter())[category] += n
        totals[category] += n
    townships = sorted(
        (PlaceCount(k, names.get(k, UNPLACED_LABEL), "", dict(c)) for k, c in by_place.items()),
        key=lambda p: (p.code == UNPLACED, p.code),
    )
    villages: list[PlaceCount] = []
    if township:
        per_village: dict[str, Counter[str]] = {}
        for village, category, n in session.execute(
            select(ComparisonResult.village, ComparisonResult.category, func.count())
            .where(*base, *_township_clause(township))
            .group_by(ComparisonResult.village, ComparisonResult.category)
        ):
            per_village.setdefault(village, Counter())[category] += n
        label = names.get(township, UNPLACED_LABEL)
        villages = [PlaceCount(township, label, v, dict(c)) for v, c in sorted(per_village.items())]
    acted = session.scalar(select(func.count()).where(*base, ComparisonResult.action != "none"))
    undecided = session.scalar(
        select(func.count()).where(*base, ComparisonResult.needs_decision.is_(True))
    )
    return Summary(
        {c: totals[c] for c in CATEGORIES},
        townships,
        villages,
        int(acted or 0),
        int(undecided or 0),
    )


@dataclass(frozen=True)
class Row:
    id: int
    category: str
    head_name: str
    township: str
    village: str
    persons: int
    reason: str
    action: str
    case_id: int | None
    case_no: str
    needs_decision: bool = False


WorklistPage = Page[Row]


def _persons(evidence: dict[str, Any]) -> int:
    seen = {
        p.get("id_number")
        for unit in evidence.get("registry", []) + evidence.get("assistance", [])
        for p in unit.get("persons", [])
    }
    return len(seen)


def worklist(
    session: Session,
    actor: Actor,
    run_id: int,
    *,
    category: str | None = None,
    township: str | None = None,
    village: str | None = None,
    action: str | None = None,
    decision: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> WorklistPage:
    """One page of the run's rows inside the jurisdiction, filtered, by township, village, head."""
    check_township(session, actor, township)
    where = [ComparisonResult.run_id == run_id, in_scope(actor), *_township_clause(township)]
    if category:
        where.append(ComparisonResult.category == category)
    if village is not None and village != "":
        where.append(ComparisonResult.village == village)
    if action == "open":
        where.append(ComparisonResult.action == "none")
    elif action == "done":
        where.append(ComparisonResult.action != "none")
    if decision:  # the 人工判定 tab
        where.append(ComparisonResult.needs_decision.is_(True))
    total = int(session.scalar(select(func.count()).where(*where)) or 0)
    names = township_names(session)
    found = session.execute(
        select(ComparisonResult, Case.case_no)
        .outerjoin(Case, Case.id == ComparisonResult.action_case_id)
        .where(*where)
        .order_by(
            ComparisonResult.township_code,
            ComparisonResult.village,
            ComparisonResult.head_name,
            ComparisonResult.id,
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    rows = [
        Row(
            r.id,
            r.category,
            r.head_name,
            names.get(r.township_code or "", UNPLACED_LABEL),
            r.village,
            _persons(r.evidence),
            (r.evidence.get("decision") or r.evidence.get("reasons") or [""])[0],
            r.action,
            r.action_case_id,
            case_no or "",
            r.needs_decision,
        )
        for r, case_no in found
    ]
    return Page(rows, total, page, per_page)


def result_in_scope(session: Session, actor: Actor, result_id: int) -> ComparisonResult:
    """One row, only if it lies inside the actor's jurisdiction (in SQL); else CaseNotFound."""
    row = session.scalar(
        select(ComparisonResult).where(ComparisonResult.id == result_id, in_scope(actor))
    )
    if row is None:
        raise CaseNotFound("比对结果不存在或不在您的管辖范围内")
    return row


@dataclass(frozen=True)
class ResultView:
    row: ComparisonResult
    township: str  # the township's name, UNPLACED_LABEL when unknown
    case_no: str  # of the case an action on the row opened, "" when none


def result_view(session: Session, actor: Actor, result_id: int) -> ResultView:
    """One row for its page (CaseNotFound outside the jurisdiction), with its township's name and
    the number of the case its action opened."""
    row = result_in_scope(session, actor, result_id)
    case_no = ""
    if row.action_case_id is not None:
        case_no = session.scalars(select(Case.case_no).where(Case.id == row.action_case_id)).one()
    township = township_names(session).get(row.township_code or "", UNPLACED_LABEL)
    return ResultView(row, township, case_no)


def recent_runs(session: Session, limit: int = 20) -> list[ComparisonRun]:
    """The latest comparison runs."""
    return list(
        session.scalars(select(ComparisonRun).order_by(ComparisonRun.id.desc()).limit(limit))
    )


def recent_imports(session: Session, limit: int = 50) -> list[RosterImport]:
    """The latest roster imports of every kind."""
    return list(session.scalars(select(RosterImport).order_by(RosterImport.id.desc()).limit(limit)))
