"""问责 report: for a period, what is attributable to each township and each staff member —
counts, not judgements.

- Deadlines missed (逾期) and escalated to the district (升级督办): deadlines due in the period
  whose rung reached overdue / district. The township is the case's; the staff member is the one
  who finally moved the case out of the late state (still open: no one yet, counted as 未办结).
- Spot-check problems (抽查发现问题) recorded in the period, and complaints found 属实 / 部分属实
  in the period: the township of the case; the staff are those who submitted the investigation
  of the case checked or complained about and who approved it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.clock.deadlines import LEVEL_DISTRICT, LEVEL_OVERDUE
from caseflow.db.models import Case, CaseEvent, Deadline, User
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.timeutil import LOCAL_TZ
from caseflow.oversight.models import Complaint, SpotCheck
from caseflow.read.recipients import place_names

KINDS = {
    "overdue": "逾期",
    "escalated": "升级至区级督办",
    "spot_problem": "抽查发现问题",
    "complaint_upheld": "投诉举报属实",
}
# The steps whose actors answer for a case's outcome: who investigated, who decided.
RESPONSIBLE_TRIGGERS = ("submit_investigation", "approve", "confirm_deviation")
UPHELD = ("属实", "部分属实")


@dataclass
class Accountability:
    townships: dict[str, Counter[str]] = field(default_factory=dict)
    staff: dict[str, Counter[str]] = field(default_factory=dict)  # display name → counts

    def add(self, township: str, staff: list[str], kind: str, nobody: str = "（未办结）") -> None:
        self.townships.setdefault(township, Counter())[kind] += 1
        for name in staff or [nobody]:
            self.staff.setdefault(name, Counter())[kind] += 1


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(), LOCAL_TZ)
    return start, datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ)


def _township(path: str, names: dict[str, str]) -> str:
    parts = path.strip("/").split("/")
    code = parts[1] if len(parts) > 1 else parts[0]
    return names.get(code, code)


def _responsible(session: Session, case_ids: set[int]) -> dict[int, list[str]]:
    """Per case, the display names of who investigated and who decided it."""
    found: dict[int, list[str]] = {}
    if not case_ids:
        return found
    rows = session.execute(
        select(CaseEvent.case_id, User.display_name)
        .join(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.trigger.in_(RESPONSIBLE_TRIGGERS))
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    )
    for case_id, name in rows:
        if name not in found.setdefault(case_id, []):
            found[case_id].append(name)
    return found


def _deadlines(session: Session, actor: Actor, start: datetime, end: datetime) -> list[Deadline]:
    return list(
        session.scalars(
            select(Deadline).where(
                in_jurisdiction(Deadline.org_path, actor),
                Deadline.level >= LEVEL_OVERDUE,
                Deadline.due_at >= start,
                Deadline.due_at < end,
                Deadline.state.is_not(None),
            )
        )
    )


def _who_left_late(session: Session, rows: list[Deadline]) -> dict[int, list[str]]:
    """Per deadline id: who moved its case out of the late state after it fell due."""
    if not rows:
        return {}
    events = session.execute(
        select(CaseEvent.case_id, CaseEvent.from_state, CaseEvent.at, User.display_name)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(
            CaseEvent.case_id.in_({d.case_id for d in rows}),
            CaseEvent.from_state != CaseEvent.to_state,
        )
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    ).all()
    found: dict[int, list[str]] = {}
    for d in rows:
        assert d.due_at is not None
        mover = next(
            (
                name or "系统"
                for case_id, state, at, name in events
                if case_id == d.case_id and state == d.state and at >= d.due_at
            ),
            None,
        )
        found[d.id] = [mover] if mover else []
    return found


def accountability(session: Session, actor: Actor, first: date, last: date) -> Accountability:
    """The period's counts per township and per staff member, in the actor's reach."""
    start, end = _bounds(first, last)
    names = place_names(session, actor)
    report = Accountability()
    late = _deadlines(session, actor, start, end)
    movers = _who_left_late(session, late)
    for d in late:
        report.add(_township(d.org_path, names), movers[d.id], "overdue")
        if d.level >= LEVEL_DISTRICT:
            report.add(_township(d.org_path, names), movers[d.id], "escalated")
    problems = session.execute(
        select(SpotCheck.subject_case_id, Case.org_path)
        .join(Case, Case.id == SpotCheck.case_id)
        .join(CaseEvent, CaseEvent.case_id == SpotCheck.case_id)
        .where(
            in_jurisdiction(Case.org_path, actor),
            CaseEvent.trigger == "record_problem",
            CaseEvent.at >= start,
            CaseEvent.at < end,
        )
    ).all()
    results = session.execute(
        select(Complaint.subject_case_id, Case.org_path, CaseEvent.payload)
        .join(Case, Case.id == Complaint.case_id)
        .join(CaseEvent, CaseEvent.case_id == Complaint.case_id)
        .where(
            in_jurisdiction(Case.org_path, actor),
            CaseEvent.trigger == "record_complaint_result",
            CaseEvent.at >= start,
            CaseEvent.at < end,
        )
    ).all()
    upheld = [(sid, path) for sid, path, p in results if p.get("result") in UPHELD]
    staff = _responsible(session, {sid for sid, _ in [*problems, *upheld] if sid is not None})
    for subject_id, path in problems:
        report.add(_township(path, names), staff.get(subject_id, []), "spot_problem")
    for subject_id, path in upheld:
        who = staff.get(subject_id, []) if subject_id is not None else []
        report.add(_township(path, names), who, "complaint_upheld", "（未涉及具体案件）")
    return report
