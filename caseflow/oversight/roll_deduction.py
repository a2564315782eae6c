"""追回 withheld from the payment rolls (扣减), where the case's rule set allows it.

A recovery case the district has put in `deducting` (workflows/recovery.yaml; the guard
`roll_deduction_allowed` asks the rule set) has part of its balance withheld from each regular
roll of the household's township:

    withheld = min(balance, max_percent % of the month's payment of the source case,
                   what the household's other lines on this roll pay to its own account)

so the balance falls to zero and never below, and the household's lines never add up to less
than zero. Only the household's own payment is withheld from — never money paid to a 供养服务机构
for a resident in centralised care, nor an advance the township already paid. The amount is a
roll row of its own (kind `recovery_deduction`, negative, its case the recovery case: it never
counts as paying the entitlement) and, through `fire(deduct_from_roll)` on the recovery case, a
repayment naming that row; a cancelled roll or a removed row stops counting as repaid.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import fire
from caseflow.engine.plugins import Plugin
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import to_local
from caseflow.oversight.models import Recovery
from caseflow.oversight.recovery import balance, deduction_rule
from caseflow.payments.entitlement import Line
from caseflow.payments.models import (
    GRADUAL,
    MONTHLY,
    RECOVERY_DEDUCTION,
    PaymentRoll,
    RollRow,
)
from caseflow.payments.withholding import Withholding, install
from caseflow.workflow.registry import Registry

DEDUCT_TRIGGER = "deduct_from_roll"
DEDUCTING = "deducting"


def _own_money(line: Line) -> bool:
    """Paid to the household's own account by this roll (not an institution, not an advance)."""
    return line.pay_by_bank and line.institution_id is None


def deduction_lines(
    session: Session, reg: Registry, township: OrgUnit, month: str, lines: list[Line]
) -> list[Line]:
    """The amounts to withhold on the township's regular roll of `month`, one line per recovery
    case in `deducting`, given the roll's other `lines`."""
    found = session.execute(
        select(Case, Recovery)
        .join(Recovery, Recovery.case_id == Case.id)
        .where(
            Case.case_type == "recovery",
            Case.state == DEDUCTING,
            in_jurisdiction(Case.org_path, township.path),
        )
        .order_by(Case.id)
    ).all()
    if not found:
        return []
    left: dict[int, int] = defaultdict(int)  # household → what its lines still pay
    monthly: dict[int, int] = defaultdict(int)  # source case → the month's own payment
    for ln in lines:
        if _own_money(ln):
            left[ln.household_id] += ln.amount_fen
            if ln.kind in (MONTHLY, GRADUAL) and ln.for_month == month and ln.case_id:
                monthly[ln.case_id] += ln.amount_fen
    out: list[Line] = []
    for case, row in found:
        ruleset = reg.rulesets.get(case.ruleset_key)
        if ruleset is None or case.household_id is None:
            continue
        allowed, percent = deduction_rule(ruleset)
        if not allowed:  # the rule set changed since the deduction was set up
            continue
        cap = monthly.get(row.source_case_id, 0) * percent // 100
        owed = balance(session, row)
        withheld = min(owed, cap, left[case.household_id])
        if withheld <= 0:
            continue
        left[case.household_id] -= withheld
        note = (
            f"扣减追回款（{case.case_no}，每月最多扣减当月保障金的{percent}%，"
            f"扣减后余额 {format_yuan(owed - withheld)} 元）"
        )
        out.append(
            Line(
                case.household_id,
                case.id,
                "recovery",
                RECOVERY_DEDUCTION,
                month,
                -withheld,
                note=note,
            )
        )
    return out


def record_deductions(session: Session, reg: Registry, roll: PaymentRoll, now: datetime) -> int:
    """Each deduction row of the roll recorded as a repayment of its recovery (fire, inside the
    preparation's unit of work: the roll and the repayments are written together or not at all).
    Fired as the system: the roll's preparer is on the roll case, and a preparer who must step
    aside from one household's recovery (a near relative) still prepares the township's roll.
    Returns how many."""
    rows = session.scalars(
        select(RollRow)
        .where(RollRow.roll_id == roll.id, RollRow.kind == RECOVERY_DEDUCTION)
        .order_by(RollRow.id)
    ).all()
    paid_on = to_local(now).date().isoformat()
    for row in rows:
        assert row.case_id is not None
        payload = {"amount_fen": -row.amount_fen, "paid_on": paid_on, "roll_row_id": row.id}
        fire(session, row.case_id, DEDUCT_TRIGGER, SYSTEM_ACTOR, now, payload, reg=reg)
    return len(rows)


# The roll withholds through caseflow.payments.withholding; installed by caseflow.bootstrap.
plugin = Plugin("oversight.roll_deduction")


@plugin.setup
def _withhold_from_rolls() -> None:
    install(Withholding("recovery_deduction", deduction_lines, record_deductions))
