"""The system's 低保 / 特困 roster written in the poverty registry's column layout (建档立卡
导出格式), one row per person, as .csv (UTF-8 with BOM, as Chinese Excel opens it) or .xlsx.

The headers are the registry's own, so the file goes back through `ledger import` and into the
poverty office's tools unchanged. It carries full ID numbers (matching is by ID number), so only
roles that need personal data may export it and every export is logged: one personal-data-view
row per household and one admin-log entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import DISTRICT
from caseflow.casework.personal_data import may_view_full
from caseflow.db.models import (
    Assessment,
    Case,
    Household,
    Member,
    MemberIncome,
    OrgUnit,
    PersonalDataView,
)
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PermissionDenied
from caseflow.kernel.spreadsheet import CsvWriter, XlsxWriter
from caseflow.ledger.classify import EXPECTED_ATTRIBUTE
from caseflow.ledger.units import _SYSTEM_HEALTH, _SYSTEM_LABOUR

COLUMNS: tuple[str, ...] = (
    "序号",
    "县（市、区）",
    "乡（镇）",
    "行政村",
    "户编号",
    "户主姓名",
    "户主身份证号",
    "姓名",
    "证件号码",
    "与户主关系",
    "家庭人口数",
    "健康状况",
    "劳动技能",
    "贫困户属性",
    "救助类型",
    "保障类别",
    "人均纯收入（元）",
    "联系电话",
)
PROGRAM_LABELS = {"dibao": "低保", "tekun": "特困供养"}
FORMATS = ("csv", "xlsx")
PURPOSE = "导出低保/特困名单（建档立卡格式）"
CHUNK = 500


@dataclass(frozen=True)
class ExportSummary:
    households: int
    persons: int
    path: Path | None = None

    def summary_zh(self) -> str:
        """One line for the CLI."""
        return f"已导出 {self.households} 户 {self.persons} 人"


def _covered_cases(session: Session, actor: Actor) -> list[Case]:
    """The latest approved 低保/特困 case of each household in the jurisdiction, unless a removal
    completed after it (the same rule as the comparison's system side)."""
    removed = (
        select(Case.household_id, func.max(Case.closed_at).label("at"))
        .where(Case.case_type == "removal", Case.state == "removed")
        .group_by(Case.household_id)
        .subquery()
    )
    rows = session.execute(
        select(Case, removed.c.at)
        .outerjoin(removed, removed.c.household_id == Case.household_id)
        .where(
            Case.case_type.in_(tuple(PROGRAM_LABELS)),
            Case.state == "approved",
            Case.household_id.is_not(None),
            in_jurisdiction(Case.org_path, actor),
        )
        .order_by(Case.org_path, Case.household_id, Case.closed_at.desc())
    ).all()
    chosen: list[Case] = []
    seen: set[int] = set()
    for case, removed_at in rows:
        if case.household_id in seen:
            continue
        seen.add(case.household_id)
        if removed_at is not None and case.closed_at is not None and removed_at > case.closed_at:
            continue
        chosen.append(case)
    return chosen


def _yuan_per_year(monthly_fen_per_person: int) -> str:
    fen = monthly_fen_per_person * 12
    return f"{fen // 100}.{fen % 100:02d}"


def _chunk_rows(session: Session, cases: Sequence[Case], start: int) -> list[list[Any]]:
    ids = [c.household_id for c in cases if c.household_id is not None]
    households: dict[int, tuple[Household, str, str, str, str]] = {
        int(h.id): (h, code, name, level, path)
        for h, code, name, level, path in session.execute(
            select(Household, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == Household.org_unit_id)
            .where(Household.id.in_(ids))
        ).all()
    }
    members: dict[int, list[Member]] = {i: [] for i in ids}
    for m in session.scalars(
        select(Member)
        .where(Member.household_id.in_(ids), Member.left_on.is_(None))
        .order_by(Member.id)
    ):
        members[m.household_id].append(m)
    income = dict(
        session.execute(
            select(Member.household_id, func.sum(MemberIncome.monthly_fen))
            .join(Member, Member.id == MemberIncome.member_id)
            .where(Member.household_id.in_(ids), Member.left_on.is_(None))
            .group_by(Member.household_id)
        ).all()
    )
    classes: dict[int, str] = {}
    found: Any = session.execute(
        select(Assessment.case_id, Assessment.aid_class)
        .where(Assessment.case_id.in_([c.id for c in cases]), Assessment.aid_class.is_not(None))
        .order_by(Assessment.at)
    )
    for case_id, aid_class in found:
        classes[case_id] = aid_class  # the latest wins
    townships = dict(
        session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "township")).all()
    )
    out: list[list[Any]] = []
    for case in cases:
        if case.household_id is None:
            continue
        hh, _code, unit_name, level, path = households[case.household_id]
        people = members[hh.id]
        if not people:
            continue
        parts = [p for p in path.split("/") if p]
        township = townships.get(parts[1], "") if len(parts) > 1 else ""
        head = next((m for m in people if m.relation == "户主"), people[0])
        per_capita = int(income.get(hh.id) or 0) // len(people)
        for m in people:
            start += 1
            out.append(
                [
                    start,
                    DISTRICT[1],
                    township,
                    unit_name if level == "village" else "",
                    f"CF{hh.id:08d}",
                    hh.head_name,
                    head.id_number,
                    m.name,
                    m.id_number,
                    m.relation,
                    len(people),
                    _SYSTEM_HEALTH.get(m.health, m.health),
                    _SYSTEM_LABOUR.get(m.labour_capacity, m.labour_capacity),
                    EXPECTED_ATTRIBUTE[case.case_type],
                    PROGRAM_LABELS[case.case_type],
                    classes.get(case.id, ""),
                    _yuan_per_year(per_capita),
                    hh.phone,
                ]
            )
    return out


def roster_rows(session: Session, actor: Actor) -> Iterator[tuple[int, list[list[Any]]]]:
    """(household id, its person rows) in org order, fetched in chunks of households."""
    cases = _covered_cases(session, actor)
    number = 0
    for i in range(0, len(cases), CHUNK):
        chunk = cases[i : i + CHUNK]
        rows = _chunk_rows(session, chunk, number)
        number += len(rows)
        by_household: dict[str, list[list[Any]]] = {}
        for row in rows:
            by_household.setdefault(row[4], []).append(row)
        for key, person_rows in by_household.items():
            yield int(key[2:]), person_rows


def _check_allowed(actor: Actor) -> None:
    if not may_view_full(actor) or actor.user_id is None:
        raise PermissionDenied("您的角色不能导出含完整身份证号的名单")


def write_roster(
    session: Session, actor: Actor, out: IO[bytes], fmt: str, now: datetime
) -> ExportSummary:
    """Write the roster to `out` and log the export (committed); PermissionDenied for roles
    that may not see full ID numbers."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    _check_allowed(actor)
    households: list[int] = []
    persons = 0
    if fmt == "csv":
        import io

        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = CsvWriter(text, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for household_id, rows in roster_rows(session, actor):
            writer.writerows(rows)
            households.append(household_id)
            persons += len(rows)
        text.flush()
        text.detach()
    else:
        wb = XlsxWriter()
        sheet = wb.sheet("低保特困名单")
        sheet.append(list(COLUMNS))
        for household_id, rows in roster_rows(session, actor):
            for row in rows:
                sheet.append(row)
            households.append(household_id)
            persons += len(rows)
        wb.save(out)
    _log(session, actor, households, persons, fmt, now)
    return ExportSummary(len(households), persons)


def export_roster_file(session: Session, actor: Actor, path: Path, now: datetime) -> ExportSummary:
    """Write to a file; the format follows the suffix (.csv or .xlsx)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError("文件名须以 .csv 或 .xlsx 结尾")
    _check_allowed(actor)  # before the file exists: a refusal leaves nothing behind
    with path.open("wb") as fh:
        result = write_roster(session, actor, fh, fmt, now)
    return ExportSummary(result.households, result.persons, path)


def _log(
    session: Session, actor: Actor, households: list[int], persons: int, fmt: str, now: datetime
) -> None:
    assert actor.user_id is not None
    with UnitOfWork(session) as uow:
        session.add_all(
            PersonalDataView(
                user_id=actor.user_id,
                household_id=household_id,
                field="id_number",
                purpose=PURPOSE,
                at=now,
            )
            for household_id in households
        )
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="roster_exported",
            subject=actor.org_path,
            payload={"format": fmt, "households": len(households), "persons": persons},
            at=now,
        )
        uow.commit()
