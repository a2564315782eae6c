"""The 入院 case: proposing a 特困 person for centralised care, and the guards and effects of
its workflow (workflows/admission.yaml) — the bed confirmed, the admission approved, moving out
and death. Every state change goes through engine.fire; the entitlement history follows.

Money (民发〔2021〕43号 第二十条: the care tier follows the self-care assessment; 国发〔2016〕14号
on paying 集中供养 support to the 供养服务机构: 待核实): approving the admission writes a new
version of the person's 特困 entitlement from the month after — basic living plus the care
allowance of the assessed level, setting 集中供养, naming the institution — so the roll pays it
to the institution's account and no longer to the household. Moving out writes a version back
to 分散供养; a death stops the support from the month after it (43号 第二十四条（一）、第二十六条).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, Member, User, UserRole
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import CaseFlags, create_case, fire
from caseflow.engine.plugins import EffectContext, FireResult, GuardContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.institutions import beds
from caseflow.institutions.models import CARE_LEVEL_ZH, GROUNDS, Admission, Institution
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.errors import CaseflowError, CaseNotFound, PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.payments import entitlements
from caseflow.payments.grants import policy_for, programme_cases_in_payment
from caseflow.payments.models import PLACEMENT, STOP, Entitlement
from caseflow.payments.months import add_months
from caseflow.policy.tekun import tekun_amount_for_level
from caseflow.workflow.registry import Registry, registry

# Guards and effects of the admission workflow, installed by caseflow.bootstrap.
plugin = Plugin("institutions.admission")

log = logging.getLogger(__name__)

WORKFLOW = "admission"
AWAIT_INSTITUTION = "await_institution"  # the system moves a proposal to the institution's queue
BACK_TO_TOWNSHIP = "back_to_township"  # and back, when the institution has no account any more


@dataclass(frozen=True)
class Candidate:
    """A 特困 person in payment, with the case and entitlement that pay them."""

    member: Member
    household: Household
    tekun_case: Case
    entitlement: Entitlement

    @property
    def care_level(self) -> str:
        return self.entitlement.care_level or "self_care"


def _member_in_reach(session: Session, actor: Actor, member_id: int) -> Member | None:
    if not 0 < member_id < 2**31:
        return None
    return session.scalar(
        select(Member)
        .join(Household, Household.id == Member.household_id)
        .where(
            Member.id == member_id,
            Member.left_on.is_(None),
            in_jurisdiction(Household.org_path, actor),
        )
    )


def candidate(session: Session, member: Member) -> Candidate | None:
    """The member as a 特困 person in payment (their approved 特困 case covers them)."""
    for case in programme_cases_in_payment(session, member.household_id):
        if case.case_type != "tekun":
            continue
        current = entitlements.latest(session, case.id)
        if current is not None and member.id in current.covered_member_ids:
            return Candidate(member, member.household, case, current)
    return None


def open_admission_of(session: Session, member_id: int) -> Case | None:
    """The member's admission case that is still open, if any."""
    return session.scalar(
        select(Case)
        .join(Admission, Admission.case_id == Case.id)
        .where(Admission.member_id == member_id, Case.is_final.is_(False))
    )


def _checked(
    session: Session, actor: Actor, member_id: int, institution_id: int, ground: str
) -> tuple[Candidate, Institution]:
    errors: dict[str, str] = {}
    member = _member_in_reach(session, actor, member_id)
    found = candidate(session, member) if member is not None else None
    if member is None:
        errors["member_id"] = "人员不存在或不在您的管辖范围内"
    elif found is None:
        errors["member_id"] = f"{member.name}不是正在供养的特困人员，不能申请集中供养"
    elif open_admission_of(session, member.id) is not None:
        errors["member_id"] = f"{member.name}已有办理中或正在集中供养的入院案件"
    inst = session.get(Institution, institution_id) if 0 < institution_id < 2**31 else None
    if inst is None or not inst.active:
        errors["institution_id"] = "请选择一所在用的供养机构"
    if ground not in GROUNDS:
        errors["ground"] = "请选择入院理由"
    elif found is not None and ground == "unable_alone" and found.care_level == "self_care":
        errors["ground"] = (
            "自理能力评估为全自理，不属于生活不能自理；如本人自愿，请选择「本人自愿选择集中供养」"
        )
    if not errors and inst is not None and found is not None:
        beds.lock_institution(session, inst)
        full = beds.room_for(session, inst, found.care_level)
        if full:
            errors["institution_id"] = full
    if errors:
        raise PayloadInvalid(errors)
    assert found is not None and inst is not None
    return found, inst


def propose_admission(
    session: Session,
    actor: Actor,
    member_id: int,
    institution_id: int,
    ground: str,
    now: datetime,
    *,
    note: str = "",
    reg: Registry | None = None,
) -> Case:
    """The township proposes a 特困 person for an institution: the 入院 case and its facts in
    one unit of work, or PayloadInvalid naming each bad field and nothing written."""
    require_aware(now, "now")
    reg = reg or registry()
    with UnitOfWork(session) as uow:
        found, inst = _checked(session, actor, member_id, institution_id, ground)
        level = found.care_level
        summary = (
            f"{found.member.name}申请入住{inst.name}（{CARE_LEVEL_ZH[level]}，{GROUNDS[ground]}）"
        )
        payload: dict[str, Any] = {
            "institution_id": inst.id,
            "institution": inst.name,
            "member_id": found.member.id,
            "care_level": level,
            "ground": ground,
            "tekun_case_id": found.tekun_case.id,
        }
        if note.strip():
            payload["note"] = note.strip()[:500]
        wf = reg.workflow(WORKFLOW)
        case = create_case(
            session, reg, wf, found.household.id, actor, now, CaseFlags(), summary[:300], payload
        )
        session.add(
            Admission(
                case_id=case.id,
                institution_id=inst.id,
                member_id=found.member.id,
                tekun_case_id=found.tekun_case.id,
                care_level=level,
                ground=ground,
            )
        )
        session.flush()
        if institution_has_accounts(session, inst.id):
            fire(session, case.id, AWAIT_INSTITUTION, SYSTEM_ACTOR, now, {}, reg=reg)
        uow.commit()
    return case


def admission_of(session: Session, case_id: int) -> Admission:
    """The facts of an admission case (written with it)."""
    row = session.scalar(select(Admission).where(Admission.case_id == case_id))
    if row is None:
        raise CaseflowError("入院案件数据缺失", f"admission case {case_id} has no admissions row")
    return row


# --- the institution's own confirmation --------------------------------------------------------


class AdmissionNotFound(CaseNotFound):
    message_zh = "入院申请不存在或不是本机构的"


def institution_has_accounts(session: Session, institution_id: int) -> bool:
    """The institution has an active account of its own staff."""
    found = session.scalar(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.institution_id == institution_id,
            User.active.is_(True),
            UserRole.role == Role.INSTITUTION_STAFF.value,
        )
        .limit(1)
    )
    return found is not None


def confirm_bed_at_institution(
    session: Session,
    actor: Actor,
    case_id: int,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    expected_version: int | None = None,
) -> FireResult:
    """An institution's staff confirm the bed of an admission to their institution: confirm_bed
    through fire(). Their reach is their institution's admissions, found in SQL here (the case
    may belong to a household of another township); fire() then acts with their path narrowed
    to that one case's place, and the workflow's guard checks the institution once more.
    AdmissionNotFound for any case that is not an admission to their institution."""
    if actor.institution_id is None or not 0 < case_id < 2**31:
        raise AdmissionNotFound()
    place = session.scalar(
        select(Case.org_path)
        .join(Admission, Admission.case_id == Case.id)
        .where(Case.id == case_id, Admission.institution_id == actor.institution_id)
    )
    if place is None:
        raise AdmissionNotFound()
    acting = replace(actor, org_path=place)
    return fire(
        session, case_id, "confirm_bed", acting, now, payload, expected_version=expected_version
    )


# --- guards ---------------------------------------------------------------------------------------


@plugin.guard("confirmed_by_the_institution")
def confirmed_by_the_institution(ctx: GuardContext) -> str | None:
    """The institution confirms its own beds: its staff for admissions to it only; the
    township's reviewer or leader records the institution's word only while the institution
    has no active account of its own (the fallback, workflows/admission.yaml)."""
    adm = admission_of(ctx.session, ctx.case.id)
    if ctx.actor.institution_id is not None:
        if ctx.actor.institution_id != adm.institution_id:
            return "只能确认本机构的入院床位"
        return None
    if institution_has_accounts(ctx.session, adm.institution_id):
        inst = ctx.session.get(Institution, adm.institution_id)
        name = inst.name if inst is not None else "该供养机构"
        return f"{name}已开通供养机构账号，床位须由机构工作人员在系统中确认"
    return None


def follow_the_accounts(session: Session, institution_ids: set[int], now: datetime) -> None:
    """After an institution's staff accounts changed (opened, stopped, moved to another
    institution): each admission still waiting for its bed moves to whoever confirms it now —
    the institution's own staff, or the township on the institution's word. Fired as the system
    inside the account change's unit of work."""
    for institution_id in sorted(institution_ids):
        if institution_has_accounts(session, institution_id):
            waiting, trigger = "proposed", AWAIT_INSTITUTION
        else:
            waiting, trigger = "awaiting_institution", BACK_TO_TOWNSHIP
        case_ids = session.scalars(
            select(Case.id)
            .join(Admission, Admission.case_id == Case.id)
            .where(Admission.institution_id == institution_id, Case.state == waiting)
            .order_by(Case.id)
        ).all()
        for case_id in case_ids:
            fire(session, case_id, trigger, SYSTEM_ACTOR, now, {})


@plugin.guard("institution_has_account")
def institution_has_account(ctx: GuardContext) -> str | None:
    """The case waits for the institution's own staff (it has an active account)."""
    adm = admission_of(ctx.session, ctx.case.id)
    if institution_has_accounts(ctx.session, adm.institution_id):
        return None
    return "该供养机构未开通账号，床位由乡镇录入"


@plugin.guard("institution_without_account")
def institution_without_account(ctx: GuardContext) -> str | None:
    """The township records the bed (the institution has no active account of its own)."""
    adm = admission_of(ctx.session, ctx.case.id)
    if not institution_has_accounts(ctx.session, adm.institution_id):
        return None
    return "该供养机构已开通账号，退回后由机构工作人员确认床位"


@plugin.guard("bed_free", needs_payload=True)
def bed_free(ctx: GuardContext) -> str | None:
    """The bed named exists, is free, and the institution has room for the care level."""
    assert ctx.payload is not None
    adm = admission_of(ctx.session, ctx.case.id)
    inst = ctx.session.get(Institution, adm.institution_id)
    assert inst is not None  # a foreign key
    return beds.bed_problem(ctx.session, inst, int(ctx.payload["bed_no"]), adm.care_level)


# --- effects --------------------------------------------------------------------------------------


@plugin.effect("reserve_bed")
def reserve_bed(ctx: EffectContext) -> None:
    """The institution's confirmation holds the bed from now on (the database refuses a second
    live booking of it, whoever got past the guard at the same moment)."""
    adm = admission_of(ctx.session, ctx.case.id)
    inst = ctx.session.get(Institution, adm.institution_id)
    assert inst is not None
    beds.lock_institution(ctx.session, inst)
    bed_no = int(ctx.payload["bed_no"])
    problem = beds.bed_problem(ctx.session, inst, bed_no, adm.care_level)
    if problem:
        raise beds.BedTaken(problem)
    beds.occupy(ctx.session, inst, bed_no, adm.member_id, ctx.case.id, adm.care_level, ctx.now)


@plugin.effect("release_bed")
def release_bed(ctx: EffectContext) -> None:
    """A refused, returned or withdrawn admission frees the bed it held."""
    beds.end(ctx.session, ctx.case.id, ctx.now, "released")


def _placement(
    ctx: EffectContext, adm: Admission, inst: Institution | None, bed_no: int, trigger: str
) -> None:
    """A version of the person's 特困 entitlement in the new setting, from the month after."""
    tekun_case = ctx.session.get(Case, adm.tekun_case_id)
    assert tekun_case is not None
    current = entitlements.latest(ctx.session, tekun_case.id)
    if current is None or current.kind == STOP:
        return  # no longer paid: nothing to move
    day = to_local(ctx.now).date()
    config = policy_for(ctx.session, tekun_case, day)
    setting = "centralised" if inst is not None else "dispersed"
    level = current.care_level or adm.care_level
    amount = tekun_amount_for_level(config, level, setting, day)  # type: ignore[arg-type]
    basis: dict[str, Any] = {
        "explain": amount.decision.explain_zh(),
        "setting": setting,
        "admission_case_id": ctx.case.id,
    }
    if inst is not None:
        resident = ctx.session.get(Member, adm.member_id)
        name = resident.name if resident is not None else ""
        basis.update(institution_id=inst.id, institution=inst.name, bed_no=bed_no, resident=name)
    entitlements.record(
        ctx.session,
        tekun_case,
        kind=PLACEMENT,
        effective_month=entitlements.first_paid_month(ctx.now),
        amount_fen=amount.total_fen,
        computed_fen=amount.total_fen,
        source_case=ctx.case,
        trigger=trigger,
        actor=ctx.actor,
        at=ctx.now,
        components={"basic": amount.basic_fen, "care": amount.care_fen},
        covered_member_ids=current.covered_member_ids,
        care_level=level,
        policy_effective_from=config.effective_from,
        standard_fen=config.dibao_standard_fen,
        basis=basis,
    )


@plugin.effect("admit_resident")
def admit_resident(ctx: EffectContext) -> None:
    """入住: the reserved bed is in use; the support goes to the institution from next month."""
    adm = admission_of(ctx.session, ctx.case.id)
    row = beds.live_of_case(ctx.session, ctx.case.id)
    if row is None:  # the confirmation reserved it; a missing row is a broken invariant
        raise CaseflowError("床位预留记录缺失，不能批准入住", f"case {ctx.case.id}: no bed")
    row.admitted_at = ctx.now
    inst = ctx.session.get(Institution, adm.institution_id)
    _placement(ctx, adm, inst, row.bed_no, "approve_admission")


@plugin.effect("discharge_resident")
def discharge_resident(ctx: EffectContext) -> None:
    """出院（转为分散供养）: the bed is freed; the support goes to the household again."""
    adm = admission_of(ctx.session, ctx.case.id)
    beds.end(ctx.session, ctx.case.id, ctx.now, "discharged")
    _placement(ctx, adm, None, 0, "approve_discharge")


@plugin.effect("release_bed_on_stop")
def release_bed_on_stop(ctx: EffectContext) -> None:
    """停保: the removal stopped the support; the bed is freed (no placement is written: the
    removal's stop is the entitlement's newest word)."""
    beds.end(ctx.session, ctx.case.id, ctx.now, "stopped")


@plugin.after_commit
def end_residence_on_removal(session: Session, result: FireResult) -> None:
    """When the district decides a removal (停保), a resident of that household leaves care:
    the admission is ended through fire(), as the system, after the decision committed. A
    refusal (the admission moved on meanwhile) is logged and blocks nothing."""
    if result.trigger != "approve_removal":
        return
    removal = session.get(Case, result.case_id)
    if removal is None or removal.household_id is None:
        return
    residents = (
        session.execute(
            select(Case.id)
            .join(Admission, Admission.case_id == Case.id)
            .join(Member, Member.id == Admission.member_id)
            .where(
                Member.household_id == removal.household_id,
                Case.state.in_(("in_care", "discharge_review")),
            )
            .order_by(Case.id)
        )
        .scalars()
        .all()
    )
    payload = {"removal_case_no": removal.case_no}
    for case_id in residents:
        try:
            fire(session, case_id, "support_stopped", SYSTEM_ACTOR, result.at, payload)
        except CaseflowError:
            log.exception("admission %s not ended after removal %s", case_id, result.case_id)


@plugin.guard("died_on_not_future", needs_payload=True)
def died_on_not_future(ctx: GuardContext) -> str | None:
    """A death is recorded after it happened."""
    assert ctx.payload is not None
    died = date.fromisoformat(str(ctx.payload["died_on"]))
    return "死亡日期不能晚于今天" if died > to_local(ctx.now).date() else None


@plugin.effect("resident_died")
def resident_died(ctx: EffectContext) -> None:
    """死亡: the bed is freed and the support stops from the month after the death."""
    adm = admission_of(ctx.session, ctx.case.id)
    beds.end(ctx.session, ctx.case.id, ctx.now, "deceased")
    tekun_case = ctx.session.get(Case, adm.tekun_case_id)
    assert tekun_case is not None
    current = entitlements.latest(ctx.session, tekun_case.id)
    if current is None or current.kind == STOP:
        return
    died = date.fromisoformat(str(ctx.payload["died_on"]))
    entitlements.record(
        ctx.session,
        tekun_case,
        kind=STOP,
        effective_month=add_months(died.strftime("%Y-%m"), 1),
        amount_fen=0,
        computed_fen=0,
        source_case=ctx.case,
        trigger="record_death",
        actor=ctx.actor,
        at=ctx.now,
        covered_member_ids=current.covered_member_ids,
        basis={"reason": f"死亡（{died.isoformat()}），从下月起终止救助供养"},
    )
