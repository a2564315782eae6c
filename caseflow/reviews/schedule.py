"""Keeping review schedules: planned on approval, moved by each review outcome, ended by removal.

The interval comes from the rule set (`review_months` by class); the next review is that many
calendar months after the approval or the completed review (the day clamped to the month's end).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import CaseEvent, Household
from caseflow.db.record import CaseView
from caseflow.reviews.models import PROGRAMMES, ReviewSchedule
from caseflow.workflow.rulesets import RuleSet


def add_months(day: date, months: int) -> date:
    """`day` plus whole calendar months; the 31st becomes the month's last day where needed."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_class_of(programme: str, aid_class: str | None) -> str:
    """The schedule class: 低保 households by A/B/C, every 特困 person as `tekun`."""
    if programme == "tekun":
        return "tekun"
    if aid_class not in ("A", "B", "C"):
        raise ValueError(f"低保 class must be A, B or C, not {aid_class!r}")
    return aid_class


@dataclass(frozen=True)
class Terms:
    """What was decided for a household: class and, where known, covered persons and amount."""

    review_class: str
    covered_persons: int | None = None
    amount_fen: int | None = None


def schedule_of(session: Session, household_id: int, programme: str) -> ReviewSchedule | None:
    """The household's schedule in `programme` (active or not)."""
    return session.scalars(
        select(ReviewSchedule).where(
            ReviewSchedule.household_id == household_id, ReviewSchedule.programme == programme
        )
    ).first()


def plan_after_approval(
    session: Session,
    household: Household,
    programme: str,
    terms: Terms,
    ruleset: RuleSet,
    approved_case_id: int | None,
    day: date,
    now: datetime,
) -> ReviewSchedule:
    """Create or restart the household's schedule when a 低保 / 特困 case is approved."""
    if programme not in PROGRAMMES:
        raise ValueError(f"no review schedule for programme {programme!r}")
    months = ruleset.review_interval(terms.review_class)
    row = schedule_of(session, household.id, programme)
    if row is None:
        row = ReviewSchedule(household_id=household.id, programme=programme)
        session.add(row)
    row.review_class = terms.review_class
    row.covered_persons = terms.covered_persons
    row.amount_fen = terms.amount_fen
    row.interval_months = months
    row.ruleset_key = ruleset.key
    row.approved_case_id = approved_case_id
    row.approved_on = day
    row.last_reviewed_on = None
    row.last_review_case_id = None
    row.next_review_on = add_months(day, months)
    row.active = True
    row.ended_on = None
    row.org_path = household.org_path
    row.updated_at = now
    session.flush()
    return row


def record_review(
    row: ReviewSchedule,
    review_case_id: int,
    ruleset: RuleSet,
    day: date,
    now: datetime,
    new_terms: Terms | None = None,
) -> None:
    """A review completed on `day`: new terms if adjusted, and the next date from the interval
    of the (possibly new) class."""
    if new_terms is not None:
        row.review_class = new_terms.review_class
        if new_terms.covered_persons is not None:
            row.covered_persons = new_terms.covered_persons
        if new_terms.amount_fen is not None:
            row.amount_fen = new_terms.amount_fen
    row.interval_months = ruleset.review_interval(row.review_class)
    row.ruleset_key = ruleset.key
    row.last_reviewed_on = day
    row.last_review_case_id = review_case_id
    row.next_review_on = add_months(day, row.interval_months)
    row.updated_at = now


def end_schedules(session: Session, household_id: int, day: date, now: datetime) -> int:
    """Support ended (removal took effect): no further reviews. Returns how many plans ended."""
    rows = session.scalars(
        select(ReviewSchedule).where(
            ReviewSchedule.household_id == household_id, ReviewSchedule.active.is_(True)
        )
    ).all()
    for row in rows:
        row.active = False
        row.ended_on = day
        row.updated_at = now
    return len(rows)


def review_programme(session: Session, case: CaseView) -> str | None:
    """Which programme a review case reviews: as recorded when it was opened, else the
    household's active schedule (a review opened by hand), else None."""
    opened = session.scalar(
        select(CaseEvent.payload).where(CaseEvent.case_id == case.id, CaseEvent.seq == 1)
    )
    if opened and opened.get("programme") in PROGRAMMES:
        return str(opened["programme"])
    return session.scalar(
        select(ReviewSchedule.programme)
        .where(ReviewSchedule.household_id == case.household_id, ReviewSchedule.active.is_(True))
        .order_by(ReviewSchedule.id)
        .limit(1)
    )


def last_payload(session: Session, case_id: int, trigger: str) -> dict[str, object] | None:
    """The payload of the newest event `trigger` of a case (e.g. the proposed adjustment)."""
    payload = session.scalar(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.trigger == trigger)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    return dict(payload) if payload is not None else None
