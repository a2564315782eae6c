"""The shapes the comparison works on — a household as one source lists it, with its persons —
and their loaders: roster imports (read in storage order, assembled into households) and the
system's approved cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import (
    Assessment,
    Case,
    Household,
    Member,
    MemberIncome,
    OrgUnit,
    RosterImport,
    RosterRow,
)
from caseflow.ledger.kinds import OTHER_LISTS

SYSTEM = "system"  # units built from the system's own approved 低保/特困 cases
REGISTRY = "registry"
HEAD = "户主"
# Programmes whose households count as assisted in the comparison (approved cases).
ASSISTED_PROGRAMMES = ("dibao", "tekun", "orphan")
_PROGRAM_OF = {"dibao_roster": "dibao", "tekun_roster": "tekun"}
_SYSTEM_LABOUR = {"full": "有劳动能力", "partial": "部分丧失劳动能力", "none": "无劳动能力"}
_SYSTEM_HEALTH = {"healthy": "健康", "chronic": "长期慢性病", "serious_illness": "患有大病"}


class Person(NamedTuple):
    """One person as a source lists them (a tuple: a comparison holds hundreds of thousands)."""

    id_number: str
    name: str
    relation: str = ""
    labour_capacity: str = ""
    health: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {
            "id_number": self[0],
            "name": self[1],
            "relation": self[2],
            "labour_capacity": self[3],
            "health": self[4],
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
    doubt: str = ""  # why a person must decide which household this is (人工判定), if so

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


def _import_rows(session: Session, import_id: int) -> Iterable[Sequence[Any]]:
    """The `_UNIT_COLUMNS` of every row of one import, in storage (file) order."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # One import's rows were inserted in one transaction, so they sit in one range of row
        # ids: read that range in order (sequential pages), not the rows in household-key order
        # through the index (a random read per row once the table outgrows the page cache).
        # "+import_id" keeps SQLite from preferring the import's index for the filter.
        lo, hi = conn.exec_driver_sql(
            "SELECT min(id), max(id) FROM roster_rows WHERE import_id = ?", (import_id,)
        ).one()
        if lo is None:
            return ()
        # The driver's own cursor (same connection, same transaction): its rows are plain
        # tuples, iterated in C.
        cursor = conn.connection.cursor()
        cursor.arraysize = 5000
        cursor.execute(
            f"SELECT {', '.join(_UNIT_COLUMNS)} FROM roster_rows"
            " WHERE id BETWEEN ? AND ? AND +import_id = ? ORDER BY id",
            (lo, hi, import_id),
        )
        return cast(Iterable[Sequence[Any]], cursor)
    table = RosterRow.__table__.c
    return conn.execute(
        select(*(table[name] for name in _UNIT_COLUMNS))
        .where(table.import_id == import_id)
        .order_by(table.id)
        .execution_options(yield_per=5000)
    )


def roster_units(session: Session, import_id: int, source: str) -> list[Unit]:
    """The households of one roster import in household-key order, each with its persons in
    file order and, per household field, the first non-empty value of its rows."""
    # Plain column tuples, not entities: no ORM identity map and no decoding of the raw-cells
    # JSON, which the comparison never reads.
    units: dict[str, Unit] = {}
    missing: dict[str, list[int]] = {}  # household fields still empty (first non-empty wins)
    program = _PROGRAM_OF.get(source)
    # One str object per distinct value of the few-valued columns (relation, labour capacity,
    # health, place, attribute...): the driver makes a new one per row, and at 700,000 persons
    # the copies would take more memory than everything else of a person together.
    one = {"": ""}.setdefault
    for row in _import_rows(session, import_id):
        key, ident, name, relation, labour, health = row[:6]
        person = Person(
            ident, name, one(relation, relation), one(labour, labour), one(health, health)
        )
        unit = units.get(key)
        if unit is None:
            unit = units[key] = Unit(
                source,
                key,
                [person],
                program,
                row[6] or "",
                one(row[7], row[7]) if row[7] else "",
                one(row[8], row[8]) if row[8] else None,
                one(row[9], row[9]) if row[9] else "",
                one(row[10], row[10]) if row[10] else "",
                one(row[11], row[11]) if row[11] else "",
                row[12],
                one(row[13], row[13]) if row[13] else "",
                row[14],
                import_id,
            )
            empty = [i for i in _FIELD_AT if row[i] is None or row[i] == ""]
            if empty:
                missing[key] = empty
            continue
        unit.persons.append(person)
        still = missing.get(key)
        if still:
            missing[key] = _fill_household(unit, row, still)
    return sorted(units.values(), key=_unit_key)


def _unit_key(unit: Unit) -> str:
    return unit.key


# Row positions of the household fields (after the person's own columns).
_FIELD_AT = range(6, len(_UNIT_COLUMNS))


def _fill_household(unit: Unit, row: Sequence[Any], missing: list[int]) -> list[int]:
    """Set the still-empty household fields this row has; return those still empty."""
    still = []
    for i in missing:
        value = row[i]
        if value is None or value == "":
            still.append(i)
        else:
            setattr(unit, _UNIT_COLUMNS[i], value)
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
    """Households with an approved 低保/特困 case (or a child in 孤儿 / 事实无人抚养儿童 care:
    the plan wants these children on the poverty registry too, so a registry household with one
    is not reported as missing assistance) and no completed removal after it."""
    removed = (
        select(Case.household_id, func.max(Case.closed_at).label("at"))
        .where(Case.case_type == "removal", Case.state == "removed")
        .group_by(Case.household_id)
        .subquery()
    )
    cases = session.execute(
        select(Case, removed.c.at)
        .outerjoin(removed, removed.c.household_id == Case.household_id)
        .where(Case.case_type.in_(ASSISTED_PROGRAMMES), Case.state == "approved")
        # 低保/特困 stand for the household before a child's allowance (their attribute is
        # what the registry records), then the latest approval.
        .order_by(Case.household_id, Case.case_type == "orphan", Case.closed_at.desc())
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
        select(Member)
        .where(Member.household_id == household.id, Member.left_on.is_(None))
        .order_by(Member.id)
    ).all()
    income = session.scalar(
        select(func.coalesce(func.sum(MemberIncome.monthly_fen), 0))
        .join(Member, Member.id == MemberIncome.member_id)
        .where(Member.household_id == household.id, Member.left_on.is_(None))
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
