"""孤儿 / 事实无人抚养儿童: the guardian's application at the window and the guards of the orphan
workflow (workflows/orphan.yaml); the allowance is caseflow.payments.orphan_allowance.

The application is refused whole — in Chinese, field by field, nothing written — when the child is
18 or over on the day, the parents' situations identify neither 孤儿 nor 事实无人抚养儿童, or a
guardian field is missing. The identification is stored in the open event's payload, so the
township, the district and the allowance all read what the window accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.households import household_in_scope
from caseflow.db.models import Case, CaseEvent, Household, Member
from caseflow.db.record import CaseView
from caseflow.engine.fire import open_case
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.idnumber import InvalidIdNumber, parse_id_number
from caseflow.kernel.timeutil import to_local
from caseflow.policy.orphans import (
    CATEGORY_ZH,
    MAJORITY_AGE,
    PARENT_STATUS_ZH,
    SETTING_ZH,
    age_on,
    identify,
)
from caseflow.workflow.loader import OPEN_TRIGGER

plugin = Plugin("casework.orphans")

GUARDIAN_RELATIONS = ("祖父母", "外祖父母", "兄姐", "其他亲属", "村（居）民委员会", "民政部门")


@dataclass(frozen=True)
class OrphanApplication:
    household_id: int
    child_member_id: int
    guardian_name: str
    guardian_relation: str
    guardian_id_number: str
    father_status: str
    mother_status: str
    setting: str  # centralised | dispersed


def _validate(session: Session, app: OrphanApplication, now: datetime) -> dict[str, Any]:
    """The open payload, or PayloadInvalid with every field's problem at once."""
    errors: dict[str, str] = {}
    child = session.get(Member, app.child_member_id)
    if child is None or child.household_id != app.household_id:
        errors["child_member_id"] = "请选择本户中申请保障的儿童"
    elif age_on(child.birth_date, to_local(now).date()) >= MAJORITY_AGE:
        errors["child_member_id"] = (
            f"{child.name}已年满{MAJORITY_AGE}周岁，不属于孤儿或事实无人抚养儿童保障对象，不能受理"
        )
    elif (running := _running_case_of(session, child)) is not None:
        errors["child_member_id"] = f"{child.name}已有在办或保障中的案件 {running}，不能重复受理"
    name = app.guardian_name.strip()
    if not name or len(name) > 50:
        errors["guardian_name"] = "请填写监护人姓名（不超过 50 个字）"
    if app.guardian_relation not in GUARDIAN_RELATIONS:
        errors["guardian_relation"] = "请选择监护人与儿童的关系"
    guardian_id = ""
    try:
        guardian_id = parse_id_number(app.guardian_id_number).value
    except InvalidIdNumber as exc:
        errors["guardian_id_number"] = f"监护人身份证号有误：{exc}"
    if app.setting not in SETTING_ZH:
        errors["setting"] = "请选择养育方式（集中养育或社会散居）"
    category = None
    if app.father_status not in PARENT_STATUS_ZH or app.mother_status not in PARENT_STATUS_ZH:
        errors["parents"] = "请选择父母双方的情形"
    else:
        found = identify(app.father_status, app.mother_status)
        category = found.category
        if category is None:
            errors["parents"] = found.reason_zh
    if errors:
        raise PayloadInvalid(errors)
    assert child is not None and category is not None
    found = identify(app.father_status, app.mother_status)
    return {
        "child_member_id": child.id,
        "guardian_name": name,
        "guardian_relation": app.guardian_relation,
        "guardian_id_number": guardian_id,
        "father_status": app.father_status,
        "mother_status": app.mother_status,
        "category": category,
        "category_zh": CATEGORY_ZH[category],
        "identification": found.reason_zh,
        "basis": found.basis,
        "setting": app.setting,
        "setting_zh": SETTING_ZH[app.setting],
    }


def _running_case_of(session: Session, child: Member) -> str | None:
    """The number of the child's orphan case still open or in care, if any (the child is
    named in the open event; a household has few such cases)."""
    running = session.execute(
        select(Case.id, Case.case_no).where(
            Case.household_id == child.household_id,
            Case.case_type == "orphan",
            Case.is_final.is_(False),
        )
    ).all()
    for case_id, case_no in running:
        if application(session, case_id).get("child_member_id") == child.id:
            return str(case_no)
    return None


def household_and_members(
    session: Session, actor: Actor, household_id: int
) -> tuple[Household, list[Member]]:
    """The household (within the actor's reach, else CaseNotFound) and its members."""
    household = household_in_scope(session, actor, household_id)
    members = session.scalars(
        select(Member).where(Member.household_id == household.id).order_by(Member.id)
    ).all()
    return household, list(members)


def open_orphan_case(session: Session, actor: Actor, app: OrphanApplication, now: datetime) -> Case:
    """The guardian's application accepted at the window (one unit: all or nothing)."""
    with UnitOfWork(session) as uow:
        household_in_scope(session, actor, app.household_id)
        payload = _validate(session, app, now)
        category = payload["category_zh"]
        case = open_case(
            session,
            "orphan",
            app.household_id,
            actor,
            now,
            summary=f"{category}基本生活保障申请（监护人{payload['guardian_name']}）",
            payload=payload,
        )
        uow.commit()
    return case


def application(session: Session, case_id: int) -> dict[str, Any]:
    """What the window accepted: the open event's payload."""
    row = session.scalar(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.trigger == OPEN_TRIGGER)
        .limit(1)
    )
    return dict(row or {})


def _child_age(session: Session, case: CaseView, now: datetime) -> int | None:
    child = session.get(Member, int(application(session, case.id).get("child_member_id", 0)))
    return None if child is None else age_on(child.birth_date, to_local(now).date())


@plugin.guard("orphan_child_is_minor")
def child_is_minor(ctx: GuardContext) -> str | None:
    age = _child_age(ctx.session, ctx.case, ctx.now)
    if age is None:
        return "案件未记录申请保障的儿童"
    if age >= MAJORITY_AGE:
        return f"儿童已年满{MAJORITY_AGE}周岁，不能批准保障"
    return None


@plugin.guard("orphan_child_is_adult")
def child_is_adult(ctx: GuardContext) -> str | None:
    age = _child_age(ctx.session, ctx.case, ctx.now)
    if age is not None and age < MAJORITY_AGE:
        return f"儿童未满{MAJORITY_AGE}周岁（现 {age} 周岁），不能以年满18周岁终止"
    return None
