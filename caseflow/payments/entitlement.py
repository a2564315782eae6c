"""What a township pays in a month: the lines of its roll.

低保 / 特困: read only from the entitlement history (caseflow.payments.entitlements) — the
month's amount in force, and corrections for earlier months the rolls paid differently.
Temporary assistance is paid once: the emergency advance (先行救助, already paid by the township,
listed for the record) and the approved amount less that advance. Manual adjustments ride along.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, CaseEvent
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.money import MAX_FEN, format_yuan
from caseflow.payments.entitlements import amount_in, in_force, months_between, versions_of
from caseflow.payments.models import (
    ADJUSTMENT,
    ADVANCE,
    CORRECTION,
    ENTITLEMENT_KINDS,
    GRADUAL,
    GRADUAL_EXIT,
    MONTHLY,
    ONE_OFF,
    Entitlement,
    PaymentAdjustment,
    PaymentRoll,
    RollRow,
)
from caseflow.payments.months import add_months, month_of
from caseflow.workflow.rulesets import RuleSet

ONE_OFF_TRIGGERS = ("grant_advance_aid", "township_approve", "district_approve")


@dataclass(frozen=True)
class Line:
    """One payment the roll will hold (before the payee's details are attached)."""

    household_id: int
    case_id: int | None
    case_type: str
    kind: str
    for_month: str
    amount_fen: int
    pay_by_bank: bool = True
    adjustment_id: int | None = None
    note: str = ""
    # Paid to a 供养服务机构 (集中供养): the payee is the institution, not the household.
    institution_id: int | None = None


def _institution_of(versions: list[Entitlement], month: str) -> int | None:
    """The institution the version in force in `month` pays (集中供养), if any."""
    version = in_force(versions, month)
    found = version.basis.get("institution_id") if version is not None else None
    return int(found) if found else None


def _in(path: str) -> Any:
    return in_jurisdiction(Case.org_path, path)


def live_roll_rows() -> Any:
    """Rows of live rolls (roll not cancelled, row not removed), joined to roll and roll case."""
    return (
        select(RollRow)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(RollRow.removed_at.is_(None), Case.state != "cancelled")
    )


def _live_rows(township_id: int) -> Any:
    """Rows of the township's live rolls."""
    return live_roll_rows().where(PaymentRoll.township_id == township_id)


def township_start(session: Session, township_id: int) -> str | None:
    """The month of the township's first live roll: months before it were paid outside
    caseflow and are never corrected by it."""
    return session.scalar(
        select(func.min(PaymentRoll.month))
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(PaymentRoll.township_id == township_id, Case.state != "cancelled")
    )


def paid_by_month(
    session: Session, township_id: int, up_to: str | None = None
) -> dict[tuple[int, str], int]:
    """Fen paid against the entitlement per (case, month) by the township's live rolls (of
    months up to `up_to`, if given). Manual corrections are not part of the chain."""
    stmt = (
        _live_rows(township_id)
        .with_only_columns(RollRow.case_id, RollRow.for_month, func.sum(RollRow.amount_fen))
        .where(RollRow.kind.in_(ENTITLEMENT_KINDS), RollRow.case_id.is_not(None))
        .group_by(RollRow.case_id, RollRow.for_month)
    )
    if up_to is not None:
        stmt = stmt.where(PaymentRoll.month <= up_to)
    return {(cid, m): int(fen) for cid, m, fen in session.execute(stmt).all()}


@dataclass(frozen=True)
class Programme:
    """A 低保/特困 case with its entitlement history."""

    case_id: int
    household_id: int
    case_type: str
    versions: list[Entitlement]


def programmes(session: Session, path: str) -> list[Programme]:
    """Every case under `path` that has an entitlement history."""
    rows = session.execute(
        select(Entitlement.case_id, Entitlement.household_id, Entitlement.programme)
        .where(in_jurisdiction(Entitlement.org_path, path))
        .distinct()
    ).all()
    history = versions_of(session, [r[0] for r in rows])
    return [Programme(cid, hid, ctype, history[cid]) for cid, hid, ctype in sorted(rows)]


def entitlement_lines(session: Session, path: str, township_id: int, month: str) -> list[Line]:
    """What the entitlement history owes in `month`: the month's own payment, and for every
    earlier month since the township's first roll the difference between what the history
    says and what live rolls paid (back pay after 提标 or a late decision, a reduction after a
    review) — so the roll and the history cannot drift apart."""
    start = township_start(session, township_id) or month
    paid = paid_by_month(session, township_id)
    lines: list[Line] = []
    for p in programmes(session, path):
        first = min(v.effective_month for v in p.versions)
        for m in months_between(max(first, start), add_months(month, -1)):
            owed = amount_in(p.versions, m) - paid.get((p.case_id, m), 0)
            if owed:
                note = "按保障记录补发" if owed > 0 else "按保障记录扣减（多发部分）"
                place = _institution_of(p.versions, m)
                line = Line(p.household_id, p.case_id, p.case_type, CORRECTION, m, owed, note=note)
                lines.append(replace(line, institution_id=place))
        due = amount_in(p.versions, month) - paid.get((p.case_id, month), 0)
        version = in_force(p.versions, month)
        if due and version is not None:
            kind = GRADUAL if version.kind == GRADUAL_EXIT else MONTHLY
            note = f"渐退期（{version.basis.get('until', '')} 起停发）" if kind == GRADUAL else ""
            place = _institution_of(p.versions, month)
            if place is not None:
                note = _placement_note(version)
            line = Line(p.household_id, p.case_id, p.case_type, kind, month, due, note=note)
            lines.append(replace(line, institution_id=place))
    return lines


def _placement_note(version: Entitlement) -> str:
    """What an institution's line pays: basic living and the care of the resident's level."""
    parts = version.components or {}
    basic, care = int(parts.get("basic", 0)), int(parts.get("care", 0))
    resident, place = version.basis.get("resident", ""), version.basis.get("institution", "")
    return (
        f"集中供养（{resident}）：{place}代收，"
        f"基本生活费 {format_yuan(basic)} 元 + 照料护理费 {format_yuan(care)} 元"
    )[:300]


def _already_in_roll(session: Session, township_id: int) -> set[tuple[int | None, str]]:
    """(case, kind) of one-off rows in this township's live rolls (not cancelled, not removed)."""
    rows = session.execute(
        select(RollRow.case_id, RollRow.kind)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            PaymentRoll.township_id == township_id,
            RollRow.kind.in_((ONE_OFF, ADVANCE)),
            RollRow.removed_at.is_(None),
            Case.state != "cancelled",
        )
    ).all()
    return {(cid, kind) for cid, kind in rows}


def one_off_lines(
    session: Session, path: str, township_id: int, month: str, lookback: int
) -> list[Line]:
    """Temporary assistance not yet in a roll, approved or advanced from `lookback` months ago."""
    earliest = add_months(month, -lookback)
    rows = session.execute(
        select(Case.id, Case.household_id, Case.state, CaseEvent.trigger, CaseEvent.at)
        .add_columns(CaseEvent.payload)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.case_type == "temporary", CaseEvent.trigger.in_(ONE_OFF_TRIGGERS), _in(path))
        .order_by(Case.id, CaseEvent.seq)
    ).all()
    done = _already_in_roll(session, township_id)
    advanced: dict[int, int] = defaultdict(int)
    lines: list[Line] = []
    for cid, hid, state, trigger, at, payload in rows:
        amount, when = int((payload or {}).get("amount_fen") or 0), month_of(at)
        if hid is None:
            continue
        if trigger == "grant_advance_aid":
            advanced[cid] += amount
            kind, pay = ADVANCE, amount
        elif state == "approved":
            kind, pay = ONE_OFF, amount - advanced[cid]
        else:
            continue
        if pay > 0 and earliest <= when <= month and (cid, kind) not in done:
            note = "乡镇已先行支付，不进入银行文件" if kind == ADVANCE else ""
            lines.append(
                Line(hid, cid, "temporary", kind, when, pay, pay_by_bank=kind != ADVANCE, note=note)
            )
    return lines


def rolled_adjustment_ids() -> Any:
    """Ids of the adjustments a live roll holds (roll not cancelled, row not removed)."""
    return (
        live_roll_rows()
        .with_only_columns(RollRow.adjustment_id)
        .where(RollRow.adjustment_id.is_not(None))
    )


def adjustment_lines(session: Session, township_id: int) -> list[Line]:
    """Adjustments of this township that no live roll holds yet and nobody withdrew."""
    rows = session.scalars(
        select(PaymentAdjustment)
        .where(
            PaymentAdjustment.township_id == township_id,
            PaymentAdjustment.withdrawn_at.is_(None),
            PaymentAdjustment.id.not_in(rolled_adjustment_ids()),
        )
        .order_by(PaymentAdjustment.id)
    ).all()
    case_types = dict(
        session.execute(
            select(Case.id, Case.case_type).where(
                Case.id.in_([a.case_id for a in rows if a.case_id is not None])
            )
        ).all()
    )
    return [
        Line(
            a.household_id,
            a.case_id,
            case_types.get(a.case_id, "") if a.case_id else "",
            ADJUSTMENT,
            a.for_month,
            a.amount_fen,
            adjustment_id=a.id,
            note=a.reason[:300],
        )
        for a in rows
    ]


def refuse_oversized(lines: list[Line]) -> None:
    """A value stored before amounts were bounded (9×10¹⁸ fen, say) stops the roll with a
    message naming it, instead of overflowing the roll's total."""
    bad = [ln for ln in lines if abs(ln.amount_fen) > MAX_FEN]
    if not bad:
        return
    names = "、".join(
        f"调整 #{ln.adjustment_id}" if ln.adjustment_id else f"案件 #{ln.case_id}" for ln in bad[:5]
    )
    raise PayloadInvalid(
        {
            "month": f"{names} 的金额超出可处理范围（{format_yuan(bad[0].amount_fen)} 元），"
            "名册未编制；请先在名册列表的「待发放的调整」中撤回，或请管理员核查"
        }
    )


def lines_for(
    session: Session,
    path: str,
    township_id: int,
    month: str,
    rulesets: dict[str, RuleSet],
    lookback: int,
) -> list[Line]:
    """Every payment of the township in `month`: monthly, gradual exit, one-off, adjustments."""
    lines = entitlement_lines(session, path, township_id, month)
    lines += one_off_lines(session, path, township_id, month, lookback)
    lines += adjustment_lines(session, township_id)
    refuse_oversized(lines)
    return lines
