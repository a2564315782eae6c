"""Corrections after sign-off (adjustment entries for the next roll) and 提标 approval: the
changed-amount list becomes amount changes, and months already paid get their difference."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.money import format_yuan
from caseflow.kernel.roles import Role
from caseflow.payments.models import (
    MONTHLY,
    PaymentAdjustment,
    PaymentAmountChange,
    PaymentRoll,
    RollRow,
)
from caseflow.payments.months import month_label, parse_month
from caseflow.payments.rise import rise_list

ADJUST_ROLES = frozenset(
    {Role.DISTRICT_FINANCE.value, Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value}
)
RISE_ROLES = frozenset({Role.DISTRICT_APPROVER.value})


def _township_of(session: Session, org_path: str) -> OrgUnit:
    parts = org_path.strip("/").split("/")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.path == f"/{parts[0]}/{parts[1]}/"))
    if unit is None:
        raise CaseNotFound("家庭所属乡镇不存在")
    return unit


def add_adjustment(
    session: Session,
    actor: Actor,
    *,
    household_id: int,
    case_id: int | None,
    for_month: str,
    amount_fen: int,
    reason: str,
    now: datetime,
) -> PaymentAdjustment:
    """Record a correction (补发 > 0, 扣回 < 0) for a month; the next roll pays it (committed)."""
    if not actor.roles & ADJUST_ROLES or actor.user_id is None:
        raise PermissionDenied("您的角色不能登记发放调整")
    errors: dict[str, str] = {}
    month = parse_month(for_month)
    if month is None:
        errors["for_month"] = "月份格式应为 YYYY-MM"
    if amount_fen == 0:
        errors["amount"] = "调整金额不能为零"
    if not reason.strip():
        errors["reason"] = "请填写调整理由"
    if errors:
        raise PayloadInvalid(errors)
    assert month is not None
    with UnitOfWork(session) as uow:
        household = session.scalar(
            select(Household).where(
                Household.id == household_id,
                in_jurisdiction(Household.org_path, actor),
            )
        )
        if household is None:
            raise CaseNotFound("家庭不存在或不在您的管辖范围内")
        if (
            case_id is not None
            and session.scalar(
                select(Case.id).where(Case.id == case_id, Case.household_id == household_id)
            )
            is None
        ):
            raise PayloadInvalid({"case": "该案件不属于此家庭"})
        adj = PaymentAdjustment(
            township_id=_township_of(session, household.org_path).id,
            household_id=household_id,
            case_id=case_id,
            for_month=month,
            amount_fen=amount_fen,
            reason=reason.strip()[:300],
            source="correction",
            created_at=now,
            created_by_id=actor.user_id,
        )
        session.add(adj)
        session.flush()
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="payment_adjustment",
            subject=f"household:{household_id}",
            payload={"adjustment_id": adj.id, "month": month, "amount_fen": amount_fen},
            at=now,
        )
        uow.commit()
    return adj


def approve_rise(
    session: Session, actor: Actor, region: str, effective_from: date, now: datetime
) -> int:
    """Approve the 提标 list: new amounts from the effective month into the next roll, and the
    difference for months already paid by signed rolls as adjustments. Returns cases changed."""
    if not actor.roles & RISE_ROLES or actor.user_id is None:
        raise PermissionDenied("只有区民政审批可以批准提标名单")
    month = f"{effective_from.year:04d}-{effective_from.month:02d}"
    with UnitOfWork(session) as uow:
        rise = rise_list(session, region, effective_from)
        by_no = dict(
            session.execute(
                select(Case.case_no, Case.id).where(
                    Case.case_no.in_([c.case_ref for c in rise.changes])
                )
            ).all()
        )
        new_amount = {by_no[c.case_ref]: c.new_fen for c in rise.changes if c.case_ref in by_no}
        already = session.scalar(
            select(PaymentAmountChange.id).where(
                PaymentAmountChange.case_id.in_(list(new_amount)),
                PaymentAmountChange.effective_month == month,
                PaymentAmountChange.source == "standard_rise",
            )
        )
        if already is not None:
            raise PayloadInvalid({"effective_from": f"{month_label(month)}起的提标名单已批准"})
        for case_id, fen in new_amount.items():
            session.add(
                PaymentAmountChange(
                    case_id=case_id,
                    effective_month=month,
                    amount_fen=fen,
                    source="standard_rise",
                    reason=f"提标：{rise.old_label} → {rise.new_label}",
                    approved_at=now,
                    approved_by_id=actor.user_id,
                )
            )
        back_pay = _back_pay(session, actor, new_amount, month, now)
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="standard_rise_approved",
            subject=f"region:{region}",
            payload={
                "effective_month": month,
                "cases": len(new_amount),
                "monthly_difference_fen": rise.total_difference_fen,
                "back_pay_entries": back_pay,
            },
            at=now,
        )
        uow.commit()
    return len(new_amount)


def _back_pay(
    session: Session, actor: Actor, new_amount: dict[int, int], month: str, now: datetime
) -> int:
    """Months from `month` on that signed rolls already paid at the old amount."""
    rows = session.execute(
        select(RollRow.case_id, RollRow.household_id, RollRow.for_month, RollRow.amount_fen)
        .add_columns(PaymentRoll.township_id)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .where(
            PaymentRoll.signed_at.is_not(None),
            RollRow.removed_at.is_(None),
            RollRow.kind == MONTHLY,
            RollRow.for_month >= month,
            RollRow.case_id.in_(list(new_amount)),
        )
    ).all()
    paid: dict[tuple[int, int, str, int], int] = defaultdict(int)
    for case_id, hid, for_month, fen, township_id in rows:
        paid[(case_id, hid, for_month, township_id)] += fen
    count = 0
    for (case_id, hid, for_month, township_id), fen in sorted(paid.items()):
        diff = new_amount[case_id] - fen
        if diff == 0:
            continue
        session.add(
            PaymentAdjustment(
                township_id=township_id,
                household_id=hid,
                case_id=case_id,
                for_month=for_month,
                amount_fen=diff,
                reason=f"提标差额 {month_label(for_month)}：{format_yuan(diff)} 元",
                source="standard_rise",
                created_at=now,
                created_by_id=actor.user_id,
            )
        )
        count += 1
    return count
