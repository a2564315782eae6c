"""A case row as plain values: what fire() reads under its lock and hands to guards.

fire() runs on every transition, and materialising the row as an ORM object (identity map, state
tracking, attribute instrumentation) cost more than everything SQLite does in the transaction.
Guards only read, so they always get this frozen snapshot (of the locked row in fire(), of the
mapped case when actions are previewed); effects, which may change ORM objects, always get the
mapped Case. Helpers shared by both are typed with `CaseView`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Table

from caseflow.db.models import Case


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """Every column of `cases`, as read with the lock (before this transition's changes)."""

    id: int
    case_no: str
    case_type: str
    workflow_key: str
    ruleset_key: str
    state: str
    is_final: bool
    version: int
    household_id: int | None
    org_unit_id: int
    org_path: str
    flag_illness: bool
    flag_disability: bool
    flag_sudden: bool
    flag_staff_relative: bool
    opened_at: datetime
    state_entered_at: datetime
    closed_at: datetime | None
    opened_by_id: int | None
    assignee_id: int | None
    summary: str
    due_at: datetime | None
    escalation_level: int


CaseView = Case | CaseRecord

_table = cast(Table, Case.__table__)
# The columns in the record's field order (a test keeps the two lists equal).
COLUMNS: tuple[Column[Any], ...] = tuple(_table.c[name] for name in CaseRecord.__dataclass_fields__)


def record_of(case: Case) -> CaseRecord:
    """The record of a mapped case as it stands (a preview of the actions shows guards the same
    type fire() hands them)."""
    return CaseRecord(*(getattr(case, name) for name in CaseRecord.__dataclass_fields__))


def record_from_row(row: tuple[Any, ...]) -> CaseRecord:
    """The record of a row whose first len(COLUMNS) values are COLUMNS, in order."""
    return CaseRecord(*row[: len(COLUMNS)])
