"""提标: when a new yearly standard is entered, the list of changed amounts for approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow.casework.facts_adapter import household_facts
from caseflow.db.models import Case, CaseEvent, Household, Member
from caseflow.db.scope import in_jurisdiction
from caseflow.policy.amounts import AmountChange, RiseCase, standard_rise
from caseflow.policy.store import policy_table


@dataclass(frozen=True)
class RiseList:
    """Changed amounts effective from `effective_from`, with the two configurations compared."""

    effective_from: date
    old_label: str
    new_label: str
    changes: list[AmountChange]

    @property
    def total_difference_fen(self) -> int:
        """Monthly cost of the rise over all listed cases."""
        return sum(c.difference_fen for c in self.changes)


def rise_list(session: Session, region: str, effective_from: date) -> RiseList:
    """Recompute every approved 低保 case under the new and the previous configuration."""
    table = policy_table(session, region)
    new = table.in_force(effective_from)
    old = table.in_force(effective_from - timedelta(days=1))
    cases = session.scalars(
        select(Case)
        .where(
            Case.case_type == "dibao",
            Case.state == "approved",
            in_jurisdiction(Case.org_path, f"/{region}/"),
        )
        .options(
            selectinload(Case.household)
            .selectinload(Household.members)
            .selectinload(Member.incomes)
        )
        .order_by(Case.case_no)
    ).all()
    classes: dict[int, dict[str, Any]] = dict(
        session.execute(
            select(CaseEvent.case_id, CaseEvent.payload).where(
                CaseEvent.case_id.in_([c.id for c in cases]), CaseEvent.trigger == "approve"
            )
        ).all()
    )
    rise_cases = [
        RiseCase(
            c.case_no,
            household_facts(c.household),
            support_class=(classes.get(c.id) or {}).get("aid_class"),
        )
        for c in cases
        if c.household is not None  # a 低保 case always has one; only the roll has none
    ]
    return RiseList(effective_from, old.label_zh, new.label_zh, standard_rise(rise_cases, old, new))
