"""The org units an actor may choose on a form (a village for a new household, a township to
filter a list by), and the policy region of the actor's own unit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from caseflow.db.models import OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.policy.store import district_region, region_of


def units_in_reach(
    session: Session, actor: Actor, levels: Collection[str] | None = None
) -> list[OrgUnit]:
    """Units inside the actor's subtree (only of `levels` when given), in tree order."""
    stmt = select(OrgUnit).where(in_jurisdiction(OrgUnit.path, actor)).order_by(OrgUnit.path)
    if levels is not None:
        stmt = stmt.where(OrgUnit.level.in_(tuple(levels)))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Place:
    """A unit as a filter offers it: its code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class TownshipVillages:
    """One township with the villages of it that the actor may see (an <optgroup>)."""

    township: Place
    villages: list[Place]


def villages_by_township(
    session: Session, actor: Actor, township_code: str = ""
) -> list[TownshipVillages]:
    """The villages in the actor's reach grouped under their townships, in tree order; only
    the villages of `township_code` when one is given. One query: the village joined to its
    parent township, both limited by the jurisdiction test in SQL."""
    town = aliased(OrgUnit)
    stmt = (
        select(town.code, town.name, OrgUnit.code, OrgUnit.name)
        .join(town, town.id == OrgUnit.parent_id)
        .where(
            OrgUnit.level == "village",
            town.level == "township",
            in_jurisdiction(OrgUnit.path, actor),
        )
        .order_by(OrgUnit.path)
    )
    if township_code:
        stmt = stmt.where(town.code == township_code)
    groups: dict[str, TownshipVillages] = {}
    for t_code, t_name, v_code, v_name in session.execute(stmt):
        group = groups.setdefault(t_code, TownshipVillages(Place(t_code, t_name), []))
        group.villages.append(Place(v_code, v_name))
    return list(groups.values())


def region_of_actor(session: Session, actor: Actor) -> str:
    """The policy region of the actor's own unit (policy is set per district: the first six
    digits of its code); the demo district where the unit cannot be found."""
    code = session.scalar(select(OrgUnit.code).where(OrgUnit.path == actor.org_path))
    return region_of(code if code is not None else district_region())
