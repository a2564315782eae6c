"""The admin's policy page: the dated configurations of the actor's own region with the records
that hold them (who entered, whether the example values were confirmed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import PolicyRecord
from caseflow.kernel.actors import Actor
from caseflow.policy.config import PolicyConfig
from caseflow.policy.store import policy_table
from caseflow.read.units import region_of_actor


def policy_rows(session: Session, actor: Actor) -> list[tuple[PolicyConfig, PolicyRecord]]:
    """Every configuration of the actor's region with its record, the latest first."""
    region = region_of_actor(session, actor)
    table = policy_table(session, region)
    records = {
        r.effective_from: r
        for r in session.scalars(select(PolicyRecord).where(PolicyRecord.region == region))
    }
    return [(c, records[c.effective_from]) for c in reversed(table.configs)]


def policy_record(session: Session, actor: Actor, record_id: int) -> PolicyRecord | None:
    """One stored configuration of the actor's region (None for another region's)."""
    region = region_of_actor(session, actor)
    return session.scalar(
        select(PolicyRecord).where(PolicyRecord.id == record_id, PolicyRecord.region == region)
    )
