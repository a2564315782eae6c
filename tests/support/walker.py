"""Drive cases along declared paths through engine.fire, choosing a permitted user for each step."""

from __future__ import annotations

import contextlib
import heapq
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import object_session
from support import SH, World

from caseflow.casework.assessments import latest_assessment
from caseflow.casework.home_visit import recorded_visit_date
from caseflow.casework.orphans import OrphanApplication, open_orphan_case
from caseflow.clock.deadlines import LEVEL_OVERDUE
from caseflow.db.models import Case, Member, MemberIncome
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.errors import GuardFailed, PermissionDenied
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.roles import Role
from caseflow.payments.grants import CARE_LEVEL_CHOICES
from caseflow.workflow.model import PayloadField, TransitionDef, WorkflowDef
from caseflow.workflow.registry import registry

# Users of the test world that may stand in for each role, in order of preference.
USERS_BY_ROLE: dict[str, list[str]] = {
    Role.CLERK: ["clerk"],
    Role.INVESTIGATOR: ["inv1", "inv2"],
    Role.TOWNSHIP_REVIEWER: ["reviewer"],
    Role.TOWNSHIP_LEADER: ["leader"],
    Role.POVERTY_LIAISON: ["liaison"],
    Role.DISTRICT_APPROVER: ["approver", "approver2"],
    Role.DISTRICT_FINANCE: ["finance"],
    Role.SUPERVISOR: ["supervisor"],
}
# Transitions that need a special world (a minor applicant, the 2012 rules) or a special route
# (临时救助's 先行救助): avoided if possible.
SPECIAL = {
    "skip_publicity_minor": 50,
    "start_appraisal": 50,
    "record_appraisal": 50,
    "declare_emergency": 50,
}
# Fields left out of sample payloads: goods are described only when the aid form says so.
IN_KIND_FIELDS = ("in_kind", "in_kind_value_fen")
NOW_2012_RULES = datetime(2020, 6, 1, 9, 0, tzinfo=SH)
# Publicity lasts 7 calendar days from the day it starts; a day more and the timer may end it.
PUBLICITY_RUNS_OUT = timedelta(days=8)


def sample_value(field: PayloadField, members: list[int] | None = None) -> Any:
    """A valid value for any declared payload field (`members`: the case's household)."""
    if field.type == "members":
        return list(members or [])
    return {
        "text": "测试说明",
        "date": "2026-03-02",
        "int": 2,
        "fen": 50000,
        "bool": True,
        "choice": field.choices[0] if field.choices else "",
        "list": [field.choices[0]] if field.choices else ["户口簿复印件"],
        "records": [],  # a household with nothing to declare
    }[field.type]


def sample_payload(t: TransitionDef, case: Case | None = None) -> dict[str, Any]:
    """Valid values for every declared field of a transition (members: all of the case's
    household, which class A — the first choice — covers)."""
    members = [m.id for m in case.household.members] if case is not None and case.household else []
    payload = {f.name: sample_value(f, members) for f in t.payload}
    if payload.get("aid_form") == "现金":  # cash only: no goods
        for name in IN_KIND_FIELDS:
            payload.pop(name, None)
    if case is not None and "care_level_matches_assessment" in t.guards:
        payload["care_level"] = assessed_care_label(case)
    if case is not None and "visit_date_differs" in t.guards:
        payload["visit_date"] = corrected_visit_date(case)
    return payload


def corrected_visit_date(case: Case) -> str:
    """A day before the case's recorded visit date (a correction must change it)."""
    session = object_session(case)
    assert session is not None
    recorded = recorded_visit_date(session, case.id) or date(2026, 3, 2)
    return (recorded - timedelta(days=1)).isoformat()


def assessed_care_label(case: Case) -> str:
    """The care level of the case's newest self-care assessment, as the approval form names it."""
    session = object_session(case)
    assert session is not None
    row = latest_assessment(session, case, "tekun")
    level = str(row.result.get("care_level")) if row is not None else ""
    return next((k for k, v in CARE_LEVEL_CHOICES.items() if v == level), "全自理")


def shortest_path(wf: WorkflowDef, target: str) -> list[TransitionDef]:
    """Cheapest trigger path from the initial state to `target` (special transitions cost more)."""
    start = wf.initial.name
    heap: list[tuple[int, int, str, list[TransitionDef]]] = [(0, 0, start, [])]
    seen: set[str] = set()
    tie = 0
    while heap:
        cost, _, state, path = heapq.heappop(heap)
        if state == target:
            return path
        if state in seen:
            continue
        seen.add(state)
        for t in wf.transitions_from(state):
            if t.dest is None or t.dest in seen:
                continue
            tie += 1
            heapq.heappush(heap, (cost + SPECIAL.get(t.trigger, 1), tie, t.dest, [*path, t]))
    raise AssertionError(f"{wf.key}: no path to {target}")


class Walker:
    """Walks cases of the test world; time moves forward an hour per step."""

    def __init__(self, world: World, now: datetime) -> None:
        self.world = world
        self.now = now

    def tick(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now

    def candidates(self, t: TransitionDef) -> list[Actor]:
        actors: list[Actor] = []
        for role in sorted(t.roles):
            if role == Role.SYSTEM:
                actors.append(SYSTEM_ACTOR)
            actors.extend(self.world.actor(u) for u in USERS_BY_ROLE.get(role, []))
        return actors

    def step(self, case: Case, t: TransitionDef, payload: dict[str, Any] | None = None) -> None:
        """Fire `t` with the first permitted actor, collecting signatures when a guard asks."""
        self.prepare(case, t)
        payload = sample_payload(t, case) if payload is None else payload
        last: Exception | None = None
        for actor in self.candidates(t):
            try:
                fire(self.world.session, case.id, t.trigger, actor, self.tick(), payload)
                return
            except PermissionDenied as exc:  # separation of duties: try the next colleague
                last = exc
        raise AssertionError(f"nobody could fire {t.trigger}: {last}")

    def prepare(self, case: Case, t: TransitionDef) -> None:
        """Do what `t`'s guards wait for: two signatures, an assessment on record, the full
        publicity period gone by, a 低保 household whose wages lifted it over the standard."""
        if "publicity_period_elapsed" in t.guards:
            self.now += PUBLICITY_RUNS_OUT
        signable = (
            registry().workflow(case.workflow_key).transition_for(case.state, "sign_home_visit")
        )
        if "two_investigators_signed" in t.guards or (
            "home_visit_on_record" in t.guards and signable
        ):
            self.sign_twice(case)
        if "assessment_recorded" in t.guards:
            self.record_assessment(case)
        if "income_rose_through_work" in t.guards:
            self.income_rose_through_work(case)
        if "case_overdue" in t.guards:
            self.make_overdue(case)
        if "orphan_child_is_adult" in t.guards:  # the child has turned 18 since
            head = select(Member.id).where(Member.household_id == case.household_id).limit(1)
            grown = update(Member).where(Member.id.in_(head)).values(birth_date=date(2000, 1, 1))
            self.world.session.execute(grown)
            self.world.session.commit()

    def make_overdue(self, case: Case) -> None:
        """Past the case's earliest deadline; a case without a running one (paused, or a step
        without a limit) is put on the overdue rung as the sweep would have left it."""
        session = self.world.session
        session.refresh(case)
        if case.due_at is not None:
            self.now = max(self.now, case.due_at + timedelta(hours=1))
        else:
            session.execute(
                update(Case).where(Case.id == case.id).values(escalation_level=LEVEL_OVERDUE)
            )
            session.commit()

    def income_rose_through_work(self, case: Case) -> None:
        """The case's household gets an approved 低保 case, then wages above the standard."""
        session = self.world.session
        hh_id = case.household_id
        assert hh_id is not None
        in_dibao = session.scalar(
            select(Case.id).where(
                Case.household_id == hh_id, Case.case_type == "dibao", Case.state == "approved"
            )
        )
        if in_dibao is None:
            wf = registry().workflow("dibao")
            dibao = open_case(session, "dibao", hh_id, self.world.actor("clerk"), self.tick())
            for step in shortest_path(wf, "approved"):
                self.step(dibao, step)
        head = session.scalars(
            select(Member).where(Member.household_id == hh_id).order_by(Member.id)
        ).first()
        assert head is not None
        if not any(i.source == "wages" for i in head.incomes):
            head.incomes.append(MemberIncome(source="wages", monthly_fen=300000))
            session.commit()

    def record_assessment(self, case: Case) -> None:
        wf = registry().workflow(case.workflow_key)
        record = next(r for r in wf.transitions_from(case.state) if r.internal and r.effects)
        fire(
            self.world.session,
            case.id,
            record.trigger,
            self.world.actor("inv1"),
            self.tick(),
            sample_payload(record),
        )

    def sign_twice(self, case: Case) -> None:
        wf = registry().workflow(case.workflow_key)
        sign = wf.transition_for(case.state, "sign_home_visit")
        assert sign is not None
        for user in ("inv1", "inv2"):
            at = self.tick()  # the visit took place that day (a later one is refused)
            visit = {**sample_payload(sign), "visit_date": at.date().isoformat()}
            with contextlib.suppress(GuardFailed):  # already signed in this visit
                fire(
                    self.world.session,
                    case.id,
                    "sign_home_visit",
                    self.world.actor(user),
                    at,
                    visit,
                )

    def open(self, wf: WorkflowDef, *, minor: bool = False) -> Case:
        # 特困 needs an applicant without labour capacity: a minor, or aged 60 and over.
        adult = date(1950, 5, 1) if wf.case_type == "tekun" else date(1970, 5, 1)
        minor = minor or wf.case_type == "orphan"  # the orphan program's child is the head
        hh = self.world.household(head_born=date(2015, 1, 1) if minor else adult)
        opener = next(u for r in sorted(wf.open_roles) for u in USERS_BY_ROLE.get(r, []))
        if wf.case_type == "orphan":  # opened with the child, the guardian and the parents
            return self.open_orphan(hh.id, opener)
        return open_case(
            self.world.session,
            wf.key,
            hh.id,
            self.world.actor(opener),
            self.tick(),
            summary="测试案件",
        )

    def open_orphan(self, household_id: int, opener: str) -> Case:
        members = select(Member.id).where(Member.household_id == household_id)
        child = self.world.session.scalars(members.order_by(Member.id)).first()
        assert child is not None
        app = OrphanApplication(
            household_id, child, "王大明", "祖父母", make_id_number("640502", date(1950, 1, 1), 9),
            "dead", "dead", "dispersed",
        )  # fmt: skip
        return open_orphan_case(self.world.session, self.world.actor(opener), app, self.tick())

    def walk_household(self, household_id: int, wf: WorkflowDef, target: str) -> Case:
        """A new case of a given household (its own size and incomes) walked to `target`."""
        opener = next(u for r in sorted(wf.open_roles) for u in USERS_BY_ROLE.get(r, []))
        case = open_case(
            self.world.session, wf.key, household_id, self.world.actor(opener), self.tick()
        )
        for t in shortest_path(wf, target):
            self.step(case, t)
        self.world.session.refresh(case)
        assert case.state == target, (wf.key, target, case.state)
        return case

    def to_state(self, wf: WorkflowDef, target: str, then: TransitionDef | None = None) -> Case:
        """A new case walked to `target`, in a world where `then` can fire next."""
        path = shortest_path(wf, target)
        triggers = {t.trigger for t in path} | ({then.trigger} if then else set())
        if triggers & {"start_appraisal", "record_appraisal"}:
            self.now = NOW_2012_RULES
        case = self.open(wf, minor="skip_publicity_minor" in triggers)
        for t in path:
            self.step(case, t)
        self.world.session.refresh(case)
        assert case.state == target, (wf.key, target, case.state)
        if then is not None:
            self.prepare(case, then)
        return case
