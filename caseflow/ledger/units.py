"""The shapes the comparison works on — a household as one source lists it, with its persons —
and their loaders: roster imports (streamed by household) and the system's approved cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.ledger.kinds import OTHER_LISTS
from caseflow.models import (
    Assessment,
    Case,
    Household,
    Member,
    MemberIncome,
    OrgUnit,
    RosterImport,
    RosterRow,
)

SYSTEM = "system"  # units built from the system's own approved 低保/特困 cases
REGISTRY = "registry"
HEAD = "户主"
_PROGRAM_OF = {"dibao_roster": "dibao", "tekun_roster": "tekun"}
_SYSTEM_LABOUR = {"full": "有劳动能力", "partial": "部分丧失劳动能力", "none": "无劳动能力"}
_SYSTEM_HEALTH = {"healthy": "健康", "chronic": "长期慢性病", "serious_illness": "患有大病"}


@dataclass(frozen=True, slots=True)
class Person:
    id_number: str
    name: str
    relation: str = ""
    labour_capacity: str = ""
    health: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {
            "id_number": self.id_number,
            "name": self.name,
            "relation": self.relation,
            "labour_capacity": self.labour_capacity,
            "health": self.health,
        }


@dataclass(slots=True)
class Unit:
    """One household as one source lists it."""

    source: str  # registry | dibao_roster | tekun_roster | system
    key: str  # the source's own household key
    persons: list[Person] = field(default_factory=list)
    program: str | None = None  # dibao | tekun for the assistance side
    head_name: str = ""
    township: str = ""
    township_code: str | None = None
    village: str = ""
    attribute: str = ""
    main_cause: str = ""
    income_fen: int | None = None  # per capita per month
    aid_class: str = ""
    household_size: int | None = None
    import_id: int | None = None
    household_id: int | None = None
    case_id: int | None = None

    @property
    def ids(self) -> frozenset[str]:
        """Every person's ID number."""
        return frozenset(p.id_number for p in self.persons)

    @property
    def head_id(self) -> str | None:
        """The ID number of the member recorded as 户主, if any."""
        return next((p.id_number for p in self.persons if p.relation == HEAD), None)

    def summary(self) -> dict[str, Any]:
        """JSON-ready evidence."""
        return {
            "source": self.source,
            "key": self.key,
            "program": self.program,
            "import_id": self.import_id,
            "household_id": self.household_id,
            "case_id": self.case_id,
            "head_name": self.head_name,
            "township": self.township,
            "township_code": self.township_code,
            "village": self.village,
            "attribute": self.attribute,
            "main_cause": self.main_cause,
            "income_fen": self.income_fen,
            "aid_class": self.aid_class,
            "household_size": self.household_size,
            "persons": [p.as_dict() for p in self.persons],
        }


@dataclass(frozen=True, slots=True)
class ListHit:
    """A person found on another department's list."""

    id_number: str
    name: str
    kind: str
    import_id: int
    row_no: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the list's Chinese name."""
        return {
            "id_number": self.id_number,
            "name": self.name,
            "kind": self.kind,
            "label": OTHER_LISTS[self.kind],
            "import_id": self.import_id,
            "row_no": self.row_no,
        }


_UNIT_COLUMNS = (
    "household_key",
    "id_number",
    "name",
    "relation",
    "labour_capacity",
    "health",
    "head_name",
    "township",
    "township_code",
    "village",
    "attribute",
    "main_cause",
    "income_fen",
    "aid_class",
    "household_size",
)


# The Unit attributes filled from the columns after the person's own (same names, same order).
_HOUSEHOLD_FIELDS = _UNIT_COLUMNS[6:]


def roster_units(session: Session, import_id: int, source: str) -> Iterator[Unit]:
    """The households of one roster import, streamed in household-key order."""
    # Plain columns, not entities: no ORM identity map and no decoding of the raw-cells JSON,
    # which the comparison never reads (a large share of the time for a 500,000-row registry).
    # A Core select on the connection: the ORM's per-row result processing is not needed for
    # plain column tuples.
    table = RosterRow.__table__.c
    rows = session.connection().execute(
        select(*(table[name] for name in _UNIT_COLUMNS))
        .where(table.import_id == import_id)
        .order_by(table.household_key, table.row_no)
        .execution_options(yield_per=5000)
    )
    unit: Unit | None = None
    program = _PROGRAM_OF.get(source)
    missing: list[int] = []  # household-level fields still empty (first non-empty value wins)
    for key, ident, name, relation, labour, health, *place in rows:
        if unit is None or unit.key != key:
            if unit is not None:
                yield unit
            unit = Unit(source, key, program=program, import_id=import_id)
            missing = list(range(len(_HOUSEHOLD_FIELDS)))
        unit.persons.append(Person(ident, name, relation, labour, health))
        if missing:
            missing = _fill_household(unit, place, missing)
    if unit is not None:
        yield unit


def _fill_household(unit: Unit, place: list[Any], missing: list[int]) -> list[int]:
    """Set the still-empty household fields this row has; return those still empty."""
    still = []
    for i in missing:
        value = place[i]
        if value is None or value == "":
            still.append(i)
        else:
            setattr(unit, _HOUSEHOLD_FIELDS[i], value)
    return still


def other_list_hits(session: Session, import_ids: Iterable[int]) -> dict[str, list[ListHit]]:
    """ID number → every entry on the other departments' lists among `import_ids`."""
    hits: dict[str, list[ListHit]] = defaultdict(list)
    rows = session.execute(
        select(
            RosterRow.id_number,
            RosterRow.name,
            RosterImport.kind,
            RosterRow.import_id,
            RosterRow.row_no,
        )
        .join(RosterImport, RosterImport.id == RosterRow.import_id)
        .where(RosterRow.import_id.in_(list(import_ids)), RosterImport.kind.in_(list(OTHER_LISTS)))
        .execution_options(yield_per=5000)
    )
    for id_number, name, kind, import_id, row_no in rows:
        hits[id_number].append(ListHit(id_number, name, kind, import_id, row_no))
    return hits


def _township_code(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    return parts[1] if len(parts) > 1 else None


def system_units(session: Session) -> list[Unit]:
    """Households with an approved 低保/特困 case and no completed removal after it."""
    removed = (
        select(Case.household_id, func.max(Case.closed_at).label("at"))
        .where(Case.case_type == "removal", Case.state == "removed")
        .group_by(Case.household_id)
        .subquery()
    )
    cases = session.execute(
        select(Case, removed.c.at)
        .outerjoin(removed, removed.c.household_id == Case.household_id)
        .where(Case.case_type.in_(("dibao", "tekun")), Case.state == "approved")
        .order_by(Case.household_id, Case.closed_at.desc())
    ).all()
    units: list[Unit] = []
    seen: set[int] = set()
    for case, removed_at in cases:
        if case.household_id in seen:
            continue  # the latest approval of a household stands for it
        seen.add(case.household_id)
        if removed_at is not None and case.closed_at is not None and removed_at > case.closed_at:
            continue
        units.append(_system_unit(session, case))
    return units


def _system_unit(session: Session, case: Case) -> Unit:
    household = session.get_one(Household, case.household_id)
    members = session.scalars(
        select(Member).where(Member.household_id == household.id).order_by(Member.id)
    ).all()
    income = session.scalar(
        select(func.coalesce(func.sum(MemberIncome.monthly_fen), 0))
        .join(Member, Member.id == MemberIncome.member_id)
        .where(Member.household_id == household.id)
    )
    aid_class = session.scalar(
        select(Assessment.aid_class)
        .where(Assessment.case_id == case.id, Assessment.aid_class.is_not(None))
        .order_by(Assessment.at.desc())
        .limit(1)
    )
    unit_org = session.get_one(OrgUnit, household.org_unit_id)
    township = _township_code(household.org_path)
    township_name = (
        session.scalar(select(OrgUnit.name).where(OrgUnit.code == township)) if township else ""
    )
    persons = [
        Person(
            m.id_number,
            m.name,
            m.relation,
            _SYSTEM_LABOUR.get(m.labour_capacity, m.labour_capacity),
            _SYSTEM_HEALTH.get(m.health, m.health),
        )
        for m in members
    ]
    return Unit(
        SYSTEM,
        f"household:{household.id}",
        persons,
        program=case.case_type,
        head_name=household.head_name,
        township=township_name or "",
        township_code=township,
        village=unit_org.name if unit_org.level == "village" else "",
        income_fen=int(income or 0) // max(len(persons), 1) if persons else None,
        aid_class=aid_class or "",
        household_id=household.id,
        case_id=case.id,
    )
