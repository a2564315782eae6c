"""What the printed notices show: a case with its household head, its township and the events a
notice quotes; and the village publicity list. Everything inside the actor's jurisdiction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Assessment, Case, CaseEvent, Household, Member, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound
from caseflow.read.case_page import load_case

HEAD = "户主"


@dataclass(frozen=True)
class CaseNotice:
    case: Case
    household: Household | None
    head: Member | None  # the household head, else its first member
    township: OrgUnit  # the case's township (its own unit when it is not a village)
    events: list[CaseEvent]  # the events asked for, in order

    def of(self, trigger: str) -> list[CaseEvent]:
        """The events of one trigger, in order."""
        return [e for e in self.events if e.trigger == trigger]


def _head(members: Sequence[Member]) -> Member | None:
    return next((m for m in members if m.relation == HEAD), members[0] if members else None)


def case_notice(
    session: Session, actor: Actor, case_id: int, triggers: Sequence[str]
) -> CaseNotice:
    """A case's notice material with its events of `triggers`; CaseNotFound outside reach."""
    case = load_case(session, actor, case_id)
    members = session.scalars(
        select(Member)
        .where(Member.household_id == case.household_id, Member.left_on.is_(None))
        .order_by(Member.id)
    ).all()
    township = case.org_unit
    while township.level == "village" and township.parent is not None:
        township = township.parent
    events = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.trigger.in_(tuple(triggers)))
        .order_by(CaseEvent.seq)
    ).all()
    return CaseNotice(case, case.household, _head(members), township, list(events))


class PublicityRow(NamedTuple):  # a tuple: the template unpacks it
    case: Case
    head: Member | None
    members: int
    assessment: Assessment | None  # the latest


@dataclass(frozen=True)
class PublicityList:
    unit: OrgUnit
    rows: list[PublicityRow]


def publicity_list(
    session: Session, actor: Actor, org_code: str, states: Sequence[str]
) -> PublicityList:
    """Cases in `states` (publicity) under the unit with `org_code`; CaseNotFound when the unit is
    unknown or outside the actor's jurisdiction."""
    unit = session.scalar(
        select(OrgUnit).where(OrgUnit.code == org_code[:20], in_jurisdiction(OrgUnit.path, actor))
    )
    if unit is None:
        raise CaseNotFound("单位不存在或不在您的管辖范围内")
    cases = session.scalars(
        select(Case)
        .join(Household, Case.household_id == Household.id)
        .where(
            Case.state.in_(tuple(states)),
            in_jurisdiction(Case.org_path, unit.path),
            in_jurisdiction(Case.org_path, actor),
        )
        .order_by(Case.case_type, Case.case_no)
    ).all()
    rows = []
    for case in cases:
        members = case.household.members if case.household is not None else []
        assessment = session.scalar(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.id.desc())
            .limit(1)
        )
        rows.append(PublicityRow(case, _head(members), len(members), assessment))
    return PublicityList(unit, rows)
