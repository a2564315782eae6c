"""Tables of institutional care: institutions, admissions (one row per 入院 case) and bed
occupancies.

A bed is never double-booked: `bed_occupancies` has a partial unique index on (institution,
bed number) over live rows (not ended), and another on the person, so two writers racing for
one bed — or one person placed twice — are refused by the database itself, on SQLite and
PostgreSQL alike. Bed numbers run 1..licensed beds, so the licensed number bounds the live rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db.models import Base

# Care levels of the six-item self-care assessment (caseflow.policy.tekun), with the words the
# institutions use for them (全自理 / 半失能 / 全失能).
CARE_LEVELS = ("self_care", "partial", "full")
CARE_LEVEL_ZH = {"self_care": "全自理", "partial": "半失能", "full": "全失能"}
KINDS = ("敬老院", "供养服务机构")
# Why a person is proposed for centralised care: their own choice, or assessed as unable to
# live alone (全失能 / 半失能 first: 国发〔2016〕14号, 待核实 article).
GROUNDS = {"chosen": "本人自愿选择集中供养", "unable_alone": "经评估生活不能自理（失能、半失能）"}
# How a live occupancy ends.
END_REASONS = {
    "discharged": "出院（转为分散供养）",
    "deceased": "死亡",
    "released": "未入住（床位释放）",
    "stopped": "停止供养（停保）",
}


class Institution(Base):
    """A 敬老院 or 供养服务机构 of a township; beds in use are derived from its occupancies."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(200), index=True)
    licensed_beds: Mapped[int] = mapped_column(Integer)
    # How many residents of each care level the institution can look after.
    capacity_self_care: Mapped[int] = mapped_column(Integer)
    capacity_partial: Mapped[int] = mapped_column(Integer)
    capacity_full: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(30), default="")
    # The account the roll pays residents' support into.
    account_name: Mapped[str] = mapped_column(String(100), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("org_unit_id", "name", name="uq_institutions_township_name"),
        CheckConstraint("licensed_beds >= 0", name="ck_institutions_beds"),
    )

    def capacity(self, level: str) -> int:
        """Residents of `level` the institution can care for."""
        return int(getattr(self, f"capacity_{level}"))


class Admission(Base):
    """The 入院 case's own facts: who, where to, why, at which care level."""

    __tablename__ = "admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    tekun_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    care_level: Mapped[str] = mapped_column(String(20))
    ground: Mapped[str] = mapped_column(String(20))


class BedOccupancy(Base):
    """One person in one bed: reserved when the institution confirms the bed, admitted when the
    district approves, ended on discharge, death or a refusal."""

    __tablename__ = "bed_occupancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    bed_no: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    admission_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    care_level: Mapped[str] = mapped_column(String(20))
    reserved_at: Mapped[datetime]
    admitted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        CheckConstraint("bed_no >= 1", name="ck_bed_occupancies_bed_no"),
        Index(
            "uq_bed_occupancies_live_bed",
            "institution_id",
            "bed_no",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index(
            "uq_bed_occupancies_live_member",
            "member_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )
