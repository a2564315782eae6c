"""The review schedule: per household and programme, when the next periodic review (复核) is due.

Also the database's guarantee that a household never has two open review cases: a unique partial
index on `cases`, so two sweeps (or a sweep and a person) racing to open one cannot both win.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db.models import Base, Case

PROGRAMMES = ("dibao", "tekun")  # 低保, 特困供养 (they exclude each other for one household)
PROGRAMME_LABELS = {"dibao": "低保", "tekun": "特困供养"}
CLASS_LABELS = {"A": "A类", "B": "B类", "C": "C类", "tekun": "特困"}


class ReviewSchedule(Base):
    """One household's review plan in one programme; `active` is false once support ended."""

    __tablename__ = "review_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    programme: Mapped[str] = mapped_column(String(10))  # dibao | tekun
    review_class: Mapped[str] = mapped_column(String(10))  # A | B | C | tekun
    # The terms in force as last decided (approval or review adjustment), for lists and the roll.
    covered_persons: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    interval_months: Mapped[int] = mapped_column(Integer)
    ruleset_key: Mapped[str] = mapped_column(String(40))  # the rule set the interval came from
    approved_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    approved_on: Mapped[date] = mapped_column(Date)
    last_reviewed_on: Mapped[date | None] = mapped_column(Date)
    last_review_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    next_review_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # Denormalised from the household so jurisdiction is a prefix test on this table alone.
    org_path: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("uq_review_schedules_household_programme", "household_id", "programme", unique=True),
        # The sweep and the 复核计划 list: active plans by due date within a jurisdiction.
        Index(
            "ix_review_schedules_due",
            "next_review_on",
            "org_path",
            sqlite_where=text("active = 1"),
            postgresql_where=text("active"),
        ),
    )


# At most one open review case per household (a household is in one programme at a time).
ONE_OPEN_REVIEW = Index(
    "uq_cases_one_open_review",
    Case.household_id,
    unique=True,
    sqlite_where=text("case_type = 'review' AND is_final = 0"),
    postgresql_where=text("case_type = 'review' AND NOT is_final"),
)
