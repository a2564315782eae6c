"""Turn stored households into the rule layer's frozen facts (the only bridge between the two)."""

from __future__ import annotations

from sqlalchemy.orm import Session, joinedload

from caseflow.db.models import Household, Member
from caseflow.engine.uow import memoized
from caseflow.policy.facts import Asset, Expense, HouseholdFacts, Income, MemberFacts


def member_facts(member: Member) -> MemberFacts:
    """The facts of one member, incomes, assets and deductible expenses included."""
    return MemberFacts(
        id_number=member.id_number,
        name=member.name,
        relation=member.relation,
        birth_date=member.birth_date,
        labour_capacity=member.labour_capacity,  # type: ignore[arg-type]
        health=member.health,  # type: ignore[arg-type]
        disability_grade=member.disability_grade,
        incomes=tuple(Income(i.source, i.monthly_fen) for i in member.incomes),  # type: ignore[arg-type]
        assets=tuple(
            Asset(a.kind, a.value_fen, a.employs_others)  # type: ignore[arg-type]
            for a in member.assets
        ),
        is_student=member.is_student,
        disability_type=member.disability_type,  # type: ignore[arg-type]
        expenses=tuple(Expense(e.kind, e.monthly_fen) for e in member.expenses),
    )


def load_household(session: Session, household_id: int | None) -> Household:
    """A household with its members, their incomes and assets, in one query (not one per
    member and relation, as lazy loading would: that was most of an assessment's cost), read
    once per unit of work however many guards and effects of a transition ask."""
    return memoized(session, (Household, household_id), lambda: _load(session, household_id))


def _load(session: Session, household_id: int | None) -> Household:
    household = session.get(
        Household,
        household_id,
        options=[
            joinedload(Household.members).joinedload(Member.incomes),
            joinedload(Household.members).joinedload(Member.assets),
            joinedload(Household.members).joinedload(Member.expenses),
        ],
    )
    assert household is not None  # cases about a household always have one
    return household


def household_facts(household: Household) -> HouseholdFacts:
    """The facts of a whole household."""
    return HouseholdFacts(members=tuple(member_facts(m) for m in household.members))


def applicant(household: Household) -> Member:
    """The applicant: the head of household, or the first member."""
    return next((m for m in household.members if m.relation == "户主"), household.members[0])
