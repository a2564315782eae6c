"""Turn stored households into the rule layer's frozen facts (the only bridge between the two)."""

from __future__ import annotations

from caseflow.db.models import Household, Member
from caseflow.policy.facts import Asset, HouseholdFacts, Income, MemberFacts


def member_facts(member: Member) -> MemberFacts:
    """The facts of one member, incomes and assets included."""
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
    )


def household_facts(household: Household) -> HouseholdFacts:
    """The facts of a whole household."""
    return HouseholdFacts(members=tuple(member_facts(m) for m in household.members))


def applicant(household: Household) -> Member:
    """The applicant: the head of household, or the first member."""
    return next((m for m in household.members if m.relation == "户主"), household.members[0])
