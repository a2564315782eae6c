"""A change to a household in payment opens a review (复核) of it, where the rules say so.

社会救助暂行办法（国务院令第649号）第十三条: a 低保 household tells the township when its
population, income or property changes (第一款), and when they change the county civil-affairs
department decides at once to raise, lower or stop the benefit (第三款, 增发、减发或者停发).
Wording quoted from memory; the text could not be checked against the official source here —
待核实. 特困供养 is treated alike: who lives in the household and what the rules read about a
member (labour capacity, health, disability, schooling, age through the ID number) decide
eligibility, class and amount.

So: a member added, removed or moved (transfer in or out), or a member's rule-relevant details
corrected, in a household with an open 低保/特困 entitlement in payment, opens a review case
through the engine (open_case, the system actor as the sweep uses), in the same unit of work as
the change. An open review already covers it (the change is linked to that one); an open removal
decides the household's support anyway (no review). Address, telephone, bank, village and name
corrections change nothing the rules read: no review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.change_models import CHANGE_KINDS, HouseholdChange
from caseflow.db.models import Case
from caseflow.engine.fire import open_case
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.payments.grants import programme_cases_in_payment
from caseflow.reviews.models import PROGRAMME_LABELS

BASIS = "社会救助暂行办法 第十三条第三款（待核实）"
# Changes of who lives in the household.
POPULATION_CHANGES = frozenset({"member_add", "member_remove", "transfer_in", "transfer_out"})
# Member details the means test, classification, 特困 eligibility or amounts read.
RULE_FIELDS = frozenset(
    {
        "id_number",
        "birth_date",
        "labour_capacity",
        "health",
        "disability_type",
        "disability_grade",
        "is_student",
    }
)


def calls_for_review(change: HouseholdChange) -> bool:
    """True when the change alters what the rules read about the household."""
    if change.kind in POPULATION_CHANGES:
        return True
    if change.kind != "member_edit":
        return False
    return any(change.before.get(k) != change.after.get(k) for k in RULE_FIELDS)


def _open_case_id(session: Session, household_id: int, case_type: str) -> int | None:
    return session.scalar(
        select(Case.id)
        .where(
            Case.household_id == household_id,
            Case.case_type == case_type,
            Case.is_final.is_(False),
        )
        .limit(1)
    )


def review_on_change(
    session: Session, change: HouseholdChange, actor: Actor, now: datetime
) -> int | None:
    """The review that covers `change` (opened now, or already open), or None."""
    if not calls_for_review(change):
        return None
    in_payment = programme_cases_in_payment(session, change.household_id)
    if not in_payment:
        return None
    if _open_case_id(session, change.household_id, "removal") is not None:
        return None
    already = _open_case_id(session, change.household_id, "review")
    if already is not None:
        return already
    programme = in_payment[0].case_type
    kind = CHANGE_KINDS[change.kind]
    summary = f"{PROGRAMME_LABELS[programme]}家庭情况变化复核（{kind}，依据{BASIS}）"
    payload = {"programme": programme, "household_change": change.seq, "basis": BASIS}
    case = open_case(
        session,
        "review",
        change.household_id,
        SYSTEM_ACTOR,
        now,
        summary=summary,
        payload=payload,
    )
    return case.id
