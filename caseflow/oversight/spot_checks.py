"""The district's spot checks (抽查 / 督查): drawing the sample, and the guards and effects of
the spot-check workflow (workflows/spot_check.yaml).

Who is sampled, per township, among the 低保 / 特困 cases in payment: a random share at the
rate of the township's rule set (`district_spot_check_ratio`; 民发〔2012〕220号 第二十六条 不低于
30%) or at the rate typed on the draw form; every case of a staff member's near relative (the
case's flag or a declaration on the household: 220号 第二十六条 / 57号 第二十条 ask the district
to visit them all); and targeted samples — new approvals paying at least the rule set's
threshold, and class C cases whose terms have not changed for the rule set's months (the
district's own choice of targets, 待核实). A case with a spot check still open is not drawn
again. The seed is recorded with the draw, so the random part can be redone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, OrgUnit, RelativeDeclaration
from caseflow.engine.fire import CaseFlags, create_case
from caseflow.engine.guards import signers_in_current_visit
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.errors import CaseflowError, PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.oversight import sampling
from caseflow.oversight.models import FINDINGS, REASONS, SpotCheck, SpotCheckDraw
from caseflow.payments.months import add_months
from caseflow.read.recipients import InPayment, in_payment
from caseflow.workflow.registry import Registry, registry
from caseflow.workflow.rulesets import select_ruleset

plugin = Plugin("oversight.spot_checks")

WORKFLOW = "spot_check"
DRAW_ROLES = frozenset({Role.SUPERVISOR.value, Role.DISTRICT_APPROVER.value})
FINDING_BY_LABEL = {label: code for code, label in FINDINGS.items()}


@dataclass(frozen=True)
class Sampled:
    """One case in the sample and why."""

    terms: InPayment
    reason: str
    staff_relative: bool


def _facts(session: Session, ids: list[int]) -> dict[int, tuple[bool, datetime | None]]:
    """Per case: a near relative of staff (flag or household declaration), and when decided."""
    if not ids:
        return {}
    declared = exists().where(RelativeDeclaration.household_id == Case.household_id)
    rows = session.execute(
        select(Case.id, Case.flag_staff_relative | declared, Case.closed_at).where(Case.id.in_(ids))
    ).all()
    return {cid: (bool(rel), closed) for cid, rel, closed in rows}


def _under_check(session: Session) -> set[int]:
    """Cases whose spot check is still open (they are not drawn twice)."""
    return set(
        session.scalars(
            select(SpotCheck.subject_case_id)
            .join(Case, Case.id == SpotCheck.case_id)
            .where(Case.is_final.is_(False))
        )
    )


def _targeted(
    terms: InPayment, closed: datetime | None, params: dict[str, Any], now: datetime
) -> str | None:
    recent = now - timedelta(days=int(params["spot_check_new_approval_days"]))
    high = terms.amount_fen >= int(params["spot_check_high_amount_fen"])
    if closed is not None and closed >= recent and high:
        return "high_amount"
    since = add_months(to_local(now).strftime("%Y-%m"), -int(params["spot_check_class_c_months"]))
    if terms.aid_class == "C" and terms.effective_month <= since:
        return "class_c_long"
    return None


def plan_sample(
    session: Session,
    actor: Actor,
    rate_bp: int | None,
    seed: int,
    now: datetime,
    reg: Registry,
) -> tuple[list[Sampled], dict[str, Any]]:
    """The sample and its record per township (population, rate used, ids by reason)."""
    busy = _under_check(session)
    population = [t for t in in_payment(session, actor, None) if t.case_id not in busy]
    facts = _facts(session, [t.case_id for t in population])
    by_town: dict[str, list[InPayment]] = {}
    for terms in population:
        by_town.setdefault(terms.township_code, []).append(terms)
    day = to_local(now).date()
    sampled: list[Sampled] = []
    detail: dict[str, Any] = {}
    for code, rows in sorted(by_town.items()):
        rules = select_ruleset(reg.rulesets, code, day)
        rate = (
            rate_bp
            if rate_bp is not None
            else sampling.ratio_bp(rules.param("district_spot_check_ratio"))
        )
        reasons: dict[int, str] = {}
        for terms in rows:
            relative, closed = facts.get(terms.case_id, (False, None))
            if relative:
                reasons[terms.case_id] = "staff_relative"
            elif (why := _targeted(terms, closed, rules.params, now)) is not None:
                reasons[terms.case_id] = why
        rest = [t.case_id for t in rows if t.case_id not in reasons]
        for case_id in sampling.draw(rest, rate, seed, code):
            reasons[case_id] = "random"
        detail[code] = {
            "population": len(rows),
            "rate_bp": rate,
            "ruleset": rules.key,
            **{r: sorted(c for c, why in reasons.items() if why == r) for r in REASONS},
        }
        for terms in rows:
            if terms.case_id in reasons:
                relative = facts.get(terms.case_id, (False, None))[0]
                sampled.append(Sampled(terms, reasons[terms.case_id], relative))
    return sampled, detail


def draw_spot_checks(
    session: Session,
    actor: Actor,
    rate_text: str,
    seed_text: str,
    now: datetime,
    *,
    reg: Registry | None = None,
) -> SpotCheckDraw:
    """The district draws: the sample recorded with its seed and a spot-check case opened for
    every sampled case, in one unit of work — or PayloadInvalid by field, nothing written."""
    require_aware(now, "now")
    reg = reg or registry()
    if not DRAW_ROLES & actor.roles:
        raise PermissionDenied("只有区级督查或审批人员可以抽取抽查样本")
    errors: dict[str, str] = {}
    rate_bp: int | None = None
    try:
        rate_bp = sampling.parse_rate(rate_text)
    except ValueError as exc:
        errors["rate"] = str(exc)
    seed = secrets.randbelow(sampling.MAX_SEED)
    if seed_text.strip():
        if not seed_text.strip().isdigit() or int(seed_text) >= sampling.MAX_SEED:
            errors["seed"] = "随机种子须为非负整数（不超过19位）"
        else:
            seed = int(seed_text)
    if errors:
        raise PayloadInvalid(errors)
    unit = session.scalar(select(OrgUnit).where(OrgUnit.path == actor.org_path))
    if unit is None:
        raise PermissionDenied("您的所属单位不存在")
    wf = reg.workflow(WORKFLOW)
    with UnitOfWork(session) as uow:
        sampled, detail = plan_sample(session, actor, rate_bp, seed, now, reg)
        if not sampled:
            raise PayloadInvalid({"rate": "按此比例没有抽中任何案件（辖区内无在保案件或比例为0）"})
        row = SpotCheckDraw(
            org_unit_id=unit.id,
            org_path=unit.path,
            seed=seed,
            rate_bp=rate_bp,
            detail=detail,
            drawn_by_id=actor.user_id,
            drawn_at=now,
        )
        session.add(row)
        session.flush()
        for s in sampled:
            t = s.terms
            summary = f"区级抽查{t.case_no}（{t.head_name}，{REASONS[s.reason]}）"
            payload = {
                "draw_id": row.id,
                "seed": seed,
                "subject_case_id": t.case_id,
                "subject_case_no": t.case_no,
                "sample_reason": REASONS[s.reason],
            }
            flags = CaseFlags(staff_relative=s.staff_relative)
            case = create_case(
                session, reg, wf, t.household_id, actor, now, flags, summary[:300], payload
            )
            session.add(
                SpotCheck(
                    draw_id=row.id,
                    case_id=case.id,
                    subject_case_id=t.case_id,
                    township_code=t.township_code,
                    reason=s.reason,
                )
            )
        session.flush()
        uow.commit()
    return row


def draw_size(row: SpotCheckDraw) -> int:
    """How many cases a draw sampled, by its record."""
    return sum(len(part.get(reason, ())) for part in row.detail.values() for reason in REASONS)


def spot_check_of(session: Session, case_id: int) -> SpotCheck:
    """The facts of a spot-check case (written with it)."""
    row = session.scalar(select(SpotCheck).where(SpotCheck.case_id == case_id))
    if row is None:
        raise CaseflowError("抽查案件数据缺失", f"spot-check case {case_id} has no row")
    return row


# --- guards and effects ---------------------------------------------------------------------------


@plugin.guard("spot_visit_signed")
def spot_visit_signed(ctx: GuardContext) -> str | None:
    """A conclusion is drawn only after the district's home visit was signed."""
    return None if signers_in_current_visit(ctx.session, ctx.case) else "须先完成区级入户核查签字"


@plugin.effect("record_spot_finding")
def record_spot_finding(ctx: EffectContext) -> None:
    """The finding is kept on the sample's row (the report counts it)."""
    spot = spot_check_of(ctx.session, ctx.case.id)
    spot.finding = FINDING_BY_LABEL.get(str(ctx.payload.get("finding", "")), "correct")


def _open_follow_up(ctx: EffectContext, case_type: str, actor: Actor, label: str) -> None:
    spot = spot_check_of(ctx.session, ctx.case.id)
    subject = ctx.session.get(Case, spot.subject_case_id)
    assert subject is not None and subject.household_id is not None  # a foreign key
    existing = ctx.session.scalar(
        select(Case.id).where(
            Case.household_id == subject.household_id,
            Case.case_type == case_type,
            Case.is_final.is_(False),
        )
    )
    if existing is not None:  # already under way: the spot check points to it
        spot.follow_up_case_id = existing
        return
    reg = registry()
    reason = str(ctx.payload.get("reason", ""))
    follow = create_case(
        ctx.session,
        reg,
        reg.by_case_type(case_type),
        subject.household_id,
        actor,
        ctx.now,
        CaseFlags(staff_relative=subject.flag_staff_relative),
        f"区级抽查（{ctx.case.case_no}）{label}：{reason}"[:300],
        {
            "programme": subject.case_type,
            "from_spot_check_case_id": ctx.case.id,
            "from_spot_check_case_no": ctx.case.case_no,
        },
    )
    spot.follow_up_case_id = follow.id


@plugin.effect("open_spot_review")
def open_spot_review(ctx: EffectContext) -> None:
    """转入复核: a review of the household, opened as the review sweep opens one (the system
    opens reviews; the spot check's own event names who asked for it)."""
    _open_follow_up(ctx, "review", SYSTEM_ACTOR, "转入复核")


@plugin.effect("open_spot_removal")
def open_spot_removal(ctx: EffectContext) -> None:
    """转入停保程序: a removal case opened by the supervisor, in the same transaction."""
    _open_follow_up(ctx, "removal", ctx.actor, "转入停保")
