"""Risk checks on a prepared roll, listed for the signer: each finding is acknowledged (audited)
or its row removed before sign-off. Every check is one SQL query over the roll's live rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, distinct, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from caseflow.db.models import Case, CaseEvent, Household, Member, RosterImport, RosterRow
from caseflow.kernel.idnumber import mask_account, mask_id_number
from caseflow.kernel.money import format_yuan
from caseflow.ledger.kinds import OTHER_LISTS
from caseflow.payments.adjustment_bounds import month_record
from caseflow.payments.models import (
    ADJUSTMENT,
    ADVANCE,
    GRADUAL,
    MONTHLY,
    ONE_OFF,
    PaymentRoll,
    RiskFinding,
    RollRow,
)
from caseflow.workflow.rulesets import RuleSet

EXTERNAL_KINDS = ("deaths", "prisoners", "moves")
CHECK_LABELS = {
    "shared_account": "多户共用一个银行账号",
    "two_households": "同一人在两个在保家庭",
    "dibao_and_tekun": "同时享受低保和特困",
    "external_list": "在死亡/服刑/迁出名单上",
    "amount_bounds": "金额超出规则集范围",
    "staff_relative_visit": "近亲属备案案件无区级入户核查记录",
    "large_adjustment": "调整金额较大",
}


@dataclass(frozen=True)
class Finding:
    row_id: int
    household_id: int
    check: str
    detail: str


def _live(roll_id: int) -> Any:
    return and_(RollRow.roll_id == roll_id, RollRow.removed_at.is_(None))


def _first_rows(session: Session, roll_id: int) -> dict[int, int]:
    """The first live row of each household (a household-level finding is shown there)."""
    return dict(
        session.execute(
            select(RollRow.household_id, func.min(RollRow.id))
            .where(_live(roll_id))
            .group_by(RollRow.household_id)
        ).all()
    )


def shared_account(session: Session, roll_id: int, _rs: dict[str, RuleSet]) -> list[Finding]:
    """One bank account registered for different households (anywhere in the district)."""
    accounts = select(RollRow.bank_account).where(_live(roll_id), RollRow.bank_account != "")
    shared = dict(
        session.execute(
            select(Household.bank_account, func.count(distinct(Household.id)))
            .where(Household.bank_account.in_(accounts))
            .group_by(Household.bank_account)
            .having(func.count(distinct(Household.id)) > 1)
        ).all()
    )
    if not shared:
        return []
    rows = session.execute(
        select(RollRow.household_id, func.min(RollRow.id), RollRow.bank_account)
        .where(_live(roll_id), RollRow.bank_account.in_(list(shared)))
        .group_by(RollRow.household_id, RollRow.bank_account)
    ).all()
    return [
        Finding(
            row_id,
            hid,
            "shared_account",
            f"银行账号 {mask_account(acc)} 登记在 {shared[acc]} 户家庭",
        )
        for hid, row_id, acc in rows
    ]


def _active_households() -> Any:
    removed = select(Case.household_id).where(
        Case.case_type == "removal", Case.state.in_(("removed", "removal_notice"))
    )
    return select(Case.household_id).where(
        Case.case_type.in_(("dibao", "tekun")),
        Case.state == "approved",
        Case.household_id.not_in(removed.where(Case.household_id.is_not(None))),
    )


def two_households(session: Session, roll_id: int, _rs: dict[str, RuleSet]) -> list[Finding]:
    """A member of a roll household is also a member of another household in payment."""
    other = aliased(Member)
    roll_households = select(RollRow.household_id).where(_live(roll_id))
    rows = session.execute(
        select(Member.household_id, Member.name, Member.id_number, other.household_id)
        .join(
            other,
            and_(other.id_number == Member.id_number, other.household_id != Member.household_id),
        )
        .where(
            Member.household_id.in_(roll_households),
            Member.left_on.is_(None),  # a member who moved on is no longer in both
            other.left_on.is_(None),
            other.household_id.in_(_active_households()),
        )
        .order_by(Member.household_id, Member.id)
    ).all()
    first = _first_rows(session, roll_id) if rows else {}
    return [
        Finding(
            first[hid],
            hid,
            "two_households",
            f"{name}（{mask_id_number(idn)}）同时是另一在保家庭（家庭编号 {oid}）的成员",
        )
        for hid, name, idn, oid in rows
    ]


def dibao_and_tekun(session: Session, roll_id: int, _rs: dict[str, RuleSet]) -> list[Finding]:
    """A household paid 低保 and 特困 in the same roll."""
    rows = session.execute(
        select(RollRow.household_id, func.min(RollRow.id))
        .where(_live(roll_id), RollRow.kind.in_((MONTHLY, GRADUAL)))
        .group_by(RollRow.household_id)
        .having(func.count(distinct(RollRow.case_type)) > 1)
    ).all()
    return [
        Finding(row_id, hid, "dibao_and_tekun", "同一家庭本月同时领取低保金和特困供养金")
        for hid, row_id in rows
    ]


def external_list(session: Session, roll_id: int, _rs: dict[str, RuleSet]) -> list[Finding]:
    """A member is on an imported death, prison or moved-away list (ledger roster imports)."""
    rows = session.execute(
        select(
            Member.household_id,
            Member.name,
            Member.id_number,
            RosterImport.kind,
            RosterImport.file_name,
        )
        .join(RosterRow, RosterRow.id_number == Member.id_number)
        .join(RosterImport, RosterImport.id == RosterRow.import_id)
        .where(
            Member.household_id.in_(select(RollRow.household_id).where(_live(roll_id))),
            Member.left_on.is_(None),
            RosterImport.kind.in_(EXTERNAL_KINDS),
        )
        .distinct()
        .order_by(Member.household_id, Member.name)
    ).all()
    first = _first_rows(session, roll_id) if rows else {}
    return [
        Finding(
            first[hid],
            hid,
            "external_list",
            f"{name}（{mask_id_number(idn)}）在「{OTHER_LISTS[kind]}」上（导入文件 {fname}）",
        )
        for hid, name, idn, kind, fname in rows
    ]


def amount_bounds(session: Session, roll_id: int, rs: dict[str, RuleSet]) -> list[Finding]:
    """Monthly or one-off amounts outside the bounds of the rule set the case runs under."""
    rows = session.execute(
        select(RollRow.id, RollRow.household_id, RollRow.kind, RollRow.amount_fen)
        .add_columns(Case.ruleset_key, Case.case_no)
        .join(Case, Case.id == RollRow.case_id)
        .where(_live(roll_id), RollRow.kind.in_((MONTHLY, GRADUAL, ONE_OFF, ADVANCE)))
    ).all()
    found = []
    for row_id, hid, kind, amount, rs_key, case_no in rows:
        params = rs[rs_key].params
        if kind in (MONTHLY, GRADUAL):
            low, high = (
                int(params["payment_monthly_min_fen"]),
                int(params["payment_monthly_max_fen"]),
            )
        else:
            low, high = 1, int(params["payment_one_off_max_fen"])
        if not low <= amount <= high:
            found.append(
                Finding(
                    row_id,
                    hid,
                    "amount_bounds",
                    f"{case_no} 金额 {format_yuan(amount)} 元不在 {format_yuan(low)}–"
                    f"{format_yuan(high)} 元之间（{rs[rs_key].label}）",
                )
            )
    return found


def staff_relative_visit(session: Session, roll_id: int, _rs: dict[str, RuleSet]) -> list[Finding]:
    """A staff-relative (近亲属备案) case paid without the district home visit on record."""
    visited = exists().where(
        CaseEvent.case_id == Case.id, CaseEvent.trigger == "record_district_visit"
    )
    rows = session.execute(
        select(RollRow.id, RollRow.household_id, Case.case_no)
        .join(Case, Case.id == RollRow.case_id)
        .where(_live(roll_id), Case.flag_staff_relative.is_(True), ~visited)
    ).all()
    return [
        Finding(
            row_id, hid, "staff_relative_visit", f"{case_no} 为近亲属备案案件，未见区级入户核查记录"
        )
        for row_id, hid, case_no in rows
    ]


def large_adjustment(session: Session, roll_id: int, rs: dict[str, RuleSet]) -> list[Finding]:
    """A manual adjustment (补发/扣回) above the share of its month's amount that the roll's
    rule set names (`payment_adjustment_large_percent`)."""
    rows = session.execute(
        select(RollRow.id, RollRow.household_id, RollRow.case_id, RollRow.for_month)
        .add_columns(RollRow.amount_fen, Case.ruleset_key)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(_live(roll_id), RollRow.kind == ADJUSTMENT)
    ).all()
    found = []
    for row_id, hid, case_id, month, amount, rs_key in rows:
        percent = int(rs[rs_key].params["payment_adjustment_large_percent"])
        due = month_record(session, hid, case_id, month).due_fen
        if abs(amount) * 100 > percent * due:
            found.append(
                Finding(
                    row_id,
                    hid,
                    "large_adjustment",
                    f"{month} 调整 {format_yuan(amount)} 元，超过该月应发 {format_yuan(due)} 元的 "
                    f"{percent}%（{rs[rs_key].label}）",
                )
            )
    return found


CHECKS: list[Callable[[Session, int, dict[str, RuleSet]], list[Finding]]] = [
    shared_account,
    two_households,
    dibao_and_tekun,
    external_list,
    amount_bounds,
    staff_relative_visit,
    large_adjustment,
]


def run_checks(session: Session, roll: PaymentRoll, rulesets: dict[str, RuleSet]) -> int:
    """Store every finding of every check for the roll (in the caller's transaction)."""
    found = [f for check in CHECKS for f in check(session, roll.id, rulesets)]
    if found:
        session.execute(
            insert(RiskFinding),
            [
                {
                    "roll_id": roll.id,
                    "row_id": f.row_id,
                    "household_id": f.household_id,
                    "check": f.check,
                    "detail": f.detail[:500],
                    "acknowledgement": "",
                }
                for f in found
            ],
        )
    return len(found)


def open_findings(session: Session, roll_id: int) -> int:
    """Findings neither acknowledged nor on a removed row (sign-off waits for none)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(RiskFinding)
            .outerjoin(RollRow, RollRow.id == RiskFinding.row_id)
            .where(
                RiskFinding.roll_id == roll_id,
                RiskFinding.acknowledged_at.is_(None),
                RollRow.removed_at.is_(None),
            )
        )
        or 0
    )
