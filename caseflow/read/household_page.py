"""The desk's household page: the household (inside the actor's jurisdiction), its cases, its
declarations of staff relatives, and the staff a new declaration may name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.households import household_in_scope
from caseflow.db.models import Case, Household, RelativeDeclaration, User
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor


@dataclass(frozen=True)
class HouseholdPage:
    household: Household
    cases: list[Case]  # newest first
    declarations: list[RelativeDeclaration]
    staff: list[User]  # every active account: a relative may work anywhere in the district


def household_page(session: Session, actor: Actor, household_id: int) -> HouseholdPage:
    """What the page shows; CaseNotFound when the household is outside the jurisdiction."""
    household = household_in_scope(session, actor, household_id)
    cases = session.scalars(
        select(Case)
        .where(Case.household_id == household.id, in_jurisdiction(Case.org_path, actor))
        .order_by(Case.id.desc())
    ).all()
    declarations = session.scalars(
        select(RelativeDeclaration).where(RelativeDeclaration.household_id == household.id)
    ).all()
    staff = session.scalars(select(User).where(User.active).order_by(User.display_name)).all()
    return HouseholdPage(household, list(cases), list(declarations), list(staff))
