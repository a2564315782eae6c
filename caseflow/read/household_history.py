"""A household's versions as the household page shows them: newest first, each with who, when,
why, and the fields changed from → to, in words, with ID numbers and bank accounts masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.change_models import CHANGE_KINDS
from caseflow.casework.corrections import (
    HOUSEHOLD_FIELDS,
    MEMBER_FIELDS,
    changed_fields,
    household_history,
    reason_label,
)
from caseflow.casework.households import DISABILITY_TYPES, HEALTH, LABOUR_CAPACITY
from caseflow.db.models import User
from caseflow.kernel.actors import Actor
from caseflow.kernel.idnumber import mask_account, mask_id_number

_CODES: dict[str, dict[str, str]] = {
    "labour_capacity": LABOUR_CAPACITY,
    "health": HEALTH,
    "disability_type": DISABILITY_TYPES,
    "sex": {"M": "男", "F": "女"},
}
_MASKED = {"id_number": mask_id_number, "bank_account": mask_account}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    at: datetime
    kind: str  # its Chinese label
    subject: str  # the member's name, or "" for the household itself
    reason: str
    note: str
    actor: str
    fields: list[FieldChange]
    review_case_id: int | None


def shown(field: str, value: Any) -> str:
    """One stored value in words (masked where it is personal data)."""
    if value is None or value == "":
        return "—"
    if field in _MASKED:
        return _MASKED[field](str(value))
    if field in _CODES:
        return _CODES[field].get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "disability_grade":
        return f"{value} 级"
    return str(value)


def history_rows(session: Session, actor: Actor, household_id: int) -> list[HistoryRow]:
    """The household's history for the page (CaseNotFound outside the jurisdiction)."""
    changes = household_history(session, actor, household_id)
    ids = {c.actor_id for c in changes if c.actor_id is not None}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    labels = {**HOUSEHOLD_FIELDS, **MEMBER_FIELDS, "new_head": "新户主"}
    rows = []
    for c in changes:
        keys = changed_fields(c.before, c.after)
        if c.before.get("new_head") != c.after.get("new_head"):
            keys.append("new_head")
        fields = [
            FieldChange(labels[k], _value(k, c.before.get(k)), _value(k, c.after.get(k)))
            for k in keys
        ]
        subject = str(c.after.get("name") or c.before.get("name") or "")
        rows.append(
            HistoryRow(
                seq=c.seq,
                at=c.at,
                kind=CHANGE_KINDS.get(c.kind, c.kind),
                subject=subject if c.member_id else "",
                reason=reason_label(c.kind, c.reason),
                note=c.note,
                actor=names.get(c.actor_id, "系统") if c.actor_id else "系统",
                fields=fields,
                review_case_id=c.review_case_id,
            )
        )
    return rows


def _value(field: str, value: Any) -> str:
    if field == "new_head":
        return str(value["name"]) if isinstance(value, dict) else "—"
    return shown(field, value)
