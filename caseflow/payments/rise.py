"""提标: when a new yearly standard is in force, every 低保, 特困, 孤儿 entitlement is recomputed.

Each version of an entitlement that is (or will be) in force from the effective month is
recomputed under the configuration of its own month, from its own terms: 低保 from its covered
members and class (gap method or class amounts, top-ups), 特困 from its care level and setting
(basic living ≥ ratio × the 低保 standard, plus the care allowance), a child's 孤儿 allowance
from its setting at the 孤儿 standard in force (the `orphans` section, carried over until a
configuration sets a new one — never a 低保 amount). So a review's adjustment
made after the effective date keeps its members and class and only gains the new standard, and
every component rises, not only the 低保 basic amount. The list is a case of the `rise`
workflow; approving it (through fire) writes the new versions, and the roll pays the difference
for months already paid as corrections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.facts_adapter import household_facts
from caseflow.db.models import Case, CaseEvent, Household, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import create_unit_case, fire
from caseflow.engine.plugins import EffectContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import require_aware
from caseflow.payments import entitlements
from caseflow.payments.models import GRADUAL_EXIT, RISE, STOP, Entitlement
from caseflow.payments.months import month_label
from caseflow.policy.amounts import compute_amount
from caseflow.policy.config import PolicyConfig, PolicyTable
from caseflow.policy.store import policy_table
from caseflow.policy.tekun import tekun_amount_for_level
from caseflow.workflow.registry import Registry, registry

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("payments.rise")

RISE_WORKFLOW = "rise"
RISE_ROLES = frozenset({"district_approver"})


@dataclass(frozen=True)
class RiseItem:
    """One entitlement version recomputed: old and new monthly amount from `month` on."""

    case_id: int
    case_no: str
    programme: str
    month: str
    old_fen: int
    new_fen: int
    version: Entitlement
    components: dict[str, int]

    @property
    def difference_fen(self) -> int:
        """New minus old, per month."""
        return self.new_fen - self.old_fen

    def line_zh(self) -> str:
        """E.g. "DB-…-000001 2026-01 起：295.00 元 → 315.00 元（+20.00 元）"."""
        sign = "+" if self.difference_fen >= 0 else "−"
        return (
            f"{self.case_no} {self.month} 起：{format_yuan(self.old_fen)} 元 → "
            f"{format_yuan(self.new_fen)} 元（{sign}{format_yuan(abs(self.difference_fen))} 元）"
        )


@dataclass(frozen=True)
class RiseList:
    """Changed amounts effective from `effective_from`, with the two configurations compared."""

    effective_from: date
    old_label: str
    new_label: str
    items: list[RiseItem]

    @property
    def total_difference_fen(self) -> int:
        """Monthly cost of the rise in its first month over all listed cases."""
        first = f"{self.effective_from:%Y-%m}"
        return sum(i.difference_fen for i in self.items if i.month == first)


def _first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def recompute(
    session: Session,
    version: Entitlement,
    config: PolicyConfig,
    on: date,
    table: PolicyTable | None = None,
) -> tuple[int, dict[str, int]]:
    """The version's monthly amount and its parts under `config`, from its own terms (a 孤儿
    allowance under the table's 孤儿 standard in force on `on`)."""
    parts: dict[str, int]
    if version.programme == "orphan":
        orphans = (table or PolicyTable(config.region, (config,))).orphan_standard(on)[1]
        # The grant records the setting as the window showed it (集中养育 / 社会散居).
        centralised = version.basis.get("setting") in ("集中养育", "centralised")
        setting = "centralised" if centralised else "dispersed"
        full = orphans.monthly_fen(setting)
        parts = {"basic": full}
    elif version.programme == "tekun":
        setting = str(version.basis.get("setting") or "dispersed")
        level = version.care_level or "self_care"
        tekun = tekun_amount_for_level(config, level, setting, on)  # type: ignore[arg-type]
        full, parts = tekun.total_fen, {"basic": tekun.basic_fen, "care": tekun.care_fen}
    else:
        household = session.get(Household, version.household_id)
        assert household is not None
        covered = set(version.covered_member_ids)
        ids = [m.id_number for m in household.members if m.id in covered] or None
        facts = household_facts(household)
        dibao = compute_amount(facts, config, on, ids, version.aid_class or "A")
        full, parts = dibao.amount_fen, {"basic": dibao.base_fen, "top_ups": dibao.top_ups_fen}
    if version.kind == GRADUAL_EXIT:
        return full * int(version.basis.get("percent", 100)) // 100, parts
    return full, parts


def plan_rise(session: Session, region_path: str, region: str, effective_from: date) -> RiseList:
    """Every version in force from the effective month on, recomputed; only changes listed."""
    table = policy_table(session, region)
    new = table.in_force(effective_from)
    old = table.in_force(date.fromordinal(effective_from.toordinal() - 1))
    month = f"{effective_from:%Y-%m}"
    case_rows = session.execute(
        select(Case.id, Case.case_no)
        .where(
            Case.id.in_(
                select(Entitlement.case_id).where(
                    in_jurisdiction(Entitlement.org_path, region_path)
                )
            )
        )
        .order_by(Case.case_no)
    ).all()
    history = entitlements.versions_of(session, [cid for cid, _ in case_rows])
    items: list[RiseItem] = []
    for cid, case_no in case_rows:
        versions = history[cid]
        current = entitlements.in_force(versions, month)
        later = [v for v in versions if v.effective_month > month]
        for version, start in [(current, month)] + [(v, v.effective_month) for v in later]:
            if version is None or version.kind == STOP:
                continue
            day = _first_day(start)
            amount, parts = recompute(session, version, table.in_force(day), day, table)
            if amount != version.amount_fen:
                items.append(
                    RiseItem(cid, case_no, version.programme, start, version.amount_fen,
                             amount, version, parts)
                )  # fmt: skip
    return RiseList(effective_from, old.label_zh, new.label_zh, items)


def rise_list(session: Session, region: str, effective_from: date) -> RiseList:
    """The preview of a region's 提标 list (every entitlement in the region)."""
    return plan_rise(session, f"/{region}/", region, effective_from)


def _district(session: Session, actor: Actor, region: str) -> OrgUnit:
    unit = session.scalar(
        select(OrgUnit).where(OrgUnit.code == region, in_jurisdiction(OrgUnit.path, actor))
    )
    if unit is None:
        raise PayloadInvalid({"region": "地区不存在或不在您的管辖范围内"})
    return unit


def open_rise(
    session: Session,
    actor: Actor,
    region: str,
    effective_from: date,
    now: datetime,
    *,
    reg: Registry | None = None,
) -> Case:
    """Open the 提标 list for a new configuration's date (one live list per date)."""
    require_aware(now, "now")
    if not actor.roles & RISE_ROLES:
        raise PermissionDenied("只有区民政审批可以编制提标名单")
    reg = reg or registry()
    month = f"{effective_from:%Y-%m}"
    with UnitOfWork(session) as uow:
        unit = _district(session, actor, region)
        table = policy_table(session, region)
        if table.in_force(effective_from).effective_from != effective_from:
            raise PayloadInvalid({"effective_from": "该日期没有新施行的保障标准"})
        if _rise_case(session, region, month, ("listed", "approved")) is not None:
            raise PayloadInvalid({"effective_from": f"{month_label(month)}起的提标名单已编制"})
        plan = plan_rise(session, unit.path, region, effective_from)
        case = create_unit_case(
            session,
            reg,
            reg.workflow(RISE_WORKFLOW),
            unit,
            actor,
            now,
            f"提标：{plan.old_label} → {plan.new_label}，{len(plan.items)} 项变更",
            {"region": region, "effective_month": month, "items": len(plan.items)},
        )
        uow.commit()
    return case


def _rise_case(session: Session, region: str, month: str, states: tuple[str, ...]) -> int | None:
    return session.scalar(
        select(Case.id)
        .join(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.trigger == "open"))
        .join(OrgUnit, OrgUnit.id == Case.org_unit_id)
        .where(
            Case.workflow_key == RISE_WORKFLOW,
            OrgUnit.code == region,
            Case.state.in_(states),
            CaseEvent.payload["effective_month"].as_string() == month,
        )
    )


def rise_approved(session: Session, region: str, effective_from: date) -> bool:
    """Whether the region's 提标 list from this date was approved already."""
    return _rise_case(session, region, f"{effective_from:%Y-%m}", ("approved",)) is not None


def approve_rise_list(
    session: Session, actor: Actor, region: str, effective_from: date, now: datetime
) -> int:
    """Open the 提标 list and approve it in one unit of work (the web page, after the approver
    read the list); returns the number of changed versions."""
    with UnitOfWork(session) as uow:
        items = len(rise_list(session, region, effective_from).items)
        case = open_rise(session, actor, region, effective_from, now)
        fire(session, case.id, "approve_rise", actor, now)
        uow.commit()
    return items


def rise_terms(session: Session, case_id: int) -> tuple[str, date]:
    """The region and effective date a rise case was opened for."""
    payload = session.scalar(
        select(CaseEvent.payload).where(CaseEvent.case_id == case_id, CaseEvent.trigger == "open")
    )
    data = dict(payload or {})
    month = str(data["effective_month"])
    return str(data["region"]), _first_day(month)


@plugin.effect("apply_standard_rise")
def apply_standard_rise(ctx: EffectContext) -> None:
    """批准提标: a new version for every listed change, recomputed now (not from the preview),
    each from its own month; the roll pays back what months already paid at the old amount."""
    region, effective_from = rise_terms(ctx.session, ctx.case.id)
    unit = ctx.session.get(OrgUnit, ctx.case.org_unit_id)
    assert unit is not None
    plan = plan_rise(ctx.session, unit.path, region, effective_from)
    ids = {i.case_id for i in plan.items}
    cases = {c.id: c for c in ctx.session.scalars(select(Case).where(Case.id.in_(ids)))}
    rise_label = f"{plan.old_label} → {plan.new_label}"
    for item in plan.items:
        v = item.version
        entitlements.record(
            ctx.session,
            cases[item.case_id],
            kind=GRADUAL_EXIT if v.kind == GRADUAL_EXIT else RISE,
            effective_month=item.month,
            amount_fen=item.new_fen,
            computed_fen=item.new_fen,
            source_case=ctx.case,
            trigger="approve_rise",
            actor=ctx.actor,
            at=ctx.now,
            components=item.components,
            covered_member_ids=v.covered_member_ids,
            aid_class=v.aid_class,
            care_level=v.care_level,
            policy_effective_from=effective_from,
            basis={**v.basis, "rise_from_fen": item.old_fen, "rise": rise_label},
        )
