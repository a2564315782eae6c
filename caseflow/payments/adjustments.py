"""Manual corrections after sign-off (补发 / 扣回 entries for the next roll), outside the
entitlement chain: 提标, reviews and removals correct the roll through the entitlement history.

Each is bounded by the month it names (caseflow.payments.adjustment_bounds) and can be withdrawn
by the roll's preparer until a roll holding it is checked: while it waits for a roll, here (an
admin-log entry); once in a prepared roll, through the roll's `withdraw_adjustment` transition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.fire import fire
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.money import check_fen
from caseflow.kernel.roles import Role
from caseflow.payments.adjustment_bounds import month_record, refusal
from caseflow.payments.entitlement import live_roll_rows, rolled_adjustment_ids
from caseflow.payments.models import PaymentAdjustment, PaymentRoll, RollRow
from caseflow.payments.months import parse_month
from caseflow.workflow.registry import Registry, registry

ADJUST_ROLES = frozenset(
    {Role.DISTRICT_FINANCE.value, Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value}
)
WITHDRAW_TRIGGER = "withdraw_adjustment"


def _township_of(session: Session, org_path: str) -> OrgUnit:
    parts = org_path.strip("/").split("/")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.path == f"/{parts[0]}/{parts[1]}/"))
    if unit is None:
        raise CaseNotFound("家庭所属乡镇不存在")
    return unit


def _check_input(for_month: str, amount_fen: int, reason: str) -> str:
    errors: dict[str, str] = {}
    month = parse_month(for_month)
    if month is None:
        errors["for_month"] = "月份格式应为 YYYY-MM"
    if amount_fen == 0:
        errors["amount"] = "调整金额不能为零"
    else:
        try:
            check_fen(amount_fen)
        except ValueError as exc:
            errors["amount"] = str(exc)
    if not reason.strip():
        errors["reason"] = "请填写调整理由"
    if errors:
        raise PayloadInvalid(errors)
    assert month is not None
    return month


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
    """Record a correction (补发 > 0, 扣回 < 0) for a month; the next roll pays it (committed).
    Refused beyond the month's record: a 补发 over what the month is due, a 扣回 over what
    was paid."""
    if not actor.roles & ADJUST_ROLES or actor.user_id is None:
        raise PermissionDenied("您的角色不能登记发放调整")
    month = _check_input(for_month, amount_fen, reason)
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
        beyond = refusal(month_record(session, household_id, case_id, month), amount_fen)
        if beyond is not None:
            raise PayloadInvalid({"amount": beyond})
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


def _holding_row(session: Session, adjustment_id: int) -> tuple[RollRow, PaymentRoll, Case] | None:
    """The live row of a live roll that pays the adjustment, with its roll and roll case."""
    found = session.execute(
        live_roll_rows()
        .with_only_columns(RollRow, PaymentRoll, Case)
        .where(RollRow.adjustment_id == adjustment_id)
    ).first()
    return None if found is None else (found[0], found[1], found[2])


def _mark_withdrawn(adj: PaymentAdjustment, actor: Actor, reason: str, now: datetime) -> None:
    adj.withdrawn_at, adj.withdrawn_by_id = now, actor.user_id
    adj.withdrawn_reason = reason.strip()[:300]


def withdraw_adjustment(
    session: Session,
    actor: Actor,
    adjustment_id: int,
    reason: str,
    now: datetime,
    *,
    reg: Registry | None = None,
) -> PaymentAdjustment:
    """Withdraw an adjustment before a checked roll holds it (committed, audited). In a
    prepared roll it goes through that roll's workflow; after the check it is refused."""
    reg = reg or registry()
    if not reg.workflow("roll").open_roles & actor.roles or actor.user_id is None:
        raise PermissionDenied("只有编制名册的乡镇人员可以撤回调整")
    if not reason.strip():
        raise PayloadInvalid({"reason": "请填写撤回理由"})
    with UnitOfWork(session) as uow:
        adj = session.scalar(
            select(PaymentAdjustment)
            .join(Household, Household.id == PaymentAdjustment.household_id)
            .where(
                PaymentAdjustment.id == adjustment_id,
                in_jurisdiction(Household.org_path, actor),
            )
        )
        if adj is None:
            raise CaseNotFound("调整不存在或不在您的管辖范围内")
        if adj.withdrawn_at is not None:
            raise PayloadInvalid({"adjustment": "该调整已撤回"})
        held = _holding_row(session, adj.id)
        if held is None:
            _mark_withdrawn(adj, actor, reason, now)
            append_admin_event(
                session,
                actor_id=actor.user_id,
                action="payment_adjustment_withdrawn",
                subject=f"household:{adj.household_id}",
                payload={"adjustment_id": adj.id, "reason": adj.withdrawn_reason},
                at=now,
            )
            uow.commit()
            return adj
        row, _roll, roll_case = held
        if roll_case.state != "prepared":
            raise PayloadInvalid(
                {
                    "adjustment": f"该调整已列入名册 {roll_case.case_no}，名册已审核或签发，"
                    "不能撤回；如需更正请另行登记反向调整"
                }
            )
    payload = {"row_id": row.id, "reason": reason}
    fire(session, roll_case.id, WITHDRAW_TRIGGER, actor, now, payload, reg=reg)
    session.refresh(adj)
    return adj


@dataclass(frozen=True)
class PendingAdjustment:
    """An adjustment no live roll holds yet (it rides on the township's next roll)."""

    adjustment: PaymentAdjustment
    head_name: str


def pending_adjustments(
    session: Session, actor: Actor, limit: int = 200
) -> list[PendingAdjustment]:
    """Adjustments in the actor's jurisdiction waiting for a roll, oldest first."""
    rows = session.execute(
        select(PaymentAdjustment, Household.head_name)
        .join(Household, Household.id == PaymentAdjustment.household_id)
        .where(
            in_jurisdiction(Household.org_path, actor),
            PaymentAdjustment.withdrawn_at.is_(None),
            PaymentAdjustment.id.not_in(rolled_adjustment_ids()),
        )
        .order_by(PaymentAdjustment.id)
        .limit(limit)
    ).all()
    return [PendingAdjustment(a, name) for a, name in rows]
