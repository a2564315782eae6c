"""Tables of household corrections: the versioned change log and transfer (迁移) requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db.models import Base, Household, Member

CHANGE_KINDS = {
    "household_edit": "修改家庭信息",
    "member_add": "增加成员",
    "member_edit": "修改成员信息",
    "member_remove": "成员减少",
    "transfer_out": "成员迁出",
    "transfer_in": "成员迁入",
}


class HouseholdChange(Base):
    """One change of a household or one of its members: who, when, why, before and after."""

    __tablename__ = "household_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per household: its version
    kind: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    review_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    org_path: Mapped[str] = mapped_column(String(200))

    member: Mapped[Member | None] = relationship()

    __table_args__ = (UniqueConstraint("household_id", "seq", name="uq_household_changes_seq"),)


class TransferRequest(Base):
    """A township's request that the district move a person registered elsewhere into one of
    its households; `org_path` is the receiving household's, `from_household_id` is not shown
    to the township."""

    __tablename__ = "transfer_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    from_household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    to_household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    relation: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12))  # requested | done | refused
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(300), default="")
    org_path: Mapped[str] = mapped_column(String(200))

    member: Mapped[Member] = relationship()
    from_household: Mapped[Household] = relationship(foreign_keys=[from_household_id])
    to_household: Mapped[Household] = relationship(foreign_keys=[to_household_id])
