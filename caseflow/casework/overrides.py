"""Letting an intake past the duplicate check: only for a lawful reason, granted by a township
reviewer or leader in their own session, recorded in the hash-chained admin log.

The clerk never types anyone's password. A reviewer or leader of the household's township opens
the household's 授权 page, sees what the duplicate check found, and picks one reason from
LAWFUL_REASONS — only a reason that answers every finding is offered (a running case of the same
type is never overridden: the work continues in that case). The grant is an admin event; the
clerk's next intake of that type for that household, within GRANT_VALID_DAYS, uses it once and
names it in the case's `open` event. The grantor may not be the clerk who opens the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.duplicates import CASE_TYPE_LABELS, Finding, duplicate_findings
from caseflow.casework.households import household_in_scope
from caseflow.db.models import AdminEvent, Case, CaseEvent, User
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import local_minute, require_aware

GRANT_ACTION = "duplicate_override"
GRANT_VALID_DAYS = 7  # a grant is for the application at hand, not a standing exemption
OVERRIDE_ROLES = frozenset({Role.TOWNSHIP_REVIEWER.value, Role.TOWNSHIP_LEADER.value})
MAX_NOTE = 300


@dataclass(frozen=True)
class LawfulReason:
    """A situation in which the rules allow the new case although the check found another."""

    key: str
    label: str
    basis: str
    case_types: frozenset[str]
    clears: frozenset[str]  # finding codes this reason answers


LAWFUL_REASONS: tuple[LawfulReason, ...] = (
    LawfulReason(
        "member_left_household",
        "该成员已不再与原低保家庭共同生活（分户、婚嫁、外出独立生活等），原家庭保障人数将通过复核调整",
        "民发〔2021〕57号 第七条、第三十条、第三十一条",
        frozenset({"dibao"}),
        frozenset({"member_in_other_dibao"}),
    ),
    LawfulReason(
        "religious_single_applicant",
        "脱离家庭、在宗教场所居住三年以上的生活困难宗教教职人员单独提出申请",
        "民发〔2021〕57号 第七条、第八条（三）",
        frozenset({"dibao"}),
        frozenset({"member_in_other_dibao", "household_in_support"}),
    ),
    LawfulReason(
        "single_person_to_household",
        "原为单独申请（单人保）纳入低保，现以整户提出申请（整户获批后原单人保停发，待核实）",
        "民发〔2021〕57号 第四条、第八条",
        frozenset({"dibao"}),
        frozenset({"household_in_support"}),
    ),
    LawfulReason(
        "dibao_member_to_tekun",
        "低保家庭成员符合特困人员条件，申请特困供养（认定后其本人不再享受低保）",
        "民发〔2021〕43号 第四条、第十一条；低保与特困不同时享受的条文待核实",
        frozenset({"tekun"}),
        frozenset({"dibao_tekun_exclusive"}),
    ),
    LawfulReason(
        "tekun_ending_to_dibao",
        "特困人员正在终止救助供养，符合低保条件的按规定纳入低保",
        "民发〔2021〕43号 第二十七条",
        frozenset({"dibao"}),
        frozenset({"dibao_tekun_exclusive"}),
    ),
)


def reasons_for(case_type: str, findings: list[Finding]) -> list[LawfulReason]:
    """The lawful reasons that answer every finding of this intake (none for an open case)."""
    codes = {f.code for f in findings}
    if not codes:
        return []
    return [r for r in LAWFUL_REASONS if case_type in r.case_types and codes <= r.clears]


@dataclass(frozen=True)
class Grant:
    """A reviewer's or leader's go-ahead, as the intake records it."""

    event_id: int
    reason: LawfulReason
    note: str
    granted_by_id: int | None
    granted_by: str
    at: datetime

    def as_payload(self, findings: list[Finding]) -> dict[str, Any]:
        """The `duplicate_override` entry of the case's open event."""
        return {
            "grant_id": self.event_id,
            "reason": self.reason.label,
            "basis": self.reason.basis,
            "note": self.note,
            "granted_by": self.granted_by,
            "granted_at": local_minute(self.at),
            "findings": [f.message_zh for f in findings],
        }


def grant_override(
    session: Session,
    actor: Actor,
    household_id: int,
    case_type: str,
    reason_key: str,
    note: str,
    now: datetime,
) -> AdminEvent:
    """Record a reviewer's or leader's lawful reason for the next intake of `case_type`."""
    require_aware(now, "now")
    if not OVERRIDE_ROLES & actor.roles:
        raise PermissionDenied("只有乡镇审核人员或分管领导可以授权受理")
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        findings = duplicate_findings(session, actor, household.id, case_type)
        reason = _chosen_reason(case_type, findings, reason_key, note)
        label = CASE_TYPE_LABELS.get(case_type, case_type)
        event = append_admin_event(
            session,
            actor_id=actor.user_id,
            action=GRANT_ACTION,
            subject=f"户主 {household.head_name}（家庭 {household.id}）· {label}"[:100],
            payload={
                "household_id": household.id,
                "case_type": case_type,
                "reason": reason.key,
                "reason_zh": reason.label,
                "basis": reason.basis,
                "note": note.strip(),
                "findings": [f.message_zh for f in findings],
            },
            at=now,
        )
        uow.commit()
    return event


def _chosen_reason(
    case_type: str, findings: list[Finding], reason_key: str, note: str
) -> LawfulReason:
    """The reason picked, if it is one the findings allow; else field-by-field messages."""
    errors: dict[str, str] = {}
    offered = reasons_for(case_type, findings)
    reason = next((r for r in offered if r.key == reason_key), None)
    if not findings:
        errors["case_type"] = "本户此类申请没有发现重复，无需授权"
    elif not offered:
        errors["reason"] = "发现的情形没有可以授权的法定事由（在办案件请在原案件中继续办理）"
    elif reason is None:
        errors["reason"] = "请从列出的法定情形中选择"
    if len(note.strip()) > MAX_NOTE:
        errors["note"] = f"情况说明不能超过 {MAX_NOTE} 个字"
    if errors or reason is None:
        raise PayloadInvalid(errors)
    return reason


def usable_grant(
    session: Session, household_id: int, case_type: str, findings: list[Finding], now: datetime
) -> Grant | None:
    """The newest unused grant for this household and case type, still valid, whose reason
    answers every finding of this intake."""
    since = now - timedelta(days=GRANT_VALID_DAYS)
    rows = session.execute(
        select(AdminEvent, User.display_name)
        .outerjoin(User, User.id == AdminEvent.actor_id)
        .where(AdminEvent.action == GRANT_ACTION, AdminEvent.at >= since)
        .order_by(AdminEvent.id.desc())
    ).all()
    allowed = {r.key: r for r in reasons_for(case_type, findings)}
    used = _used_grant_ids(session, household_id, case_type, since)
    for event, name in rows:
        p = event.payload or {}
        if p.get("household_id") != household_id or p.get("case_type") != case_type:
            continue
        reason = allowed.get(str(p.get("reason")))
        if reason is not None and event.id not in used:
            note = str(p.get("note", ""))
            return Grant(event.id, reason, note, event.actor_id, str(name or ""), event.at)
    return None


def _used_grant_ids(
    session: Session, household_id: int, case_type: str, since: datetime
) -> set[int]:
    opened = session.scalars(
        select(CaseEvent.payload)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            Case.household_id == household_id,
            Case.case_type == case_type,
            Case.opened_at >= since,
            CaseEvent.trigger == "open",
        )
    )
    return {
        int(p["duplicate_override"]["grant_id"])
        for p in opened
        if isinstance((p or {}).get("duplicate_override"), dict)
        and "grant_id" in p["duplicate_override"]
    }
