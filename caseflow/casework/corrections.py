"""Household corrections at the desk: edit a household, add, edit or remove a member.

Every correction carries a reason from a list (and a note when the reason is 其他), is checked
field by field (nothing is written on any error), and is recorded as one numbered version of the
household in `household_changes` — who, when, why, the values before and after — with an entry
in the hash-chained admin log naming the fields changed. A member who leaves is never deleted:
`left_on` and `left_reason` keep them in the household's history.

Whether a change opens a review of a household in payment is not decided here: casework knows
nothing of payments or reviews. The change is told to the listeners that the composition root
installed (`listen`), inside the same unit of work, and the one that opens a review returns its
case id, which the version records. Pure core: no Flask.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.casework.change_models import CHANGE_KINDS, HouseholdChange
from caseflow.casework.households import (
    HEAD,
    HouseholdInput,
    MemberInput,
    check_contact,
    check_member,
    household_in_scope,
    parse_row_id,
)
from caseflow.db.models import Household, Member, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local

CORRECTION_ROLES = frozenset({Role.CLERK})
AUDIT_ACTION = "household_change"
OTHER = "other"
# Why a household or a member changes, per kind of change (the stored code, its label).
REASONS: dict[str, dict[str, str]] = {
    "household_edit": {
        "info_changed": "情况变化（地址、电话、银行卡等）",
        "typo": "登记错误更正",
        "moved_in_township": "乡镇内搬迁（改村）",
        OTHER: "其他（须说明）",
    },
    "member_add": {
        "birth": "出生",
        "marriage_in": "结婚迁入",
        "moved_in": "迁入共同生活",
        "omitted": "登记时漏登",
        OTHER: "其他（须说明）",
    },
    "member_edit": {
        "circumstances": "情况变化（劳动能力、健康、残疾、在校）",
        "typo": "登记错误更正",
        OTHER: "其他（须说明）",
    },
    "member_remove": {
        "death": "死亡",
        "marriage_out": "结婚迁出",
        "moved_out": "迁出（不再共同生活）",
        "mistake": "误登记",
        OTHER: "其他（须说明）",
    },
    # Written by caseflow.casework.transfers on the district's approval, never typed.
    "transfer_out": {"transfer": "经区民政局批准迁往其他乡镇"},
    "transfer_in": {"transfer": "经区民政局批准从其他乡镇迁入"},
}
HOUSEHOLD_FIELDS = {
    "village": "所属村（居）",
    "address": "家庭住址",
    "phone": "联系电话",
    "bank_name": "开户银行",
    "bank_account": "银行账号",
}
MEMBER_FIELDS = {
    "name": "姓名",
    "id_number": "身份证号",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "labour_capacity": "劳动能力",
    "health": "健康状况",
    "disability_type": "残疾类别",
    "disability_grade": "残疾等级",
    "is_student": "在校生",
    "left_on": "离开日期",
    "left_reason": "离开原因",
}
_EDITABLE: tuple[str, ...] = ("name", "id_number", "relation", "labour_capacity", "health")
_EDITABLE += ("disability_type", "disability_grade", "is_student")


@dataclass(frozen=True)
class Why:
    """The reason for a correction as chosen (a code of REASONS[kind]) and the note typed."""

    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class Draft:
    """A version about to be recorded: what kind, why, the values before and after."""

    kind: str
    reason: str
    note: str
    before: dict[str, Any]
    after: dict[str, Any]
    member: Member | None = None


# A listener is told of every recorded change inside the change's unit of work; it may open
# further work (a review) and returns the id of the case that now covers the change, or None.
ChangeListener = Callable[[Session, HouseholdChange, Actor, datetime], "int | None"]
_LISTENERS: list[ChangeListener] = []


def listen(fn: ChangeListener) -> None:
    """Install a listener (once; the composition root's plugins do this at boot)."""
    if fn not in _LISTENERS:
        _LISTENERS.append(fn)


def _require_role(actor: Actor) -> None:
    if not actor.roles & CORRECTION_ROLES:
        raise PermissionDenied("只有一门受理窗口可以更正家庭信息")


def _check_why(kind: str, why: Why, errors: dict[str, str]) -> tuple[str, str]:
    note = "".join(ch for ch in why.note if ch.isprintable()).strip()
    if why.reason not in REASONS[kind]:
        errors["reason"] = "请选择变更原因"
    elif why.reason == OTHER and not note:
        errors["note"] = "原因为“其他”时请填写说明"
    if len(note) > 300:
        errors["note"] = "说明不能超过 300 个字"
    return why.reason, note[:300]


def _household_values(household: Household, village: OrgUnit | None = None) -> dict[str, Any]:
    unit = village or household.org_unit
    return {
        "village": unit.name,
        "org_unit_id": unit.id,
        "address": household.address,
        "phone": household.phone,
        "bank_name": household.bank_name,
        "bank_account": household.bank_account,
    }


def member_values(member: Member) -> dict[str, Any]:
    """A member as a version records it (JSON-ready)."""
    return {
        "name": member.name,
        "id_number": member.id_number,
        "relation": member.relation,
        "sex": member.sex,
        "birth_date": member.birth_date.isoformat(),
        "labour_capacity": member.labour_capacity,
        "health": member.health,
        "disability_type": member.disability_type,
        "disability_grade": member.disability_grade,
        "is_student": bool(member.is_student),
        "left_on": member.left_on.isoformat() if member.left_on else None,
        "left_reason": member.left_reason,
    }


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields whose values differ (the labelled ones, in their display order)."""
    labelled = {**HOUSEHOLD_FIELDS, **MEMBER_FIELDS}
    keys = [k for k in labelled if k in before or k in after]
    return [k for k in keys if before.get(k) != after.get(k)]


def record_change(
    session: Session, household: Household, draft: Draft, actor: Actor, now: datetime
) -> HouseholdChange:
    """Write the household's next version and its admin-log entry, then tell the listeners.
    Runs inside the caller's unit of work; a concurrent correction of the same household takes
    the same number and loses at the unique key (ConcurrencyConflict)."""
    kind, before, after = draft.kind, draft.before, draft.after
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {kind}")
    last = session.scalar(
        select(func.max(HouseholdChange.seq)).where(HouseholdChange.household_id == household.id)
    )
    change = HouseholdChange(
        household_id=household.id,
        seq=int(last or 0) + 1,
        kind=kind,
        member_id=draft.member.id if draft.member is not None else None,
        reason=draft.reason,
        note=draft.note,
        before=before,
        after=after,
        actor_id=actor.user_id,
        actor_role=_acting_role(actor),
        at=now,
        org_path=household.org_path,
    )
    session.add(change)
    session.flush()
    for listener in _LISTENERS:
        opened = listener(session, change, actor, now)
        if opened is not None:
            change.review_case_id = opened
    digest = hashlib.sha256(
        json.dumps([before, after], sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    append_admin_event(
        session,
        actor_id=actor.user_id,
        action=AUDIT_ACTION,
        subject=f"household:{household.id}",
        # Field names, never values: the admin log is read more widely than the household.
        payload={
            "change_id": change.id,
            "seq": change.seq,
            "kind": kind,
            "member_id": change.member_id,
            "reason": draft.reason,
            "fields": changed_fields(before, after),
            "review_case_id": change.review_case_id,
            "values_sha256": digest,
        },
        at=now,
    )
    return change


def _acting_role(actor: Actor) -> str:
    for role in (Role.CLERK, Role.DISTRICT_APPROVER, Role.ADMIN):
        if role in actor.roles:
            return str(role)
    return sorted(actor.roles)[0] if actor.roles else ""


# --- the household ---------------------------------------------------------------------------


def township_path(org_path: str) -> str:
    """The township part of an org path ("/640502/640502100/…/" → "/640502/640502100/")."""
    parts = [p for p in org_path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/"


def _check_village(
    session: Session, actor: Actor, household: Household, raw: str, errors: dict[str, str]
) -> OrgUnit | None:
    unit_id = parse_row_id(raw)
    unit = None
    if unit_id is not None:
        unit = session.scalars(
            select(OrgUnit).where(
                OrgUnit.id == unit_id,
                in_jurisdiction(OrgUnit.path, actor),
                in_jurisdiction(OrgUnit.path, township_path(household.org_path)),
                OrgUnit.level.in_(("village", "township")),
            )
        ).first()
    if unit is None:
        errors["org_unit_id"] = "请选择本乡镇的村（居）；迁往其他乡镇须由区民政局办理迁移"
    return unit


def edit_household(
    session: Session,
    actor: Actor,
    household_id: int,
    form: HouseholdInput,
    why: Why,
    now: datetime,
) -> HouseholdChange:
    """Change village (within the township), address, phone or bank of a household."""
    _require_role(actor)
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        errors: dict[str, str] = {}
        village = _check_village(session, actor, household, form.org_unit_id, errors)
        contact = check_contact(form, errors)
        reason, note = _check_why("household_edit", why, errors)
        if errors or village is None:
            raise PayloadInvalid(errors)
        before = _household_values(household)
        after = {**_household_values(household, village), **contact}
        if not changed_fields(before, after):
            raise PayloadInvalid({"form": "没有修改任何内容"})
        household.org_unit_id = village.id
        household.org_path = village.path
        for key, value in contact.items():
            setattr(household, key, value)
        draft = Draft("household_edit", reason, note, before, after)
        change = record_change(session, household, draft, actor, now)
        uow.commit()
    return change


# --- members ---------------------------------------------------------------------------------


def _member_in(session: Session, household: Household, member_id: int) -> Member:
    member = session.scalars(
        select(Member).where(
            Member.id == member_id,
            Member.household_id == household.id,
            Member.left_on.is_(None),
        )
    ).first()
    if member is None:
        raise CaseNotFound("该成员不存在或已不在本户")
    return member


def current_member(household: Household, member_id: int) -> Member:
    """A current member of the household (already in scope), else CaseNotFound."""
    member = next((m for m in household.members if m.id == member_id), None)
    if member is None:
        raise CaseNotFound("该成员不存在或已不在本户")
    return member


def add_member(
    session: Session,
    actor: Actor,
    household_id: int,
    row: MemberInput,
    why: Why,
    now: datetime,
) -> HouseholdChange:
    """A new member (birth, marriage, moving in); never a second 户主."""
    _require_role(actor)
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        errors: dict[str, str] = {}
        member = check_member(session, actor, row, 0, now, set(), errors)
        if row.relation == HEAD:
            errors["members-0-relation"] = "本户已有户主；户主变更请在户主减少时指定新户主"
        reason, note = _check_why("member_add", why, errors)
        if errors or member is None:
            raise PayloadInvalid(errors)
        member.household_id = household.id
        session.add(member)
        session.flush()
        draft = Draft("member_add", reason, note, {}, member_values(member), member)
        change = record_change(session, household, draft, actor, now)
        uow.commit()
    return change


def edit_member(
    session: Session,
    actor: Actor,
    household_id: int,
    member_id: int,
    row: MemberInput,
    why: Why,
    now: datetime,
) -> HouseholdChange:
    """Correct a current member's details; the head stays the head (and only the head)."""
    _require_role(actor)
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        member = _member_in(session, household, member_id)
        errors: dict[str, str] = {}
        checked = check_member(session, actor, row, 0, now, set(), errors, self_id=member.id)
        if (row.relation == HEAD) != (member.relation == HEAD):
            errors["members-0-relation"] = "户主不能在此变更；户主减少时可指定新户主"
        reason, note = _check_why("member_edit", why, errors)
        if errors or checked is None:
            raise PayloadInvalid(errors)
        before = member_values(member)
        for key in (*_EDITABLE, "sex", "birth_date"):
            setattr(member, key, getattr(checked, key))
        after = member_values(member)
        if not changed_fields(before, after):
            raise PayloadInvalid({"form": "没有修改任何内容"})
        if member.relation == HEAD:
            household.head_name = member.name
        draft = Draft("member_edit", reason, note, before, after, member)
        change = record_change(session, household, draft, actor, now)
        uow.commit()
    return change


def _check_left_on(text: str, member: Member, now: datetime, errors: dict[str, str]) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        errors["left_on"] = "请填写日期（如 2026-03-02）"
        return to_local(now).date()
    if day > to_local(now).date():
        errors["left_on"] = "日期不能晚于今天"
    elif day < member.birth_date:
        errors["left_on"] = "日期不能早于该成员的出生日期"
    return day


def remove_member(
    session: Session,
    actor: Actor,
    household_id: int,
    member_id: int,
    left_on: str,
    why: Why,
    now: datetime,
    *,
    new_head_id: str = "",
) -> HouseholdChange:
    """A member leaves (death, marriage, moving out): kept with the day and the reason. When
    the head leaves, another current member is named the head in the same version."""
    _require_role(actor)
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        member = _member_in(session, household, member_id)
        errors: dict[str, str] = {}
        day = _check_left_on(left_on, member, now, errors)
        reason, note = _check_why("member_remove", why, errors)
        others = [m for m in household.members if m.id != member.id]
        new_head = None
        if not others:
            errors["member"] = "家庭须至少保留一名成员；全户死亡或迁出的，请办理停保"
        elif member.relation == HEAD:
            wanted = parse_row_id(new_head_id)
            new_head = next((m for m in others if m.id == wanted), None)
            if new_head is None:
                errors["new_head_id"] = "户主减少时须指定新户主"
        if errors:
            raise PayloadInvalid(errors)
        before = member_values(member)
        member.left_on = day
        member.left_reason = REASONS["member_remove"][reason][:20]
        after = member_values(member)
        if new_head is not None:
            before["new_head"] = None
            after["new_head"] = {"member_id": new_head.id, "name": new_head.name}
            new_head.relation = HEAD
            household.head_name = new_head.name
        session.flush()
        session.expire(household, ["members"])  # the member left: no longer a current one
        draft = Draft("member_remove", reason, note, before, after, member)
        change = record_change(session, household, draft, actor, now)
        uow.commit()
    return change


# --- reading the history ---------------------------------------------------------------------


def reason_label(kind: str, reason: str) -> str:
    """The Chinese label of a stored reason code (the code itself if unknown)."""
    return REASONS.get(kind, {}).get(reason, reason)


def household_history(session: Session, actor: Actor, household_id: int) -> list[HouseholdChange]:
    """The household's versions, newest first (jurisdiction checked in SQL)."""
    household = household_in_scope(session, actor, household_id)
    return list(
        session.scalars(
            select(HouseholdChange)
            .join(Household, Household.id == HouseholdChange.household_id)
            .where(
                HouseholdChange.household_id == household.id,
                # The household's place now: its whole history moves with it.
                in_jurisdiction(Household.org_path, actor),
            )
            .order_by(HouseholdChange.seq.desc())
        )
    )
