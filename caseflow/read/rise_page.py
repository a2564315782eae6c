"""The 提标 page: the list of changed monthly amounts of the actor's region from a date, and
whether a list from that month was approved already (approve_rise refuses a second)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.kernel.actors import Actor
from caseflow.payments.models import PaymentAmountChange
from caseflow.payments.rise import RiseList, rise_list
from caseflow.read.units import region_of_actor

SOURCE = "standard_rise"  # PaymentAmountChange.source of an approved 提标 list


@dataclass(frozen=True)
class RisePage:
    rise: RiseList
    approved: bool


def rise_page(session: Session, actor: Actor, effective_from: date) -> RisePage:
    """The list in force from `effective_from` in the actor's region."""
    rise = rise_list(session, region_of_actor(session, actor), effective_from)
    approved = session.scalar(
        select(PaymentAmountChange.id)
        .where(
            PaymentAmountChange.effective_month == f"{effective_from:%Y-%m}",
            PaymentAmountChange.source == SOURCE,
        )
        .limit(1)
    )
    return RisePage(rise, approved is not None)
