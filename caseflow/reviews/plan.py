"""复核计划: the review plan of a township or the district — overdue and due soon.

Jurisdiction is part of the SQL (the schedule's denormalised org path), never a filter in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from caseflow.db.models import Case, Household, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.reviews.models import CLASS_LABELS, PROGRAMME_LABELS, ReviewSchedule

WINDOW_DAYS = 30
MAX_ROWS = 500
SHOWS = ("all", "overdue", "due")


@dataclass(frozen=True)
class PlanRow:
    schedule_id: int
    household_id: int
    head_name: str
    unit_name: str
    programme_label: str
    class_label: str
    last_reviewed_on: date | None
    next_review_on: date
    days_left: int  # negative = overdue by that many days
    review_case_id: int | None
    review_case_no: str | None

    @property
    def overdue(self) -> bool:
        """The review date has passed."""
        return self.days_left < 0


@dataclass(frozen=True)
class ReviewPlan:
    rows: list[PlanRow]
    overdue: int  # counts over the whole jurisdiction, not just the rows shown
    due_soon: int
    truncated: bool


def review_plan(
    session: Session, actor: Actor, today: date, show: str = "all", window: int = WINDOW_DAYS
) -> ReviewPlan:
    """Active schedules in the actor's jurisdiction that are overdue or due within `window` days."""
    horizon = today + timedelta(days=window)
    in_scope = and_(
        ReviewSchedule.active.is_(True),
        in_jurisdiction(ReviewSchedule.org_path, actor),
        ReviewSchedule.next_review_on <= horizon,
    )
    overdue, due_soon = session.execute(
        select(
            func.coalesce(func.sum(case((ReviewSchedule.next_review_on < today, 1), else_=0)), 0),
            func.coalesce(func.sum(case((ReviewSchedule.next_review_on >= today, 1), else_=0)), 0),
        ).where(in_scope)
    ).one()
    review = aliased(Case)
    stmt = (
        select(ReviewSchedule, Household.head_name, OrgUnit.name, review.id, review.case_no)
        .join(Household, Household.id == ReviewSchedule.household_id)
        .join(OrgUnit, OrgUnit.id == Household.org_unit_id)
        .outerjoin(
            review,
            and_(
                review.household_id == ReviewSchedule.household_id,
                review.case_type == "review",
                review.is_final.is_(False),
            ),
        )
        .where(in_scope)
        .order_by(ReviewSchedule.next_review_on, ReviewSchedule.id)
        .limit(MAX_ROWS + 1)
    )
    if show == "overdue":
        stmt = stmt.where(ReviewSchedule.next_review_on < today)
    elif show == "due":
        stmt = stmt.where(ReviewSchedule.next_review_on >= today)
    found = session.execute(stmt).all()
    rows = [
        PlanRow(
            schedule_id=row.id,
            household_id=row.household_id,
            head_name=head,
            unit_name=unit,
            programme_label=PROGRAMME_LABELS.get(row.programme, row.programme),
            class_label=CLASS_LABELS.get(row.review_class, row.review_class),
            last_reviewed_on=row.last_reviewed_on,
            next_review_on=row.next_review_on,
            days_left=(row.next_review_on - today).days,
            review_case_id=case_id,
            review_case_no=case_no,
        )
        for row, head, unit, case_id, case_no in found[:MAX_ROWS]
    ]
    return ReviewPlan(rows, int(overdue), int(due_soon), len(found) > MAX_ROWS)
