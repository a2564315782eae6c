"""The 提标 page: the changed entitlements of the actor's region from a date, and whether the
list from that date was approved already (a second approval is refused)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from caseflow.kernel.actors import Actor
from caseflow.payments.rise import RiseList, rise_approved, rise_list
from caseflow.read.units import region_of_actor


@dataclass(frozen=True)
class RisePage:
    rise: RiseList
    approved: bool


def rise_page(session: Session, actor: Actor, effective_from: date) -> RisePage:
    """The list in force from `effective_from` in the actor's region."""
    region = region_of_actor(session, actor)
    return RisePage(
        rise_list(session, region, effective_from), rise_approved(session, region, effective_from)
    )
