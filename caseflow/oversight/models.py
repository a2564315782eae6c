"""Tables of supervision: the district's spot-check draws and their sampled cases, and the
complaints (投诉 / 举报) received.

A draw records its seed and rates, so the same population drawn again with the same seed gives
the same sample (caseflow.oversight.sampling). Each sampled case gets a spot-check case of its
own (workflows/spot_check.yaml); `spot_checks` links the two and keeps why it was sampled and
what the visit found. A complaint is a case too (workflows/complaint.yaml); `complaints` names
what it is about — a household, and a case where the complainant named one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db.models import Base

# Why a case is in the sample (民发〔2012〕220号 第二十六条: 近亲属 cases all visited; the rest
# by ratio; targeted samples are the district's own choice, 待核实).
REASONS = {
    "random": "随机抽取",
    "staff_relative": "近亲属备案（全部核查）",
    "high_amount": "新批准且金额较高",
    "class_c_long": "C类长期未调整",
}
# What the district's home visit found.
FINDINGS = {
    "correct": "核查无误",
    "amount_wrong": "保障金额有误",
    "not_eligible": "不符合保障条件",
    "documents_missing": "材料缺失",
}
CHANNELS = {"desk": "窗口受理", "district": "区民政局受理", "hotline": "电话举报", "letter": "来信"}


class SpotCheckDraw(Base):
    """One drawing of samples by the district: its seed, the rates used and the populations."""

    __tablename__ = "spot_check_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(200), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    # The rate typed on the form, in basis points (None: each township's rule set decided).
    rate_bp: Mapped[int | None]
    # Per township code: population, rate used (bp), sampled ids — enough to redo the draw.
    detail: Mapped[dict[str, Any]]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime]


class SpotCheck(Base):
    """A sampled case and the spot-check case opened for it."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("spot_check_draws.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    subject_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    township_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))
    finding: Mapped[str | None] = mapped_column(String(20))
    follow_up_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class Complaint(Base):
    """A complaint or report: who complained (may be anonymous), about what, through which
    channel; the complaint case carries its investigation and answer."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    subject_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    complainant: Mapped[str] = mapped_column(String(50), default="")
    contact: Mapped[str] = mapped_column(String(50), default="")
    content: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


# Why money is recovered (社会救助暂行办法 第六十八条: 以虚报、隐瞒、伪造等手段骗取 — 追回; an
# overpayment by the office's own error is recovered too, 待核实 which procedure applies).
CAUSES = {"fraud": "虚报、隐瞒、伪造骗取", "error": "工作差错多发"}


class Recovery(Base):
    """A 追回 case's facts: the months overpaid and by how much, from the entitlement history."""

    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    source_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    cause: Mapped[str] = mapped_column(String(20))
    from_month: Mapped[str] = mapped_column(String(7))
    to_month: Mapped[str] = mapped_column(String(7))
    # What should have been paid each month (0: not eligible at all).
    due_monthly_fen: Mapped[int]
    overpaid_fen: Mapped[int]
    # Per month: [month, paid fen, overpaid fen].
    months: Mapped[list[Any]] = mapped_column(JSON)
    decided_fen: Mapped[int | None]


class RecoveryPayment(Base):
    """One repayment received, or withheld from a roll."""

    __tablename__ = "recovery_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recovery_id: Mapped[int] = mapped_column(ForeignKey("recoveries.id"), index=True)
    paid_on: Mapped[date]
    amount_fen: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    # Withheld from a payment roll (migration 0026): counts as repaid only while that row is
    # live (its roll not cancelled, the row not removed).
    roll_row_id: Mapped[int | None] = mapped_column(ForeignKey("roll_rows.id"), unique=True)

    __table_args__ = (CheckConstraint("amount_fen > 0", name="ck_recovery_payments_positive"),)
