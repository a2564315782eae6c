"""Beds: what is taken, what is free, and the one writer of an occupancy.

The checks here give the clear Chinese refusal; the partial unique indexes of
`bed_occupancies` (migration 0020) are what makes a double booking impossible when two writers
pass the checks at the same moment — the loser's insert is refused by the database and
reported as `BedTaken`, nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseflow.db.engine import is_postgres
from caseflow.institutions.models import CARE_LEVEL_ZH, CARE_LEVELS, BedOccupancy, Institution
from caseflow.kernel.errors import GuardFailed


class BedTaken(GuardFailed):
    """The database refused a second live occupancy of a bed (or of a person)."""

    def __init__(self, message_zh: str = "该床位刚被他人占用，请换一个床位号") -> None:
        super().__init__("bed_free", message_zh)


@dataclass(frozen=True)
class Taken:
    """Live occupancies of one institution: all, and by care level."""

    total: int
    by_level: dict[str, int]


def _live() -> ColumnElement[bool]:
    return BedOccupancy.ended_at.is_(None)


def taken(session: Session, institution_id: int) -> Taken:
    """Beds reserved or in use at the institution."""
    rows = session.execute(
        select(BedOccupancy.care_level, func.count())
        .where(BedOccupancy.institution_id == institution_id, _live())
        .group_by(BedOccupancy.care_level)
    ).all()
    by_level = {level: 0 for level in CARE_LEVELS}
    by_level.update({level: int(n) for level, n in rows})
    return Taken(sum(by_level.values()), by_level)


def highest_live_bed(session: Session, institution_id: int) -> int:
    """The highest bed number reserved or in use (0 when none)."""
    found = session.scalar(
        select(func.max(BedOccupancy.bed_no)).where(
            BedOccupancy.institution_id == institution_id, _live()
        )
    )
    return int(found or 0)


def lock_institution(session: Session, inst: Institution) -> None:
    """Serialise writers of one institution's beds (capacity by care level is a count, which
    no index can guard): a row lock on PostgreSQL, the write lock on SQLite."""
    stmt = select(Institution.id).where(Institution.id == inst.id)
    if is_postgres(session):
        session.execute(stmt.with_for_update())
    else:
        session.execute(
            update(Institution).where(Institution.id == inst.id).values(name=Institution.name)
        )


def room_for(session: Session, inst: Institution, level: str) -> str | None:
    """Why the institution cannot take one more person of `level` (None: it can)."""
    if not inst.active:
        return f"{inst.name}已停用，不能安排入住"
    now_taken = taken(session, inst.id)
    if now_taken.total >= inst.licensed_beds:
        return (
            f"{inst.name}床位已满（核定床位 {inst.licensed_beds} 张，"
            f"已入住或预留 {now_taken.total} 张），不能安排入住"
        )
    if now_taken.by_level[level] >= inst.capacity(level):
        return (
            f"{inst.name}的{CARE_LEVEL_ZH[level]}护理能力已满（可护理 {inst.capacity(level)} 人，"
            f"已有 {now_taken.by_level[level]} 人），不能安排入住"
        )
    return None


def bed_problem(session: Session, inst: Institution, bed_no: int, level: str) -> str | None:
    """Why bed `bed_no` cannot be given to a person of `level` now (None: it can)."""
    if not 1 <= bed_no <= inst.licensed_beds:
        return (
            f"床位号须在 1–{inst.licensed_beds} 之间（{inst.name}核定床位 {inst.licensed_beds} 张）"
        )
    holder = session.scalar(
        select(BedOccupancy.id).where(
            BedOccupancy.institution_id == inst.id, BedOccupancy.bed_no == bed_no, _live()
        )
    )
    if holder is not None:
        return f"{inst.name}第 {bed_no} 号床位已有人入住或已预留"
    return room_for(session, inst, level)


def occupy(
    session: Session,
    inst: Institution,
    bed_no: int,
    member_id: int,
    case_id: int,
    level: str,
    now: datetime,
) -> BedOccupancy:
    """Reserve the bed (inside the caller's transaction); BedTaken when the database refuses."""
    row = BedOccupancy(
        institution_id=inst.id,
        bed_no=bed_no,
        member_id=member_id,
        admission_case_id=case_id,
        care_level=level,
        reserved_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise BedTaken() from exc
    return row


def live_of_case(session: Session, case_id: int) -> BedOccupancy | None:
    """The admission case's bed, reserved or in use, if any."""
    return session.scalar(
        select(BedOccupancy).where(BedOccupancy.admission_case_id == case_id, _live())
    )


def end(session: Session, case_id: int, now: datetime, reason: str) -> BedOccupancy | None:
    """Free the case's bed (discharge, death, a refusal); returns the row ended, if any."""
    row = live_of_case(session, case_id)
    if row is not None:
        row.ended_at, row.end_reason = now, reason
        session.flush()
    return row
