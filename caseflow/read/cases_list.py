"""The /cases list and the case search: cases in the actor's jurisdiction — open, closed or
both — found by case number or by the head of household, newest first, one page at a time.

"待我处理" on /cases is not counted here: it is the work queue's own query
(caseflow.read.queue), so /cases and /queue always give the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.paging import Page
from caseflow.workflow.registry import registry

STATUSES = ("open", "closed", "all")
STATUS_LABELS = {"open": "在办", "closed": "已办结", "all": "全部"}
# What a case number may contain (DB-640502100-2026-000123); anything else is a name.
_CASE_NO_TEXT = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class CaseHit:
    """One case of the list."""

    id: int
    case_no: str
    case_type: str
    state_label: str
    is_final: bool
    head_name: str | None  # None for a case about a township (the payment roll)
    unit_name: str
    opened_at: datetime
    closed_at: datetime | None


def looks_like_case_no(text: str) -> bool:
    """Whether a search text can be (part of) a case number: letters, digits and dashes, with
    a digit in it (pinyin initials alone are a name search at the desk)."""
    text = text.strip()
    return bool(_CASE_NO_TEXT.match(text)) and any(ch.isdigit() for ch in text)


def _conditions(actor: Actor, q: str, status: str) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [in_jurisdiction(Case.org_path, actor)]
    if status == "open":
        conds.append(Case.is_final == false())
    elif status == "closed":
        conds.append(Case.is_final == true())
    q = q.strip()
    if q and _CASE_NO_TEXT.match(q):
        # Case numbers are stored in upper case; the typed text may not be.
        conds.append(Case.case_no.contains(q.upper(), autoescape=True))
    elif q:
        conds.append(Household.head_name.contains(q, autoescape=True))
    return conds


def find_cases(
    session: Session,
    actor: Actor,
    *,
    q: str = "",
    status: str = "open",
    page: int = 1,
    per_page: int = 50,
) -> Page[CaseHit]:
    """Cases matching `q` (case number, or part of it; otherwise the head's name) with the
    status `open`, `closed` or `all`, inside the jurisdiction (in SQL), newest first."""
    status = status if status in STATUSES else "open"
    per_page = max(1, min(per_page, 200))
    conds = _conditions(actor, q[:40], status)
    # Outer join: a township's payment roll has no household and is listed all the same.
    base = select(Case.id).outerjoin(Household, Household.id == Case.household_id).where(*conds)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    page = max(1, min(page, max(1, -(-total // per_page))))
    stmt = (
        select(Case, Household.head_name, OrgUnit.name)
        .outerjoin(Household, Household.id == Case.household_id)
        .join(OrgUnit, OrgUnit.id == Case.org_unit_id)
        .where(*conds)
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    reg = registry()
    rows = [
        CaseHit(
            id=c.id,
            case_no=c.case_no,
            case_type=c.case_type,
            state_label=reg.workflow(c.workflow_key).states[c.state].label,
            is_final=c.is_final,
            head_name=head,
            unit_name=unit,
            opened_at=c.opened_at,
            closed_at=c.closed_at,
        )
        for c, head, unit in session.execute(stmt)
    ]
    return Page(rows, total, page, per_page)
