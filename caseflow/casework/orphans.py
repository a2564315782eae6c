"""孤儿 / 事实无人抚养儿童: the guardian's application at the window and the guards of the orphan
workflow (workflows/orphan.yaml); the allowance is caseflow.payments.orphan_allowance.

The application is refused whole — in Chinese, field by field, nothing written — when the child is
18 or over on the day, the parents' situations identify neither 孤儿 nor 事实无人抚养儿童, or a
guardian field is missing. The identification is stored in the open event's payload, so the
township, the district and the allowance all read what the window accepted.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from caseflow.casework.households import household_in_scope
from caseflow.db.models import Case, CaseEvent, Household, Member
from caseflow.db.record import CaseView
from caseflow.engine.fire import fire, open_case
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.errors import ConcurrencyConflict, PayloadInvalid, TransitionNotAllowed
from caseflow.kernel.idnumber import InvalidIdNumber, parse_id_number
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.policy.orphans import (
    CATEGORY_ZH,
    MAJORITY_AGE,
    PARENT_STATUS_ZH,
    SETTING_ZH,
    age_on,
    identify,
)
from caseflow.workflow.loader import OPEN_TRIGGER
from caseflow.workflow.registry import Registry

log = logging.getLogger(__name__)
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


# --------------------------------------------------------------------------- majority (timer)


def majority_cutoff(day: date) -> date:
    """The latest birth date of a child who is 18 on `day` (born on or before it: 18 or older).
    A child born on 29 February turns 18 on 1 March of a common year (caseflow.policy.orphans
    .age_on), so on 28 February the cutoff is the 28th and the child is not yet included."""
    year = day.year - MAJORITY_AGE
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def majority_due_ids(session: Session, now: datetime) -> list[int]:
    """Orphan cases in care (approved) whose child is 18 or older on `now`'s local day — one
    query over every case of the installation: the child is read from the open event's payload,
    joined to the member's birth date."""
    child_id = CaseEvent.payload["child_member_id"].as_integer()
    return list(
        session.scalars(
            select(Case.id)
            .join(
                CaseEvent,
                and_(CaseEvent.case_id == Case.id, CaseEvent.trigger == OPEN_TRIGGER),
            )
            .join(Member, Member.id == child_id)
            .where(
                Case.case_type == "orphan",
                Case.state == "approved",
                Member.birth_date <= majority_cutoff(to_local(now).date()),
            )
            .order_by(Case.id)
        )
    )


@dataclass
class MajorityReport:
    """What one pass did: the cases ended, skipped (moved on meanwhile) or failed."""

    ended: list[int] = field(default_factory=list)
    skipped: int = 0
    failed: list[int] = field(default_factory=list)


def end_majorities(
    factory: sessionmaker[Session], now: datetime, *, reg: Registry | None = None
) -> MajorityReport:
    """The timer's step: fire `end_majority` as the system for every child in care who has
    turned 18 (民发〔2019〕62号 一、保障对象: 未满18周岁). Idempotent: an ended case is no longer
    `approved`, so a second pass finds nothing; a case another pass or a person moved on first
    is skipped. Each case is its own unit of work (fire's); one failure never stops the rest."""
    require_aware(now, "now")
    report = MajorityReport()
    with factory() as session:
        ids = majority_due_ids(session, now)
        for case_id in ids:
            try:
                fire(session, case_id, "end_majority", SYSTEM_ACTOR, now, reg=reg)
            except (ConcurrencyConflict, TransitionNotAllowed) as exc:
                log.info("majority sweep: case %s not ended: %s", case_id, exc)
                report.skipped += 1
                continue
            except Exception:  # fire's unit has rolled back; the next case starts afresh
                report.failed.append(case_id)
                log.exception("majority sweep: case %s failed; skipped", case_id)
                continue
            report.ended.append(case_id)
    return report


def majority_day(birth: date) -> date:
    """The day the child turns 18: the birthday 18 years on; for one born on 29 February, 1 March
    of a common year (as caseflow.policy.orphans.age_on counts full years)."""
    year = birth.year + MAJORITY_AGE
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def majority_month(session: Session, case_id: int) -> str | None:
    """The month of the child's 18th birthday (YYYY-MM), or None when no child is on record."""
    child = session.get(Member, int(application(session, case_id).get("child_member_id", 0)))
    if child is None:
        return None
    day = majority_day(child.birth_date)
    return f"{day.year:04d}-{day.month:02d}"
