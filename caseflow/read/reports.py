"""Read-side reports over 低保 entitlements in force: 户1人保 and class C households due for review.

Class and covered persons come from each case's newest entitlement version (approval, then any
review's adjustment), never from a form: the people covered are named members."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Member
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.payments.entitlements import versions_of
from caseflow.payments.models import STOP
from caseflow.policy.classification import ClassRow, c_class_due_report, single_covered_report


def approved_class_rows(session: Session, actor: Actor) -> list[ClassRow]:
    """Class, household size and covered persons of every 低保 case in payment the actor sees."""
    size = (
        select(func.count(Member.id)).where(
            Member.household_id == Case.household_id, Member.left_on.is_(None)
        )
    ).scalar_subquery()
    cases = session.execute(
        select(Case.id, Case.case_no, size).where(
            Case.case_type == "dibao",
            Case.state == "approved",
            in_jurisdiction(Case.org_path, actor),
        )
    ).all()
    history = versions_of(session, [cid for cid, _no, _n in cases])
    rows = []
    for cid, no, n in cases:
        newest = history[cid][-1] if history.get(cid) else None
        if newest is None or newest.kind == STOP:
            continue
        covered = len(newest.covered_member_ids) or int(newest.basis.get("covered_persons") or n)
        rows.append(ClassRow(no, newest.aid_class or "", int(n), covered))
    return rows


def single_covered(session: Session, actor: Actor) -> list[ClassRow]:
    """户1人保 cases (one covered person in a household of two or more)."""
    return single_covered_report(approved_class_rows(session, actor))


def class_c_due(session: Session, actor: Actor) -> list[ClassRow]:
    """Class C households, each to be raised (提档) or removed (清退)."""
    return c_class_due_report(approved_class_rows(session, actor))
