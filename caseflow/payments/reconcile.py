"""Reconciliation: every month a township's rolls paid, held against the entitlement history.

For a month M and each township with a live roll for M, every 低保/特困 case with an entitlement
is checked month by month from the township's first roll to M: the rows of live rolls that pay
that month (monthly, 渐退, corrections) must add up to the amount the history says was in force.
Any difference is listed with the case and the reason; none is the proof that what was paid is
what the rules decided. Manual corrections (补发/扣回 typed by a reviewer) stand outside the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.money import format_yuan
from caseflow.payments.entitlement import paid_by_month, programmes, township_start
from caseflow.payments.entitlements import amount_in, months_between
from caseflow.payments.models import PaymentRoll


@dataclass(frozen=True)
class Difference:
    """One month of one case where the rolls and the history disagree."""

    township: str
    case_id: int
    case_no: str
    month: str
    expected_fen: int
    paid_fen: int

    @property
    def reason_zh(self) -> str:
        """Why it is listed, in Chinese."""
        if self.expected_fen == 0:
            return "保障记录当月无待遇，名册却有发放"
        if self.paid_fen == 0:
            return "保障记录当月应发，名册未发"
        gap = self.expected_fen - self.paid_fen
        return f"{'少发' if gap > 0 else '多发'} {format_yuan(abs(gap))} 元"

    def line_zh(self) -> str:
        """One line for the CLI and the page."""
        expected, paid = format_yuan(self.expected_fen), format_yuan(self.paid_fen)
        return (
            f"{self.township} {self.case_no} {self.month}：应发 {expected} 元，"
            f"实发 {paid} 元 —— {self.reason_zh}"
        )


@dataclass(frozen=True)
class Reconciliation:
    month: str
    townships: list[str]  # the townships that have a live roll for the month
    cases_checked: int
    differences: list[Difference]


def reconcile(session: Session, actor: Actor, month: str) -> Reconciliation:
    """Every live roll of `month` in the actor's jurisdiction (supplements included) against the
    entitlement history."""
    rolls = session.execute(
        select(PaymentRoll.township_id, OrgUnit.name, OrgUnit.path, OrgUnit.code)
        .join(Case, Case.id == PaymentRoll.case_id)
        .join(OrgUnit, OrgUnit.id == PaymentRoll.township_id)
        .where(
            PaymentRoll.month == month,
            Case.state != "cancelled",
            in_jurisdiction(PaymentRoll.org_path, actor),
        )
        .distinct()  # a month's supplements (补发名单) are checked with its regular roll
        .order_by(OrgUnit.code)
    ).all()
    differences: list[Difference] = []
    checked = 0
    for township_id, name, path, _code in rolls:
        start = township_start(session, township_id) or month
        paid = paid_by_month(session, township_id, up_to=month)
        history = programmes(session, path)
        numbers = dict(
            session.execute(
                select(Case.id, Case.case_no).where(Case.id.in_([p.case_id for p in history]))
            ).all()
        )
        known = {p.case_id for p in history}
        for p in history:
            checked += 1
            first = max(start, min(v.effective_month for v in p.versions))
            for m in months_between(first, month):
                expected, got = amount_in(p.versions, m), paid.get((p.case_id, m), 0)
                if expected != got:
                    differences.append(
                        Difference(name, p.case_id, numbers[p.case_id], m, expected, got)
                    )
        for (case_id, m), got in sorted(paid.items()):
            if case_id not in known and got:
                number = session.scalar(select(Case.case_no).where(Case.id == case_id)) or ""
                differences.append(Difference(name, case_id, number, m, 0, got))
    return Reconciliation(month, [r[1] for r in rolls], checked, differences)
