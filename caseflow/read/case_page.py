"""Read-side assembly of the case page: everything a template needs, loaded within jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.assessments import case_assessments
from caseflow.casework.materials import Material, checklist
from caseflow.casework.notice import NOTICE_TRIGGER
from caseflow.casework.personal_data import may_view_full
from caseflow.clock.calendar_store import load_calendar
from caseflow.db.models import Assessment, Attachment, Case, CaseEvent, User
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.events import (
    CLAIM_TRIGGER,
    RELEASE_TRIGGER,
    SWEEP_TRIGGERS,
    event_label,
)
from caseflow.engine.fire import AvailableTransition, available_transitions
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound
from caseflow.kernel.idnumber import mask_id_number
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import local_minute, to_local
from caseflow.payments.grants import Computed, assessed_cover, compute_decision
from caseflow.policy.config import PolicyError
from caseflow.read.clock_view import DeadlineView, PauseView, case_deadlines, case_pauses_view
from caseflow.read.decisions import DECISION_KINDS
from caseflow.workflow.loader import OPEN_TRIGGER
from caseflow.workflow.model import PayloadField, WorkflowDef
from caseflow.workflow.registry import registry

MEMBERS_FIELD = "members"  # the payload type that names covered members

# Keys the intake writes into the `open` event besides the summary.
OPEN_PAYLOAD_LABELS = {
    "summary": "申请事由",
    "materials_supplied": "已收材料",
    "materials_missing": "缺少材料",
    "duplicate_override": "重复申请经授权受理",
    "staff_relative_declared": "工作人员近亲属备案",
    # 抽查, 投诉举报, 追回 (caseflow.oversight): what the case is about, by number not by id.
    "seed": "随机种子",
    "subject_case_no": "涉及案件",
    "channel": "受理渠道",
    "source_case_no": "原案件",
    "overpaid_yuan": "多发金额（元）",
    "sample_reason": "抽中原因",
    "from_spot_check_case_no": "来自抽查案件",
    "programme": "救助类别",
    # 孤儿 / 事实无人抚养儿童 (caseflow.casework.orphans): the guardian and the identification.
    "guardian_name": "监护人",
    "guardian_relation": "监护人与儿童关系",
    "guardian_id_number": "监护人身份证号",
    "category_zh": "保障类别",
    "identification": "认定情况",
    "basis": "认定依据",
    "setting_zh": "养育方式",
}
# Codes kept for the rules whose Chinese twin is shown instead (see OPEN_PAYLOAD_LABELS).
OPEN_PAYLOAD_CODES = frozenset({"father_status", "mother_status", "category", "setting"})
# ID numbers in an open payload: masked on the page like every ID number outside the desk.
OPEN_PAYLOAD_ID_NUMBERS = frozenset({"guardian_id_number"})

# Parts of a nested record shown on the timeline; ids and anything unlisted stay out of sight.
DETAIL_LABELS = {
    "reason": "法定事由",
    "basis": "依据",
    "note": "情况说明",
    "granted_by": "授权人",
    "granted_at": "授权时间",
    "findings": "检查发现",
    "supervisor": "督查人员",  # overrides recorded before the township grant replaced them
}


def load_case(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, if inside the actor's jurisdiction (in SQL), else CaseNotFound → 404."""
    case = session.scalars(
        select(Case).where(Case.id == case_id, in_jurisdiction(Case.org_path, actor))
    ).first()
    if case is None:
        raise CaseNotFound()
    return case


@dataclass(frozen=True)
class StateItem:
    name: str
    label: str
    current: bool
    visited: bool
    final: bool


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    actor: str
    role: str
    label: str
    from_label: str
    to_label: str
    details: list[tuple[str, str]]
    trigger: str = ""


@dataclass
class CasePage:
    case: Case
    wf: WorkflowDef
    states: list[StateItem]
    timeline: list[TimelineItem]
    deadlines: list[DeadlineView]
    actions: list[AvailableTransition]
    attachments: list[Attachment]
    materials: tuple[Material, ...]
    full_data_allowed: bool
    ruleset_label: str = ""
    pauses: list[PauseView] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    uploader_names: dict[int, str] = field(default_factory=dict)
    # What the rules give for an approval now (whole household, suggested class), if one is open.
    decision_preview: Computed | None = None
    # A decision was recorded: only then is there a decision notice to print.
    has_decision: bool = False
    # The members a covered-members field starts ticked with: those the rules cover (单人保:
    # the one member named by the means test), never simply everyone.
    covered_default: list[int] = field(default_factory=list)
    # The one-time notice is printed while the case waits for the materials it asked for.
    notice_printable: bool = False


def _show(value: Any, f: PayloadField | None) -> str:
    if f is not None and f.type == "fen" and isinstance(value, int):
        return format_yuan(value) + " 元"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):  # a nested record (the override): its parts by Chinese label
        shown = [(DETAIL_LABELS[k], v) for k, v in value.items() if k in DETAIL_LABELS]
        return "；".join(f"{label}：{_show(v, None)}" for label, v in shown)
    return str(value)


def _system_details(event: CaseEvent) -> list[tuple[str, str]]:
    # The sweep's payload is bookkeeping; a clerk needs which limit and when it fell due.
    payload = event.payload or {}
    out = [("时限", str(payload.get("label", "")))]
    if payload.get("due_at"):
        out.append(("到期", local_minute(datetime.fromisoformat(payload["due_at"]))))
    return out


def _details(wf: WorkflowDef, event: CaseEvent) -> list[tuple[str, str]]:
    if event.trigger in SWEEP_TRIGGERS.values():
        return _system_details(event)
    # which step was claimed; the state did not move
    if event.trigger in (CLAIM_TRIGGER, RELEASE_TRIGGER):
        return [("办理环节", _label_of_state(wf, event.to_state))]
    fields: dict[str, PayloadField] = {}
    for t in wf.transitions:
        if t.trigger == event.trigger:
            fields.update({f.name: f for f in t.payload})
    out = []
    for key, value in (event.payload or {}).items():
        if value in (None, "", [], {}) or (key.endswith("_id") and key not in fields):
            continue  # a row id is bookkeeping; the page names things by number
        if event.trigger == OPEN_TRIGGER and key in OPEN_PAYLOAD_CODES:
            continue
        if event.trigger == OPEN_TRIGGER and key in OPEN_PAYLOAD_ID_NUMBERS:
            value = mask_id_number(str(value))
        label = fields[key].label if key in fields else OPEN_PAYLOAD_LABELS.get(key, key)
        out.append((label, _show(value, fields.get(key))))
    return out


def _label_of_state(wf: WorkflowDef, name: str | None) -> str:
    if name is None:
        return ""
    return wf.states[name].label if name in wf.states else name


def build_page(session: Session, actor: Actor, case: Case, now: datetime) -> CasePage:
    """Gather the case page's data; nothing here changes the database."""
    reg = registry()
    wf = reg.workflow(case.workflow_key)
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    user_ids = {e.actor_id for e in events if e.actor_id is not None}
    attachments = session.scalars(
        select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ).all()
    user_ids |= {a.uploaded_by_id for a in attachments}
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all()
    )
    visited = {e.to_state for e in events}
    states = [
        StateItem(s.name, s.label, s.name == case.state, s.name in visited, s.final)
        for s in wf.states.values()
    ]
    timeline = [
        TimelineItem(
            at=e.at,
            actor=names.get(e.actor_id, "系统") if e.actor_id else "系统",
            role=e.actor_role,
            label=event_label(wf, e.trigger),
            from_label=_label_of_state(wf, e.from_state),
            to_label=_label_of_state(wf, e.to_state),
            details=_details(wf, e),
            trigger=e.trigger,
        )
        for e in reversed(events)
    ]
    ruleset = reg.rulesets[case.ruleset_key]
    deadlines = case_deadlines(session, case.id, ruleset, load_calendar(session), now)
    actions = available_transitions(session, case, actor, now, include_blocked=True, reg=reg)
    notice_issued = any(e.trigger == NOTICE_TRIGGER for e in events)
    if notice_issued:  # issued once (notice_not_issued_before): no second notice is offered
        actions = [a for a in actions if a.trigger != NOTICE_TRIGGER]
    waiting = {t.dest for t in wf.transitions if t.trigger == NOTICE_TRIGGER}
    cover = _cover(session, case, actions)
    return CasePage(
        case=case,
        wf=wf,
        states=states,
        timeline=timeline,
        deadlines=deadlines,
        actions=actions,
        attachments=list(attachments),
        materials=checklist(case.case_type),
        full_data_allowed=may_view_full(actor),
        ruleset_label=ruleset.label,
        pauses=case_pauses_view(session, case.id),
        assessments=case_assessments(session, case.id),
        uploader_names=names,
        decision_preview=_preview(session, case, actions, cover, now),
        has_decision=any(e.trigger in DECISION_KINDS for e in events),
        covered_default=cover,
        notice_printable=notice_issued and case.state in waiting and not case.is_final,
    )


def _cover(session: Session, case: Case, actions: list[AvailableTransition]) -> list[int]:
    """The rules' covered members when an open action asks who is covered, else none."""
    asks = any(
        f.type == MEMBERS_FIELD
        for a in actions
        if a.blocked_reason is None
        for f in a.transition.payload
    )
    return assessed_cover(session, case) if asks and case.household_id else []


def _preview(
    session: Session,
    case: Case,
    actions: list[AvailableTransition],
    cover: list[int],
    now: datetime,
) -> Computed | None:
    """The computed amount shown beside the approval form (the approver confirms, not types)."""
    if not any(a.trigger == "approve" and a.blocked_reason is None for a in actions):
        return None
    if case.case_type not in ("dibao", "tekun"):
        return None
    try:
        return compute_decision(session, case, {"covered_members": cover}, to_local(now).date())
    except PolicyError:
        return None
