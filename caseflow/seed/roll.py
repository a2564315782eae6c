"""The demo's payment roll: one prepared roll for the first township, so the page shows rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit, User, UserRole
from caseflow.kernel.actors import Actor
from caseflow.kernel.roles import Role
from caseflow.payments.months import add_months, month_of
from caseflow.payments.roll import prepare_roll

DEMO_TOWNSHIP = "640502100"  # 滨河镇


def prepare_demo_roll(session: Session, now: datetime) -> None:
    """Next month's roll of 滨河镇, prepared by its township reviewer (as a user would)."""
    user = session.scalar(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(UserRole.role == Role.TOWNSHIP_REVIEWER.value, OrgUnit.code == DEMO_TOWNSHIP)
        .order_by(User.id)
    )
    if user is not None:
        prepare_roll(
            session, Actor.from_user(user), DEMO_TOWNSHIP, add_months(month_of(now), 1), now
        )
