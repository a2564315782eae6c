"""What the supervision pages show: per township, how many cases were sampled, checked, found
wrong and are overdue; the sampled cases and the complaints in the reader's reach; the draws.
Jurisdiction is in the SQL (the spot-check or complaint case's org path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Exists, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from caseflow.db.models import Case, Deadline, Household
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.oversight.models import (
    CHANNELS,
    FINDINGS,
    REASONS,
    Complaint,
    Recovery,
    RecoveryPayment,
    SpotCheck,
)
from caseflow.oversight.models import SpotCheckDraw as SpotCheckDraw
from caseflow.oversight.recovery import counts_as_repaid
from caseflow.read.recipients import place_names
from caseflow.workflow.registry import registry

LIMIT = 300  # newest rows on a page; the report counts all


@dataclass(frozen=True)
class TownshipLine:
    code: str
    name: str
    sampled: int
    checked: int
    problems: int
    overdue: int

    @property
    def findings_rate(self) -> str:
        """Problems found among the cases checked, as a percentage ("—" when none checked)."""
        return f"{self.problems * 100 / self.checked:.1f}%" if self.checked else "—"


@dataclass(frozen=True)
class SampledLine:
    case_id: int
    case_no: str
    state_label: str
    subject_case_id: int
    subject_case_no: str
    head_name: str
    township: str
    reason: str
    finding: str
    follow_up_case_id: int | None
    overdue: bool


def _overdue(now: datetime) -> Exists:
    return exists().where(
        Deadline.case_id == Case.id,
        Deadline.closed_at.is_(None),
        Deadline.due_at < now,
    )


def township_report(
    session: Session, actor: Actor, now: datetime, draw_id: int | None = None
) -> list[TownshipLine]:
    """Sampled, checked, problems found and overdue spot checks per township in reach."""
    overdue = and_(Case.is_final.is_(False), _overdue(now))
    stmt = (
        select(
            SpotCheck.township_code,
            func.count(SpotCheck.id),
            func.count(SpotCheck.finding),
            func.sum(case((SpotCheck.finding.not_in(("correct",)), 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
        )
        .join(Case, Case.id == SpotCheck.case_id)
        .where(in_jurisdiction(Case.org_path, actor))
        .group_by(SpotCheck.township_code)
        .order_by(SpotCheck.township_code)
    )
    if draw_id is not None:
        stmt = stmt.where(SpotCheck.draw_id == draw_id)
    names = place_names(session, actor)
    return [
        TownshipLine(code, names.get(code, code), n, int(c), int(p or 0), int(o or 0))
        for code, n, c, p, o in session.execute(stmt)
    ]


def sampled_cases(session: Session, actor: Actor, now: datetime) -> list[SampledLine]:
    """The spot-check cases in reach, newest draw first."""
    subject = aliased(Case)
    rows = session.execute(
        select(Case, SpotCheck, subject.case_no, Household.head_name, _overdue(now))
        .join(SpotCheck, SpotCheck.case_id == Case.id)
        .join(subject, subject.id == SpotCheck.subject_case_id)
        .join(Household, Household.id == subject.household_id)
        .where(in_jurisdiction(Case.org_path, actor))
        .order_by(SpotCheck.draw_id.desc(), SpotCheck.township_code, Case.case_no)
        .limit(LIMIT)
    ).all()
    names = place_names(session, actor)
    wf = registry().workflow("spot_check")
    return [
        SampledLine(
            case_id=c.id,
            case_no=c.case_no,
            state_label=wf.states[c.state].label,
            subject_case_id=s.subject_case_id,
            subject_case_no=subject_no,
            head_name=head,
            township=names.get(s.township_code, s.township_code),
            reason=REASONS.get(s.reason, s.reason),
            finding=FINDINGS.get(s.finding or "", ""),
            follow_up_case_id=s.follow_up_case_id,
            overdue=bool(late) and not c.is_final,
        )
        for c, s, subject_no, head, late in rows
    ]


def draws(session: Session, actor: Actor) -> list[SpotCheckDraw]:
    """The district's draws, newest first (read by district staff only)."""
    return list(
        session.scalars(
            select(SpotCheckDraw)
            .where(in_jurisdiction(SpotCheckDraw.org_path, actor))
            .order_by(SpotCheckDraw.id.desc())
            .limit(50)
        )
    )


@dataclass(frozen=True)
class ComplaintLine:
    case_id: int
    case_no: str
    state_label: str
    received_at: datetime
    channel: str
    head_name: str
    subject_case_id: int | None
    subject_case_no: str
    content: str
    overdue: bool


def complaints(session: Session, actor: Actor, now: datetime) -> list[ComplaintLine]:
    """Complaints in reach, open ones first, newest first."""
    subject = aliased(Case)
    rows = session.execute(
        select(Case, Complaint, Household.head_name, subject.case_no, _overdue(now))
        .join(Complaint, Complaint.case_id == Case.id)
        .join(Household, Household.id == Complaint.household_id)
        .outerjoin(subject, subject.id == Complaint.subject_case_id)
        .where(in_jurisdiction(Case.org_path, actor))
        .order_by(Case.is_final, Complaint.received_at.desc())
        .limit(LIMIT)
    ).all()
    wf = registry().workflow("complaint")
    return [
        ComplaintLine(
            case_id=c.id,
            case_no=c.case_no,
            state_label=wf.states[c.state].label,
            received_at=row.received_at,
            channel=CHANNELS.get(row.channel, row.channel),
            head_name=head,
            subject_case_id=row.subject_case_id,
            subject_case_no=subject_no or "",
            content=row.content,
            overdue=bool(late) and not c.is_final,
        )
        for c, row, head, subject_no, late in rows
    ]


@dataclass(frozen=True)
class RecoveryLine:
    case_id: int
    case_no: str
    state_label: str
    source_case_id: int
    source_case_no: str
    head_name: str
    period: str
    overpaid_fen: int
    decided_fen: int | None
    repaid_fen: int

    @property
    def balance_fen(self) -> int:
        return (self.decided_fen or 0) - self.repaid_fen


def recoveries(session: Session, actor: Actor) -> list[RecoveryLine]:
    """Recovery cases in reach with what was decided, repaid and is left, open ones first."""
    source = aliased(Case)
    paid = (
        select(func.coalesce(func.sum(RecoveryPayment.amount_fen), 0))
        .where(RecoveryPayment.recovery_id == Recovery.id, counts_as_repaid())
        .scalar_subquery()
    )
    rows = session.execute(
        select(Case, Recovery, source.case_no, Household.head_name, paid)
        .join(Recovery, Recovery.case_id == Case.id)
        .join(source, source.id == Recovery.source_case_id)
        .join(Household, Household.id == Case.household_id)
        .where(in_jurisdiction(Case.org_path, actor))
        .order_by(Case.is_final, Case.id.desc())
        .limit(LIMIT)
    ).all()
    wf = registry().workflow("recovery")
    return [
        RecoveryLine(
            case_id=c.id,
            case_no=c.case_no,
            state_label=wf.states[c.state].label,
            source_case_id=r.source_case_id,
            source_case_no=source_no,
            head_name=head,
            period=f"{r.from_month} 至 {r.to_month}",
            overpaid_fen=r.overpaid_fen,
            decided_fen=r.decided_fen,
            repaid_fen=int(repaid or 0),
        )
        for c, r, source_no, head, repaid in rows
    ]
