"""Institutional care as the pages show it: occupancy per institution and for the district
(beds, in use, reserved, waiting, by care level), and the priority list of dispersed 特困
persons who are 全失能 / 半失能 (centralised care first for them), with their status.
Jurisdiction in the SQL of every query."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, Member, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.institutions.models import (
    CARE_LEVEL_ZH,
    CARE_LEVELS,
    GROUNDS,
    Admission,
    BedOccupancy,
    Institution,
)
from caseflow.institutions.records import institution_in_reach, institution_reach
from caseflow.kernel.actors import Actor
from caseflow.payments.entitlements import versions_of
from caseflow.payments.models import STOP
from caseflow.workflow.registry import registry

# Proposed, no bed confirmed yet (by the township, or by the institution's own account).
WAITING_STATES = ("proposed", "awaiting_institution")
PRIORITY_LEVELS = ("full", "partial")


@dataclass(frozen=True)
class LevelCount:
    level: str
    label: str
    capacity: int
    in_use: int
    reserved: int
    waiting: int


@dataclass(frozen=True)
class Resident:
    case_id: int
    case_no: str
    name: str
    bed_no: int
    care_label: str
    since: datetime
    admitted: bool


@dataclass(frozen=True)
class Pending:
    case_id: int
    case_no: str
    name: str
    care_label: str
    ground_label: str
    state_label: str
    bed_no: int | None
    state: str = ""
    version: int = 0  # the case's, for the institution's confirmation (compare-and-set)


@dataclass
class Occupancy:
    """One institution's beds, or the district's sum (institution None)."""

    institution: Institution | None
    township_name: str
    licensed: int = 0
    in_use: int = 0
    reserved: int = 0
    waiting: int = 0
    levels: list[LevelCount] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(0, self.licensed - self.in_use - self.reserved)


def _counts(session: Session, ids: list[int]) -> dict[tuple[int, str, bool], int]:
    """(institution, care level, admitted) → live occupancies."""
    rows = session.execute(
        select(
            BedOccupancy.institution_id,
            BedOccupancy.care_level,
            BedOccupancy.admitted_at.is_not(None),
            func.count(),
        )
        .where(BedOccupancy.institution_id.in_(ids), BedOccupancy.ended_at.is_(None))
        .group_by(
            BedOccupancy.institution_id,
            BedOccupancy.care_level,
            BedOccupancy.admitted_at.is_not(None),
        )
    ).all()
    return {(iid, level, bool(admitted)): int(n) for iid, level, admitted, n in rows}


def _waiting(session: Session, ids: list[int]) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(Admission.institution_id, Admission.care_level, func.count())
        .join(Case, Case.id == Admission.case_id)
        .where(Admission.institution_id.in_(ids), Case.state.in_(WAITING_STATES))
        .group_by(Admission.institution_id, Admission.care_level)
    ).all()
    return {(iid, level): int(n) for iid, level, n in rows}


def _fill(
    occ: Occupancy,
    insts: list[Institution],
    counts: dict[tuple[int, str, bool], int],
    waiting: dict[tuple[int, str], int],
) -> Occupancy:
    for level in CARE_LEVELS:
        capacity = sum(i.capacity(level) for i in insts)
        in_use = sum(counts.get((i.id, level, True), 0) for i in insts)
        reserved = sum(counts.get((i.id, level, False), 0) for i in insts)
        wait = sum(waiting.get((i.id, level), 0) for i in insts)
        occ.levels.append(LevelCount(level, CARE_LEVEL_ZH[level], capacity, in_use, reserved, wait))
    occ.licensed = sum(i.licensed_beds for i in insts)
    occ.in_use = sum(lc.in_use for lc in occ.levels)
    occ.reserved = sum(lc.reserved for lc in occ.levels)
    occ.waiting = sum(lc.waiting for lc in occ.levels)
    return occ


def overview(session: Session, actor: Actor) -> tuple[list[Occupancy], Occupancy]:
    """Each institution in reach with its counts, and their sum (the district's page)."""
    rows = session.execute(
        select(Institution, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Institution.org_unit_id)
        .where(institution_reach(actor))
        .order_by(OrgUnit.code, Institution.name)
    ).all()
    insts = [inst for inst, _ in rows]
    ids = [i.id for i in insts]
    counts, waiting = _counts(session, ids), _waiting(session, ids)
    each = [_fill(Occupancy(inst, name), [inst], counts, waiting) for inst, name in rows]
    return each, _fill(Occupancy(None, "合计"), [i for i in insts if i.active], counts, waiting)


def occupancy(session: Session, actor: Actor, institution_id: int) -> Occupancy:
    """One institution in reach: counts, residents by bed, admissions under way."""
    inst = institution_in_reach(session, actor, institution_id)
    township = session.get(OrgUnit, inst.org_unit_id)
    occ = _fill(
        Occupancy(inst, township.name if township else ""),
        [inst],
        _counts(session, [inst.id]),
        _waiting(session, [inst.id]),
    )
    beds = session.execute(
        select(BedOccupancy, Member.name, Case.case_no)
        .join(Member, Member.id == BedOccupancy.member_id)
        .join(Case, Case.id == BedOccupancy.admission_case_id)
        .where(BedOccupancy.institution_id == inst.id, BedOccupancy.ended_at.is_(None))
        .order_by(BedOccupancy.bed_no)
    ).all()
    occ.residents = [
        Resident(
            b.admission_case_id,
            no,
            name,
            b.bed_no,
            CARE_LEVEL_ZH[b.care_level],
            b.admitted_at or b.reserved_at,
            b.admitted_at is not None,
        )
        for b, name, no in beds
    ]
    occ.pending = _pending(session, inst.id)
    return occ


def _pending(session: Session, institution_id: int) -> list[Pending]:
    wf = registry().workflow("admission")
    rows = session.execute(
        select(Admission, Case, Member.name, BedOccupancy.bed_no)
        .join(Case, Case.id == Admission.case_id)
        .join(Member, Member.id == Admission.member_id)
        .outerjoin(
            BedOccupancy,
            (BedOccupancy.admission_case_id == Case.id) & BedOccupancy.ended_at.is_(None),
        )
        .where(
            Admission.institution_id == institution_id,
            Case.state.in_((*WAITING_STATES, "district_review")),
        )
        .order_by(Case.opened_at)
    ).all()
    return [
        Pending(
            case.id,
            case.case_no,
            name,
            CARE_LEVEL_ZH[adm.care_level],
            GROUNDS[adm.ground],
            wf.states[case.state].label,
            bed,
            case.state,
            case.version,
        )
        for adm, case, name, bed in rows
    ]


@dataclass(frozen=True)
class PriorityPerson:
    """A dispersed 特困 person who is 全失能 / 半失能, and where their admission stands."""

    member_id: int
    name: str
    village: str
    care_level: str
    care_label: str
    tekun_case_id: int
    admission_case_id: int | None
    status: str


@dataclass(frozen=True)
class TownshipPriority:
    code: str
    name: str
    people: list[PriorityPerson]


def priority_list(
    session: Session, actor: Actor, levels: tuple[str, ...] = PRIORITY_LEVELS
) -> list[TownshipPriority]:
    """Dispersed 特困 persons in payment assessed 全失能 or 半失能 (or of `levels`), by township
    (全失能 first), with their admission's state (or none yet)."""
    cases = session.execute(
        select(Case.id, Case.org_path, OrgUnit.name)
        .join(Household, Household.id == Case.household_id)
        .join(OrgUnit, OrgUnit.id == Household.org_unit_id)
        .where(
            Case.case_type == "tekun",
            Case.state == "approved",
            in_jurisdiction(Case.org_path, actor),
        )
    ).all()
    history = versions_of(session, [c.id for c in cases])
    wanted: dict[int, tuple[int, str, str, str]] = {}  # member → (case, path, village, level)
    for cid, path, village in cases:
        versions = history.get(cid)
        newest = versions[-1] if versions else None
        if newest is None or newest.kind == STOP or newest.care_level not in levels:
            continue
        if newest.basis.get("institution_id"):
            continue  # already in centralised care
        for mid in newest.covered_member_ids:
            wanted[mid] = (cid, path, village, str(newest.care_level))
    if not wanted:
        return []
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(wanted))).all())
    in_bed = set(
        session.scalars(
            select(BedOccupancy.member_id).where(
                BedOccupancy.member_id.in_(wanted),
                BedOccupancy.ended_at.is_(None),
                BedOccupancy.admitted_at.is_not(None),
            )
        )
    )
    open_cases = {
        mid: (case_id, state)
        for mid, case_id, state in session.execute(
            select(Admission.member_id, Case.id, Case.state)
            .join(Case, Case.id == Admission.case_id)
            .where(Admission.member_id.in_(wanted), Case.is_final.is_(False))
        ).all()
    }
    wf = registry().workflow("admission")
    townships = dict(
        session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "township")).all()
    )
    grouped: dict[str, list[PriorityPerson]] = defaultdict(list)
    for mid, (cid, path, village, level) in wanted.items():
        if mid in in_bed:
            continue
        found = open_cases.get(mid)
        status = wf.states[found[1]].label if found else "尚未申请集中供养"
        code = path.strip("/").split("/")[1] if path.count("/") > 2 else ""
        grouped[code].append(
            PriorityPerson(
                mid,
                names.get(mid, ""),
                village,
                level,
                CARE_LEVEL_ZH[level],
                cid,
                found[0] if found else None,
                status,
            )
        )
    order = {lvl: i for i, lvl in enumerate(levels)}
    return [
        TownshipPriority(
            code,
            townships.get(code, code),
            sorted(people, key=lambda p: (order[p.care_level], p.name)),
        )
        for code, people in sorted(grouped.items())
    ]


def candidates(session: Session, actor: Actor) -> list[PriorityPerson]:
    """Every dispersed 特困 person in payment in reach without an admission under way (the
    proposal form's choices), the priority levels first."""
    levels = (*PRIORITY_LEVELS, "self_care")
    return [
        p
        for township in priority_list(session, actor, levels)
        for p in township.people
        if p.admission_case_id is None
    ]


@dataclass(frozen=True)
class Choice:
    institution_id: int
    label: str


def institution_choices(session: Session) -> list[Choice]:
    """The district's institutions in use, with their free beds (a township may place a person
    in any of them: most are township-run, one is the district's)."""
    rows = session.execute(
        select(Institution, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Institution.org_unit_id)
        .where(Institution.active.is_(True))
        .order_by(OrgUnit.code, Institution.name)
    ).all()
    counts = _counts(session, [i.id for i, _ in rows])
    out = []
    for inst, township in rows:
        taken = sum(n for (iid, _, _), n in counts.items() if iid == inst.id)
        free = max(0, inst.licensed_beds - taken)
        out.append(Choice(inst.id, f"{inst.name}（{township}，空余床位 {free} 张）"))
    return out


@dataclass(frozen=True)
class Placement:
    """Where a 特困 person lives in centralised care, for the case page."""

    institution_id: int
    institution: str
    bed_no: int | None
    care_label: str
    admitted: bool
    admission_case_id: int


def case_placement(session: Session, actor: Actor, case: Case) -> Placement | None:
    """An admission case's institution and bed, or the residence of a 特困 case's person
    (None for other cases, or a person at home). Jurisdiction: the case's own (already checked
    by the page) and the institution's row is read by id only."""
    if case.case_type not in ("admission", "tekun") or not actor.may_see(case.org_path):
        return None
    stmt = (
        select(Admission, Institution.name, BedOccupancy)
        .join(Institution, Institution.id == Admission.institution_id)
        .outerjoin(
            BedOccupancy,
            (BedOccupancy.admission_case_id == Admission.case_id) & BedOccupancy.ended_at.is_(None),
        )
    )
    if case.case_type == "admission":
        stmt = stmt.where(Admission.case_id == case.id)
    else:
        stmt = stmt.where(Admission.tekun_case_id == case.id, BedOccupancy.id.is_not(None))
    found = session.execute(stmt.order_by(Admission.id.desc()).limit(1)).first()
    if found is None:
        return None
    adm, name, bed = found
    return Placement(
        adm.institution_id,
        name,
        bed.bed_no if bed is not None else None,
        CARE_LEVEL_ZH[adm.care_level],
        bed is not None and bed.admitted_at is not None,
        adm.case_id,
    )
