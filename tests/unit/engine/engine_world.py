"""A small world for the engine's unit tests: one hand-written workflow, its two guards, a few
staff in two townships, one household — on SQLite in memory, copied from a migrated template."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from support import T0

from caseflow.accounts.orgs import ensure_district, unit_by_code
from caseflow.accounts.users import new_user
from caseflow.db.engine import make_engine
from caseflow.db.models import Case, CaseEvent, Deadline, Household
from caseflow.engine.fire import available_transitions, fire, open_case
from caseflow.engine.plugins import EFFECTS, GUARDS, FireResult, Guard, GuardContext
from caseflow.kernel.actors import Actor
from caseflow.kernel.roles import Role
from caseflow.workflow.loader import load_workflow
from caseflow.workflow.machine import build_machine
from caseflow.workflow.registry import Registry, registry

# One small workflow exercising every rule fire() enforces: roles, separation of duties (after
# `submit` and after `open`), a guard reading the database, a guard reading the payload.
PAPER_YAML = """\
key: paper
label: 测试申请
case_type: paper
open_roles: [clerk]
related_staff_excluded: true
states:
  filed:
    label: 已受理
    owner: clerk
    initial: true
  checking:
    label: 审核中
    owner: township_reviewer
  approved:
    label: 已批准
    final: true
  refused:
    label: 不予批准
    final: true
transitions:
  - trigger: submit
    label: 提交审核
    from: filed
    to: checking
    roles: [clerk]
  - trigger: note
    label: 记录备注
    from: [filed, checking]
    internal: true
    roles: [clerk, township_reviewer]
    payload:
      text: {type: text, label: 备注}
  - trigger: send_back
    label: 退回补正
    from: checking
    to: filed
    roles: [township_reviewer]
  - trigger: approve
    label: 批准
    from: checking
    to: approved
    roles: [township_reviewer, district_approver]
    forbid_actors_of: [submit]
    guards: [paper_noted, paper_within_limit]
    payload:
      amount: {type: fen, label: 金额}
  - trigger: refuse
    label: 不予批准
    from: checking
    to: refused
    roles: [township_reviewer]
    forbid_actors_of: [open]
"""

LIMIT_FEN = 100_000
NOTE_MISSING = "请先记录审核备注"
OVER_LIMIT = "金额超过本级审批上限（1000.00元）"


def _noted(ctx: GuardContext) -> str | None:
    """A note must be on record before approval (a guard that reads the database)."""
    notes = ctx.session.scalar(
        select(func.count()).where(CaseEvent.case_id == ctx.case.id, CaseEvent.trigger == "note")
    )
    return None if notes else NOTE_MISSING


def _within_limit(ctx: GuardContext) -> str | None:
    """The amount asked for stays within this level's limit (a guard that reads the form)."""
    assert ctx.payload is not None  # needs_payload: judged on submit only
    return None if ctx.payload["amount"] <= LIMIT_FEN else OVER_LIMIT


PAPER_GUARDS = {
    "paper_noted": Guard("paper_noted", _noted, needs_payload=False),
    "paper_within_limit": Guard("paper_within_limit", _within_limit, needs_payload=True),
}


def write_paper(folder: Path, text: str = PAPER_YAML) -> Path:
    """The workflow file in `folder`."""
    path = folder / "paper.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def paper_registry(folder: Path) -> Registry:
    """A registry holding only the paper workflow, with the repository's rule sets."""
    wf = load_workflow(
        write_paper(folder),
        guard_names=set(GUARDS) | set(PAPER_GUARDS),
        rule_names=(),
        effect_names=EFFECTS,
    )
    return Registry({wf.key: wf}, {wf.key: build_machine(wf)}, registry().rulesets)


# username → (township code or None for the district, roles)
STAFF: dict[str, tuple[str | None, list[str]]] = {
    "clerk": ("640502100", [Role.CLERK]),
    "clerk2": ("640502100", [Role.CLERK]),
    "reviewer": ("640502100", [Role.TOWNSHIP_REVIEWER]),
    "reviewer2": ("640502100", [Role.TOWNSHIP_REVIEWER]),
    "dual": ("640502100", [Role.CLERK, Role.TOWNSHIP_REVIEWER]),  # both desks of a small office
    "approver": (None, [Role.DISTRICT_APPROVER]),
    "supervisor": (None, [Role.SUPERVISOR]),
    "other_reviewer": ("640502101", [Role.TOWNSHIP_REVIEWER]),
}


@dataclass(frozen=True)
class Template:
    """A migrated in-memory database holding the staff and one household."""

    connection: sqlite3.Connection
    engine: Engine
    actors: dict[str, Actor]
    household_id: int


def build_template() -> Template:
    """Migrate an in-memory database once and put the staff and a household in it."""
    from caseflow.db.engine import make_session_factory
    from caseflow.db.schema import upgrade

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    engine = memory_engine(conn)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        district = ensure_district(session)
        users = {}
        for name, (code, roles) in STAFF.items():
            unit = unit_by_code(session, code) if code else district
            users[name] = new_user(name, name, unit, roles, T0)
            session.add(users[name])
        township = unit_by_code(session, "640502100")
        hh = Household(
            org_unit_id=township.id, org_path=township.path, head_name="王大明", created_at=T0
        )
        session.add(hh)
        session.commit()
        actors = {name: Actor.from_user(user) for name, user in users.items()}
        return Template(conn, engine, actors, hh.id)


def memory_engine(conn: sqlite3.Connection) -> Engine:
    """An engine on exactly this in-memory connection (every session shares it)."""
    return make_engine("sqlite://", poolclass=StaticPool, creator=lambda: conn)


@dataclass
class Desk:
    """One test's database session, the paper registry and the staff; time moves a minute a
    step."""

    session: Session
    reg: Registry
    actors: dict[str, Actor]
    household_id: int
    now: datetime = T0

    def tick(self) -> datetime:
        """The next moment."""
        self.now += timedelta(minutes=1)
        return self.now

    def open(self, by: str = "clerk") -> int:
        """A new paper case in `filed`; its id."""
        return open_case(
            self.session, "paper", self.household_id, self.actors[by], self.tick(), reg=self.reg
        ).id

    def fire(
        self,
        case_id: int,
        trigger: str,
        by: str,
        payload: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> FireResult:
        """engine.fire on the paper registry as `by`."""
        return fire(
            self.session,
            case_id,
            trigger,
            self.actors[by],
            self.tick(),
            payload,
            reg=self.reg,
            **kwargs,
        )

    def at_checking(self, *, noted: bool = True) -> int:
        """A case submitted by the clerk (and noted by a reviewer), waiting for a decision."""
        case_id = self.open()
        self.fire(case_id, "submit", "clerk")
        if noted:
            self.fire(case_id, "note", "reviewer2", {"text": "材料齐全"})
        return case_id

    def offered(self, case_id: int, user: str) -> dict[str, str | None]:
        """What available_transitions offers `user` on the case: trigger → blocked reason."""
        actions = available_transitions(
            self.session, self.case(case_id), self.actors[user], self.now,
            include_blocked=True, reg=self.reg,
        )  # fmt: skip
        self.session.commit()
        return {a.trigger: a.blocked_reason for a in actions}

    def case(self, case_id: int) -> Case:
        """The case as stored now."""
        self.session.expire_all()
        case = self.session.get(Case, case_id)
        assert case is not None
        self.session.commit()  # end the read, as a page would
        return case

    def events(self, case_id: int) -> list[CaseEvent]:
        """The case's events as stored, oldest first."""
        self.session.expire_all()
        rows = list(
            self.session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
            )
        )
        self.session.commit()
        return rows

    def snapshot(self, case_id: int) -> tuple[Any, ...]:
        """Everything fire() may touch, to prove a refused fire touched nothing."""
        case = self.case(case_id)
        events = [(e.seq, e.trigger, e.hash) for e in self.events(case_id)]
        deadlines = self.session.execute(
            select(Deadline.id, Deadline.closed_at).where(Deadline.case_id == case_id)
        ).all()
        self.session.commit()
        return case.state, case.version, case.assignee_id, events, tuple(deadlines)
