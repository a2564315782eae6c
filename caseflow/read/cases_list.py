"""The /cases list: open cases in the actor's jurisdiction, those whose current step belongs to
one of the actor's roles apart from the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.workflow.model import StateDef
from caseflow.workflow.registry import registry

LIMIT = 300


@dataclass(frozen=True)
class OpenCases:
    """Each case with the definition of its current state, longest waiting first."""

    mine: list[tuple[Case, StateDef]] = field(default_factory=list)
    others: list[tuple[Case, StateDef]] = field(default_factory=list)


def open_cases(session: Session, actor: Actor, limit: int = LIMIT) -> OpenCases:
    """Up to `limit` open cases, split by whether the current step is the actor's."""
    rows = session.scalars(
        select(Case)
        .where(in_jurisdiction(Case.org_path, actor), Case.is_final.is_(False))
        .order_by(Case.state_entered_at)
        .limit(limit)
    ).all()
    reg = registry()
    found = OpenCases()
    for case in rows:
        state = reg.workflow(case.workflow_key).states[case.state]
        (found.mine if state.owner_role in actor.roles else found.others).append((case, state))
    return found
