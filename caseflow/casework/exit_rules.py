"""Removal (停保) rules that read the household: who may be given a gradual exit (渐退期).

民发〔2021〕57号 第三十三条: "对就业后家庭人均收入超过当地最低生活保障标准的最低生活保障家庭，
县级人民政府民政部门可以给予一定时间的渐退期" — a 低保 household whose income from work
lifted it over the standard. Its length is dated policy (PolicyConfig.gradual_exit_max_months;
民发〔2022〕83号 一(三) "原则上不超过6个月"). The guard is named on removal's
approve_gradual_exit.
"""

from __future__ import annotations

from sqlalchemy import select

from caseflow.casework.facts_adapter import household_facts, load_household
from caseflow.db.models import Case, OrgUnit
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.kernel.timeutil import to_local
from caseflow.policy.explain import yuan
from caseflow.policy.means_test import assessed_income_fen, per_capita_fen
from caseflow.policy.store import policy_table, region_of

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("casework.exit_rules")

GRADUAL_EXIT_BASIS = "民发〔2021〕57号 第三十三条"
GRADUAL_LENGTH_BASIS = "民发〔2022〕83号 一(三)"


@plugin.guard("income_rose_through_work", needs_payload=True)
def income_rose_through_work(ctx: GuardContext) -> str | None:
    """渐退期 only for a 低保 household whose recorded wage or business income lifts its counted
    per-capita income over the standard (without it the household would still be below), and for
    no more months than the policy in force allows."""
    assert ctx.payload is not None
    session, case = ctx.session, ctx.case
    in_dibao = session.scalar(
        select(Case.id)
        .where(
            Case.household_id == case.household_id,
            Case.case_type == "dibao",
            Case.state == "approved",
        )
        .limit(1)
    )
    if in_dibao is None:
        return f"渐退期仅适用于低保家庭（{GRADUAL_EXIT_BASIS}），本户没有在保的低保案件"
    household = load_household(session, case.household_id)
    unit = session.get(OrgUnit, case.org_unit_id)
    assert unit is not None  # a foreign key
    day = to_local(ctx.now).date()
    config = policy_table(session, region_of(unit.code)).in_force(day)
    facts = household_facts(household)
    standard = config.dibao_standard_fen
    # As the means test counts it: excluded categories left out, deductible spending deducted.
    assessed = assessed_income_fen(facts, config)
    per_capita = per_capita_fen(assessed, facts.size)
    if per_capita < standard:
        return (
            f"家庭人均月收入 {yuan(per_capita)} 仍低于低保标准 {yuan(standard)}，"
            f"不属于就业后收入超过标准的情形，不适用渐退期（{GRADUAL_EXIT_BASIS}）"
        )
    work = sum(m.work_income_fen() for m in facts.members)
    without_work = per_capita_fen(max(assessed - work, 0), facts.size)
    if work == 0 or without_work >= standard:
        return (
            f"家庭收入超过低保标准并非来自就业（工资性、经营性收入 {yuan(work)}；"
            f"不计就业收入时人均 {yuan(without_work)} 已不低于标准），"
            f"不适用渐退期（{GRADUAL_EXIT_BASIS}）"
        )
    months = int(ctx.payload.get("months") or 0)
    most = config.gradual_exit_max_months
    if not 1 <= months <= most:
        return f"渐退月数须为 1 至 {most} 个月（{GRADUAL_LENGTH_BASIS}，按本区施行中的配置）"
    return None
