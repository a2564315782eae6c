"""Complaints and reports (投诉 / 举报): intake at the township's window or by the district, the
complaint case (workflows/complaint.yaml), and the guard that holds back a 低保 decision while a
complaint about the case is open and the district has not visited the home itself since it was
received (民发〔2021〕57号 第二十条: cases with a report are all visited by the district).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, CaseEvent, Household
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import CaseFlags, create_case
from caseflow.engine.guards import DISTRICT_VISIT_TRIGGER
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.timeutil import require_aware
from caseflow.oversight.models import CHANNELS, Complaint
from caseflow.workflow.registry import Registry, registry

plugin = Plugin("oversight.complaints")

WORKFLOW = "complaint"
FIELDS = ("household_id", "case_no", "channel", "complainant", "contact", "content")


@dataclass(frozen=True)
class Subject:
    household: Household
    case: Case | None


def _subject(session: Session, actor: Actor, form: dict[str, str]) -> tuple[Subject | None, str]:
    """The household (and case) the complaint is about, in the actor's reach — or why not."""
    case_no = form.get("case_no", "").strip()
    if case_no:
        case = session.scalar(
            select(Case).where(Case.case_no == case_no, in_jurisdiction(Case.org_path, actor))
        )
        if case is None or case.household_id is None:
            return None, "案件编号不存在或不在您的管辖范围内"
        household = session.get(Household, case.household_id)
        assert household is not None  # a foreign key
        return Subject(household, case), ""
    raw = form.get("household_id", "").strip()
    if not raw:
        return None, "请填写被投诉的案件编号，或从家庭页面登记"
    household_id = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    household = session.scalar(
        select(Household).where(
            Household.id == household_id, in_jurisdiction(Household.org_path, actor)
        )
    )
    if household is None:
        return None, "家庭不存在或不在您的管辖范围内"
    return Subject(household, None), ""


def receive_complaint(
    session: Session,
    actor: Actor,
    form: dict[str, str],
    now: datetime,
    *,
    reg: Registry | None = None,
) -> Case:
    """Register a complaint and open its case in one unit of work, or PayloadInvalid naming each
    bad field (nothing written)."""
    require_aware(now, "now")
    reg = reg or registry()
    errors: dict[str, str] = {}
    subject, why = _subject(session, actor, form)
    if subject is None:
        errors["case_no" if form.get("case_no", "").strip() else "household_id"] = why
    channel = form.get("channel", "")
    if channel not in CHANNELS:
        errors["channel"] = "请选择受理渠道"
    content = form.get("content", "").strip()
    if not content:
        errors["content"] = "请填写投诉举报内容"
    elif len(content) > 2000:
        errors["content"] = "投诉举报内容不能超过2000字"
    complainant = form.get("complainant", "").strip()
    contact = form.get("contact", "").strip()
    if len(complainant) > 50:
        errors["complainant"] = "投诉人姓名不能超过50字"
    if len(contact) > 50:
        errors["contact"] = "联系方式不能超过50字"
    if errors:
        raise PayloadInvalid(errors)
    assert subject is not None
    about = subject.case.case_no if subject.case is not None else subject.household.head_name
    summary = f"{CHANNELS[channel]}投诉举报（{about}）：{content}"[:300]
    payload: dict[str, object] = {
        "channel": CHANNELS[channel],
        "household_id": subject.household.id,
    }
    if subject.case is not None:
        payload.update(subject_case_id=subject.case.id, subject_case_no=subject.case.case_no)
    wf = reg.workflow(WORKFLOW)
    with UnitOfWork(session) as uow:
        case = create_case(
            session, reg, wf, subject.household.id, actor, now, CaseFlags(), summary, payload
        )
        session.add(
            Complaint(
                case_id=case.id,
                household_id=subject.household.id,
                subject_case_id=subject.case.id if subject.case is not None else None,
                channel=channel,
                complainant=complainant,
                contact=contact,
                content=content,
                received_at=now,
            )
        )
        session.flush()
        uow.commit()
    return case


@plugin.guard("complaint_visit_done")
def complaint_visit_done(ctx: GuardContext) -> str | None:
    """An open complaint about this case needs the district's own home visit after it came in."""
    row = ctx.session.execute(
        select(Case.case_no, Complaint.received_at)
        .join(Complaint, Complaint.case_id == Case.id)
        .where(Complaint.subject_case_id == ctx.case.id, Case.is_final.is_(False))
        .order_by(Complaint.received_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    visited = ctx.session.scalar(
        select(CaseEvent.id)
        .where(
            CaseEvent.case_id == ctx.case.id,
            CaseEvent.trigger == DISTRICT_VISIT_TRIGGER,
            CaseEvent.at >= row.received_at,
        )
        .limit(1)
    )
    if visited is not None:
        return None
    return f"本案有未办结的投诉举报（{row.case_no}），须先完成区级入户核查"
