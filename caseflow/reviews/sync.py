"""(Re)build review schedules from the cases themselves: approvals, completed reviews, removals.

The effects keep schedules current as cases move; this replays the same rules over the record,
for databases that existed before schedules did, or after a repair. Running it twice gives the
same schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.timeutil import to_local
from caseflow.payments.models import Entitlement
from caseflow.reviews.models import PROGRAMMES, ReviewSchedule
from caseflow.reviews.schedule import (
    Terms,
    plan_after_approval,
    record_review,
    review_class_of,
)
from caseflow.workflow.registry import Registry, registry

REVIEW_DONE = ("unchanged", "adjusted", "removal_started")


@dataclass
class SyncReport:
    """How many schedules were written (created or refreshed) and how many are ended."""

    written: int = 0
    ended: int = 0
    skipped: int = 0  # approvals whose class could not be read (reported, not guessed)

    def summary_zh(self) -> str:
        """One line for the CLI."""
        return (
            f"复核计划：写入 {self.written} 户，已停保 {self.ended} 户，"
            f"无法确定类别 {self.skipped} 件"
        )


def _terms_of(programme: str, version: Entitlement) -> Terms:
    """Class, covered persons and amount as an entitlement version states them."""
    covered = len(version.covered_member_ids) or version.basis.get("covered_persons")
    return Terms(
        review_class_of(programme, version.aid_class),
        int(covered) if covered is not None else None,
        version.amount_fen,
    )


def _approval_terms(session: Session, case: Case) -> tuple[Terms, datetime] | None:
    """The terms of the case's first entitlement (its approval) and when it was decided."""
    first = session.scalars(
        select(Entitlement).where(Entitlement.case_id == case.id).order_by(Entitlement.seq)
    ).first()
    if first is None:
        return None
    try:
        return _terms_of(case.case_type, first), first.at
    except ValueError:
        return None


def sync_schedules(session: Session, now: datetime, reg: Registry | None = None) -> SyncReport:
    """Rebuild every schedule from approved 低保 / 特困 cases, in one unit of work."""
    reg = reg or registry()
    with UnitOfWork(session) as uow:
        report = _sync(session, now, reg)
        uow.commit()
    return report


def _sync(session: Session, now: datetime, reg: Registry) -> SyncReport:
    report = SyncReport()
    approved = session.scalars(
        select(Case)
        .where(Case.case_type.in_(PROGRAMMES), Case.state == "approved")
        .order_by(Case.closed_at, Case.id)
    ).all()
    latest: dict[tuple[int, str], Case] = {}
    for case in approved:  # the newest approval per household and programme wins
        if case.household_id is not None:
            latest[(case.household_id, case.case_type)] = case
    for (household_id, programme), case in sorted(latest.items()):
        found = _approval_terms(session, case)
        if found is None:
            report.skipped += 1
            continue
        terms, approved_at = found
        household = session.get(Household, household_id)
        assert household is not None
        row = plan_after_approval(
            session,
            household,
            programme,
            terms,
            reg.rulesets[case.ruleset_key],
            case.id,
            to_local(approved_at).date(),
            now,
        )
        _replay_reviews(session, row, approved_at, now, reg)
        if _replay_removal(session, row, approved_at, now):
            report.ended += 1
        report.written += 1
    return report


def _replay_reviews(
    session: Session, row: ReviewSchedule, since: datetime, now: datetime, reg: Registry
) -> None:
    reviews = session.scalars(
        select(Case)
        .where(
            Case.household_id == row.household_id,
            Case.case_type == "review",
            Case.state.in_(REVIEW_DONE),
            Case.closed_at >= since,
        )
        .order_by(Case.closed_at, Case.id)
    ).all()
    for review in reviews:
        assert review.closed_at is not None
        terms = None
        if review.state == "adjusted":
            version = session.scalars(
                select(Entitlement).where(
                    Entitlement.case_id == row.approved_case_id,
                    Entitlement.source_case_id == review.id,
                )
            ).first()
            if version is not None:
                terms = _terms_of(row.programme, version)
        day = to_local(review.closed_at).date()
        record_review(row, review.id, reg.rulesets[review.ruleset_key], day, now, terms)


def _replay_removal(session: Session, row: ReviewSchedule, since: datetime, now: datetime) -> bool:
    closed = session.scalar(
        select(Case.closed_at)
        .where(
            Case.household_id == row.household_id,
            Case.case_type == "removal",
            Case.state == "removed",
            Case.closed_at >= since,
        )
        .order_by(Case.closed_at.desc())
        .limit(1)
    )
    if closed is None:
        return False
    row.active = False
    row.ended_on = to_local(closed).date()
    row.updated_at = now
    return True
