"""A household's standing in the poverty registry (建档立卡), as the latest registry import and
the latest comparison say: 脱贫户, 监测对象 or 一般户 (not on the registry), the main cause of
poverty (致贫原因) and the last comparison category — for the desk, the case page and the queue.

Members are matched to the registry by ID number (the comparison's first key). The registry of
the district plan lists households as 一般/低保/特困供养贫困户; since the 2020 exits every
household on it is 脱贫户 unless the registry marks it for monitoring (防返贫监测: a 监测 in its
attribute or a value, or a filled-in column named for it), which this reader takes as
监测对象 — the column a province's export uses for that mark differs, so the reading is 待核实
against the district's real export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import ComparisonResult, Member, RosterImport, RosterRow
from caseflow.ledger.classify import CATEGORY_LABELS
from caseflow.ledger.importer import COMPLETE, VALID_ROWS_ONLY
from caseflow.ledger.kinds import REGISTRY

LIFTED, MONITORED, ORDINARY = "脱贫户", "监测对象", "一般户"
MONITOR_MARK = "监测"


@dataclass(frozen=True)
class RegistryStatus:
    """What the clerk is shown about one household."""

    status: str  # 脱贫户 | 监测对象 | 一般户 | "" (no registry imported yet)
    cause: str  # 致贫原因, "" when not on the registry
    category: str  # the last comparison's C1–C8, "" when never compared
    imported_at_label: str  # the registry import the status comes from ("" when none)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, "")


def _latest_registry(session: Session) -> RosterImport | None:
    return session.scalar(
        select(RosterImport)
        .where(RosterImport.kind == REGISTRY, RosterImport.status.in_((COMPLETE, VALID_ROWS_ONLY)))
        .order_by(RosterImport.imported_at.desc(), RosterImport.id.desc())
        .limit(1)
    )


def _monitored(row: RosterRow) -> bool:
    """监测 in the attribute, in a column's value, or a filled-in column named for monitoring."""
    raw = {str(k): str(v).strip() for k, v in (row.raw or {}).items()}
    if MONITOR_MARK in row.attribute or any(MONITOR_MARK in v for v in raw.values()):
        return True
    return any(MONITOR_MARK in k and v not in ("", "否", "无") for k, v in raw.items())


def registry_statuses(session: Session, household_ids: Iterable[int]) -> dict[int, RegistryStatus]:
    """The status of each household (callers pass only households the reader may see)."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    latest = _latest_registry(session)
    on_registry: dict[int, RosterRow] = {}
    if latest is not None:
        rows = session.execute(
            select(Member.household_id, RosterRow)
            .join(RosterRow, RosterRow.id_number == Member.id_number)
            .where(
                Member.household_id.in_(ids),
                Member.left_on.is_(None),
                RosterRow.import_id == latest.id,
            )
            .order_by(RosterRow.row_no)
        ).all()
        for household_id, hit in rows:
            on_registry.setdefault(household_id, hit)
    newest = (
        select(ComparisonResult.household_id, func.max(ComparisonResult.id).label("id"))
        .where(ComparisonResult.household_id.in_(ids))
        .group_by(ComparisonResult.household_id)
        .subquery()
    )
    stmt = select(newest.c.household_id, ComparisonResult.category).join(
        ComparisonResult, ComparisonResult.id == newest.c.id
    )
    categories = {hid: category for hid, category in session.execute(stmt)}
    when = f"{latest.imported_at:%Y-%m-%d}" if latest is not None else ""
    found = {}
    for hid in ids:
        row = on_registry.get(hid)
        if latest is None:
            status = ""
        elif row is None:
            status = ORDINARY
        else:
            status = MONITORED if _monitored(row) else LIFTED
        cause = row.main_cause if row is not None else ""
        found[hid] = RegistryStatus(status, cause, categories.get(hid, ""), when)
    return found


def registry_status(session: Session, household_id: int) -> RegistryStatus:
    """One household's status (see `registry_statuses`)."""
    return registry_statuses(session, [household_id])[household_id]
