"""Tables of the payment roll: rolls, rows, risk findings, adjustments and amount changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db.models import Base

# Row kinds: a month of 低保/特困, a month of 渐退期, a one-off temporary-assistance payment, the
# emergency route's advance (先行救助, already paid by the township), and a correction.
MONTHLY, GRADUAL, ONE_OFF, ADVANCE, ADJUSTMENT = (
    "monthly",
    "gradual_exit",
    "one_off",
    "advance",
    "adjustment",
)
KIND_LABELS = {
    MONTHLY: "月度保障金",
    GRADUAL: "渐退期保障金",
    ONE_OFF: "临时救助（一次性）",
    ADVANCE: "先行救助（乡镇已垫付）",
    ADJUSTMENT: "调整（补发/扣回）",
}


class PaymentRoll(Base):
    """One township's roll for one month; its state lives on the roll case (`case_id`)."""

    __tablename__ = "payment_rolls"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(200), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    # Kept equal to the sum of the live rows by every change (checked by tests and at sign-off).
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    prepared_at: Mapped[datetime]
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_payment_rolls_township_month", "township_id", "month"),)


class RollRow(Base):
    """One payment of a roll, with the payee's details as they were when the roll was prepared."""

    __tablename__ = "roll_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(ForeignKey("payment_rolls.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    case_type: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    for_month: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payee_name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), default="")
    bank_account: Mapped[str] = mapped_column(String(40), default="")
    pay_by_bank: Mapped[bool] = mapped_column(Boolean, default=True)
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("payment_adjustments.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_reason: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (Index("ix_roll_rows_roll_household", "roll_id", "household_id"),)


class RiskFinding(Base):
    """A risk check's finding on a roll (usually on one row); acknowledged or its row removed."""

    __tablename__ = "risk_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(ForeignKey("payment_rolls.id"), index=True)
    row_id: Mapped[int | None] = mapped_column(ForeignKey("roll_rows.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    check: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(500))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement: Mapped[str] = mapped_column(String(500), default="")


class PaymentAdjustment(Base):
    """A correction (补发 / 扣回) for a month already in a signed roll; the next roll pays it."""

    __tablename__ = "payment_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    for_month: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # negative = recovered
    reason: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20))  # correction | standard_rise
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PaymentAmountChange(Base):
    """A new monthly amount for an approved 低保/特困 case from a month on (提标, review)."""

    __tablename__ = "payment_amount_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    effective_month: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(20))  # standard_rise | review
    reason: Mapped[str] = mapped_column(String(300), default="")
    approved_at: Mapped[datetime]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("case_id", "effective_month", "source", name="uq_amount_change"),
    )
