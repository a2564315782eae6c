"""Tables of the screening campaigns and rounds (schema: migrations 0007, 0021)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db.models import Base


class Campaign(Base):
    """One screening campaign (twice a year), optionally linked to the comparison run it works."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    comparison_run_id: Mapped[int | None] = mapped_column(ForeignKey("comparison_runs.id"))
    # Working days after a missed stage end before the district supervisors are told (督办).
    district_after_working_days: Mapped[int] = mapped_column(Integer, default=3)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stages: Mapped[list[CampaignStage]] = relationship(
        order_by="CampaignStage.position", cascade="all, delete-orphan"
    )


class CampaignStage(Base):
    """A stage with its dates (local calendar days) and the share of rows resolved by its end."""

    __tablename__ = "campaign_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    target_percent: Mapped[int] = mapped_column(Integer, default=100)

    __table_args__ = (UniqueConstraint("campaign_id", "position", name="uq_campaign_stage_pos"),)


class CampaignEscalation(Base):
    """One rung reached by one township for one stage; the unique key makes the sweep idempotent."""

    __tablename__ = "campaign_escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("campaign_stages.id"))
    township_code: Mapped[str] = mapped_column(String(20))
    level: Mapped[int] = mapped_column(Integer)  # 1 = township leader, 2 = district (督办)
    resolved: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    reached_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("stage_id", "township_code", "level", name="uq_campaign_escalation"),
        Index("ix_campaign_escalations_township", "township_code"),
    )


class ScreeningRound(Base):
    """One township's screening round (排查摸底) of one half-year, as recorded (migration 0021)."""

    __tablename__ = "screening_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(200))  # the township's, for jurisdiction
    year: Mapped[int] = mapped_column(Integer)
    half: Mapped[int] = mapped_column(Integer)  # 1: January–June, 2: July–December
    held_from: Mapped[date] = mapped_column(Date)
    held_to: Mapped[date] = mapped_column(Date)
    households_screened: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("township_id", "year", "half", name="uq_screening_round"),
        CheckConstraint("half IN (1, 2)", name="ck_screening_round_half"),
        Index("ix_screening_rounds_path_year", "org_path", "year"),
    )
