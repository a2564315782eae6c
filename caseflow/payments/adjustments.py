"""Manual corrections after sign-off (补发 / 扣回 entries for the next roll), outside the
entitlement chain: 提标, reviews and removals correct the roll through the entitlement history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.payments.models import (
    PaymentAdjustment,
)
from caseflow.payments.months import parse_month

ADJUST_ROLES = frozenset(
    {Role.DISTRICT_FINANCE.value, Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value}
)


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
