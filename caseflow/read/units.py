"""The org units an actor may choose on a form (a village for a new household, a township to
filter a list by), and the policy region of the actor's own unit."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.policy.store import DISTRICT_REGION, region_of


def units_in_reach(
    session: Session, actor: Actor, levels: Collection[str] | None = None
) -> list[OrgUnit]:
    """Units inside the actor's subtree (only of `levels` when given), in tree order."""
    stmt = select(OrgUnit).where(in_jurisdiction(OrgUnit.path, actor)).order_by(OrgUnit.path)
    if levels is not None:
        stmt = stmt.where(OrgUnit.level.in_(tuple(levels)))
    return list(session.scalars(stmt))


def region_of_actor(session: Session, actor: Actor) -> str:
    """The policy region of the actor's own unit (policy is set per district: the first six
    digits of its code); the demo district where the unit cannot be found."""
    code = session.scalar(select(OrgUnit.code).where(OrgUnit.path == actor.org_path))
    return region_of(code if code is not None else DISTRICT_REGION)
