"""Read-side reports over approved 低保 cases: 户1人保 and class C households due for review."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, CaseEvent, Member
from caseflow.kernel.actors import Actor
from caseflow.policy.classification import ClassRow, c_class_due_report, single_covered_report


def approved_class_rows(session: Session, actor: Actor) -> list[ClassRow]:
    """Class, household size and covered persons of every approved 低保 case the actor may see."""
    size = (
        select(func.count(Member.id)).where(Member.household_id == Case.household_id)
    ).scalar_subquery()
    rows = session.execute(
        select(Case.case_no, CaseEvent.payload, size)
        .join(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.trigger == "approve"))
        .where(
            Case.case_type == "dibao",
            Case.state == "approved",
            Case.org_path.startswith(actor.org_path, autoescape=True),
        )
    ).all()
    return [
        ClassRow(no, str(payload.get("aid_class", "")), int(n), int(payload["covered_persons"]))
        for no, payload, n in rows
    ]


def single_covered(session: Session, actor: Actor) -> list[ClassRow]:
    """户1人保 cases (one covered person in a household of two or more)."""
    return single_covered_report(approved_class_rows(session, actor))


def class_c_due(session: Session, actor: Actor) -> list[ClassRow]:
    """Class C households, each to be raised (提档) or removed (清退)."""
    return c_class_due_report(approved_class_rows(session, actor))
