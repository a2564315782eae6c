"""Tables of payments: the entitlement history, rolls, rows, risk findings, adjustments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db.models import Base

# Row kinds: a month of 低保/特困, a month of 渐退期, the difference the entitlement history owes
# for an earlier month, a one-off temporary-assistance payment, the emergency route's advance
# (先行救助, already paid by the township), and a manual correction.
MONTHLY, GRADUAL, CORRECTION, ONE_OFF, ADVANCE, ADJUSTMENT = (
    "monthly",
    "gradual_exit",
    "correction",
    "one_off",
    "advance",
    "adjustment",
)
# A 追回 balance withheld from the household's payment (negative; its case is the recovery case,
# so it never counts as paying the entitlement; caseflow.oversight.roll_deduction).
RECOVERY_DEDUCTION = "recovery_deduction"
# Rows that pay a month of an entitlement: together they must equal the history (reconcile).
ENTITLEMENT_KINDS = (MONTHLY, GRADUAL, CORRECTION)
KIND_LABELS = {
    MONTHLY: "月度保障金",
    GRADUAL: "渐退期保障金",
    CORRECTION: "按保障记录补发/扣减",
    ONE_OFF: "临时救助（一次性）",
    ADVANCE: "先行救助（乡镇已垫付）",
    ADJUSTMENT: "调整（补发/扣回）",
    RECOVERY_DEDUCTION: "扣减追回款",
}


class PaymentRoll(Base):
    """One township's roll for one month (or a supplement to it); its state lives on the roll
    case (`case_id`)."""

    __tablename__ = "payment_rolls"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(200), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    # 0: the month's regular roll (one live per township and month); 1, 2, …: supplementary
    # rolls (补发名单) for cases approved after the month's rolls were prepared.
    supplement_no: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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
    # Set when the row is paid to a 供养服务机构 for a resident in centralised care (the payee's
    # name and account are then the institution's): migration 0020.
    institution_id: Mapped[int | None] = mapped_column(Integer, default=None)
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
    # Withdrawn by the preparer before a roll holding it was checked: never rolled again.
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")


# Kinds of entitlement version: what wrote it.
GRANT, ADJUST, RISE, GRADUAL_EXIT, STOP, LEGACY, PLACEMENT = (
    "grant",
    "adjust",
    "rise",
    "gradual_exit",
    "stop",
    "legacy",
    "placement",
)
ENTITLEMENT_KIND_LABELS = {
    GRANT: "审核确认",
    ADJUST: "复核调整",
    RISE: "提标",
    GRADUAL_EXIT: "渐退期",
    STOP: "停发",
    LEGACY: "迁移前记录",
    PLACEMENT: "供养方式变更（入住/离开供养机构）",
}


class Entitlement(Base):
    """One version of what a 低保/特困 case pays each month, from `effective_month` on.

    Written only by effects inside fire(): approval, a review's outcome, 提标, removal, 渐退.
    The version in force in a month is the newest (by effective_month, then seq) whose
    effective_month is not after it; a stop pays nothing. The roll reads only this history.
    Append-only (database triggers): a correction is a newer version.
    """

    __tablename__ = "entitlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))  # the programme's case
    seq: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    org_path: Mapped[str] = mapped_column(String(200), index=True)
    programme: Mapped[str] = mapped_column(String(20))  # dibao | tekun
    kind: Mapped[str] = mapped_column(String(20))
    effective_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # paid each month
    computed_fen: Mapped[int] = mapped_column(BigInteger)  # what the rules computed
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    covered_member_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    aid_class: Mapped[str | None] = mapped_column(String(10))
    care_level: Mapped[str | None] = mapped_column(String(20))
    policy_effective_from: Mapped[date | None]
    standard_fen: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deviation_reason: Mapped[str] = mapped_column(String(500), default="")
    source_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))  # whose fire wrote it
    trigger: Mapped[str] = mapped_column(String(40))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_entitlement_version"),
        Index("ix_entitlements_case_month", "case_id", "effective_month"),
    )
