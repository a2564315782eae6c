"""The duplicate check at intake: every reason a new case would duplicate another.

A household (or a member of it) already in a running case of the same type, already receiving
the benefit (在保: an approved 低保/特困 case that no completed removal has ended), or receiving
the programme that excludes this one (低保 and 特困 exclude each other) is held at the desk. The
checks are pure queries; `intake.start_case` enforces them, and only a lawful reason granted by a
township reviewer or leader lets a case be opened past them (caseflow.casework.overrides).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from caseflow.casework.households import household_in_scope
from caseflow.db.models import Case, Member
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError

# Final states in which a household still receives the benefit ("在保" / "供养中").
IN_SUPPORT_STATES: dict[str, frozenset[str]] = {
    "dibao": frozenset({"approved"}),
    "tekun": frozenset({"approved"}),
}
# 低保 and 特困 exclude each other; temporary assistance stacks with either.
EXCLUSIVE: dict[str, str] = {"dibao": "tekun", "tekun": "dibao"}
# Several referrals to different departments may well run at once for one household.
NO_SAME_TYPE_CHECK = frozenset({"referral"})
CASE_TYPE_LABELS = {
    "dibao": "低保",
    "tekun": "特困供养",
    "temporary": "临时救助",
    "removal": "停保清退",
    "review": "定期复核",
    "referral": "转介",
    "orphan": "孤儿保障",
}


@dataclass(frozen=True)
class Finding:
    # same_type_open | household_in_support | member_in_other_<type> | dibao_tekun_exclusive
    code: str
    message_zh: str


class DuplicateFound(CaseflowError):
    """Intake refused: duplicate checks failed and no lawful reason was granted."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(
            "重复申请检查未通过：" + "；".join(f.message_zh for f in findings),
            f"duplicate findings: {[f.code for f in findings]}",
        )


def _removed_since(approved: Any) -> Any:
    """SQL: a completed removal (停保) of the approved case's household opened after it."""
    removal = aliased(Case)
    return exists().where(
        removal.household_id == approved.household_id,
        removal.case_type == "removal",
        removal.state == "removed",
        removal.opened_at >= approved.opened_at,
    )


def in_support(case_type: str, case: Any = Case) -> Any:
    """SQL condition: `case` is an approved case of this programme still being paid."""
    return and_(
        case.case_type == case_type,
        case.state.in_(IN_SUPPORT_STATES.get(case_type, ())),
        ~_removed_since(case),
    )


def _active(case_type: str) -> Any:
    """SQL condition: a case of this type still running, or in support."""
    running = and_(Case.case_type == case_type, Case.is_final.is_(False))
    return or_(running, in_support(case_type)) if case_type in IN_SUPPORT_STATES else running


def _where(actor: Actor, case: Case) -> str:
    # A case outside the actor's jurisdiction is named only vaguely: no numbers leak.
    return f"案件 {case.case_no}" if actor.may_see(case.org_path) else "其他乡镇的案件"


def _cases_of_people(
    session: Session, id_numbers: Iterable[str], case_type: str, exclude_household: int | None
) -> list[tuple[Case, str]]:
    """Each active case of `case_type` holding any of these people, with their names (、)."""
    other = aliased(Member)
    stmt = (
        select(Case, other.name)
        .join(other, other.household_id == Case.household_id)
        .where(other.id_number.in_(list(id_numbers)), _active(case_type))
        .order_by(Case.id, other.id)
    )
    if exclude_household is not None:
        stmt = stmt.where(Case.household_id != exclude_household)
    names: dict[int, tuple[Case, list[str]]] = {}
    for case, name in session.execute(stmt):
        names.setdefault(case.id, (case, []))[1].append(name)
    return [(case, "、".join(people)) for case, people in names.values()]


def duplicate_findings(
    session: Session, actor: Actor, household_id: int, case_type: str
) -> list[Finding]:
    """Every reason the new case would duplicate another (empty when intake may go ahead)."""
    household = household_in_scope(session, actor, household_id)
    label = CASE_TYPE_LABELS.get(case_type, case_type)
    findings: list[Finding] = []
    if case_type not in NO_SAME_TYPE_CHECK:
        open_same = session.scalars(
            select(Case).where(
                Case.household_id == household.id,
                Case.case_type == case_type,
                Case.is_final.is_(False),
            )
        ).first()
        if open_same is not None:
            findings.append(
                Finding("same_type_open", f"该家庭已有在办的{label}案件（{open_same.case_no}）")
            )
    if case_type in IN_SUPPORT_STATES:
        paid = session.scalars(
            select(Case).where(Case.household_id == household.id, in_support(case_type))
        ).first()
        if paid is not None:
            findings.append(
                Finding(
                    "household_in_support",
                    f"该家庭正在享受{label}（{paid.case_no}）；保障人数、类别或金额的变化"
                    "应通过定期复核办理，不能重复申请",
                )
            )
    ids = [m.id_number for m in household.members]
    if case_type in IN_SUPPORT_STATES and ids:
        for case, name in _cases_of_people(session, ids, case_type, household.id):
            findings.append(
                Finding(
                    f"member_in_other_{case_type}",
                    f"成员{name}已在其他家庭的在保或在办{label}中（{_where(actor, case)}）",
                )
            )
    if case_type in EXCLUSIVE and ids:
        other_type = EXCLUSIVE[case_type]
        for case, name in _cases_of_people(session, ids, other_type, None):
            findings.append(
                Finding(
                    "dibao_tekun_exclusive",
                    f"成员{name}已在{CASE_TYPE_LABELS[other_type]}中（{_where(actor, case)}），"
                    "低保与特困供养不能同时享受",
                )
            )
    return findings
