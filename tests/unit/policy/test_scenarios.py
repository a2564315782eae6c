"""Policy scenario table, part 1: the pure rule layer (no database).

Every row is one scenario of issue 15 with a Chinese description (the test id), the rule it
cites (document and article, from research/law-notes.md; 待核实 where the notes say so), the
expected outcome and the expected amount in fen. Outcomes: eligible / ineligible (低保, 特困),
accepted / refused (covered persons, configuration, the 先行救助 cap), approvable / refused
(临时救助), changed (提标). The amount is what the rules give: the monthly amount of the covered
persons, the granted assistance, the cap that refused, or the difference of a 提标; 0 where
nothing is payable. Part 2, through the cases and the roll, is
tests/integration/test_policy_scenarios.py.

Figures: the config of policy_factories (低保 standard 560.00 元; top-ups 重残 100.00, 大病 80.00,
70+ 50.00, under 16 40.00, the highest one per person; 特困 ratio 1.3 → 728.00 元, care
200.00 / 600.00 / 1,200.00 元; 临时救助 caps 因病 12, 因灾 6, 其他 2.5 × the standard, township
ceiling 2,000.00 元, repeat window 365 days).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from policy_factories import ON, SEED, config, household, member

from caseflow.policy.amounts import RiseCase, compute_amount, standard_rise
from caseflow.policy.classification import check_covered_members
from caseflow.policy.config import (
    PolicyConfig,
    PolicyConfigError,
    TekunStandardBelowFloor,
    parse_policy,
)
from caseflow.policy.facts import Asset, HouseholdFacts, Income, MemberFacts
from caseflow.policy.means_test import assess_means_with
from caseflow.policy.tekun import assess_tekun_eligibility_with, tekun_amount_for_level
from caseflow.policy.temporary import (
    PriorAssistance,
    TemporaryRequest,
    assess_temporary_with,
    check_advance,
)

Outcome = tuple[str, int, str]  # outcome, amount in fen, the explanation text


@dataclass(frozen=True)
class Scenario:
    """One row: what happens, under which rule, and what must come out."""

    description: str
    basis: str
    run: Callable[[], Outcome]
    outcome: str
    fen: int
    says: str = ""  # a phrase the explanation must contain


# --------------------------------------------------------------------------- people and homes

ADULT = date(1980, 5, 1)  # 45 on ON
OLD = date(1950, 1, 1)  # 76
CHILD = date(2015, 6, 1)  # 10
SIXTEEN = date(2009, 6, 1)  # 16
SEVENTEEN = date(2008, 6, 1)  # 17
EIGHTEEN = date(2007, 6, 1)  # 18


def p(
    *,
    wages: int = 0,
    born: date = ADULT,
    grade: int | None = None,
    dtype: str | None = None,
    health: str = "healthy",
    extra: tuple[Income, ...] = (),
    student: bool = False,
    assets: tuple[Asset, ...] = (),
    name: str = "",
) -> MemberFacts:
    return member(
        income=wages,
        born=born,
        grade=grade,
        dtype=dtype,
        health=health,
        incomes=extra,
        student=student,
        assets=assets,
        labour="none" if grade in (1, 2) else "full",
        name=name or None,
    )


def means(home: HouseholdFacts, cfg: PolicyConfig | None = None, cls: str = "A") -> Outcome:
    """低保 means test; the amount of the whole household (or of the single person, when only
    the single-person route is open) if eligible, else 0."""
    cfg = cfg or config()
    decision = assess_means_with(home, cfg, ON)
    if decision.outcome != "eligible":
        return decision.outcome, 0, decision.explain_zh()
    route = decision.results[-1]
    covered = None
    if route.code == "MT-SINGLE":
        covered = str(route.figures["candidates"]).split("、")[:1]
    amount = compute_amount(home, cfg, ON, covered_ids=covered, support_class=cls)
    return (
        "eligible",
        amount.amount_fen,
        decision.explain_zh() + "\n" + amount.decision.explain_zh(),
    )


def cover(
    home: HouseholdFacts, covered: list[MemberFacts], cls: str, cfg: PolicyConfig | None = None
) -> Outcome:
    """Covered persons (by member) under the class rule and the single-person route, and the
    monthly amount for them when accepted."""
    cfg = cfg or config()
    ids = [m.id_number for m in covered]
    result = check_covered_members(cls, home, ids, cfg)
    if not result.passed:
        return "refused", 0, result.detail_zh
    amount = compute_amount(home, cfg, ON, covered_ids=ids, support_class=cls)
    return "accepted", amount.amount_fen, result.detail_zh + "\n" + amount.decision.explain_zh()


def tekun(
    person: MemberFacts,
    level: str = "self_care",
    cfg: PolicyConfig | None = None,
    *,
    supported: bool = False,
) -> Outcome:
    """特困: the three conditions; the basic living amount plus the care allowance if eligible."""
    cfg = cfg or config()
    decision = assess_tekun_eligibility_with(person, cfg, ON, already_supported=supported)
    if decision.outcome != "eligible":
        return decision.outcome, 0, decision.explain_zh()
    amount = tekun_amount_for_level(cfg, level, "dispersed", ON)  # type: ignore[arg-type]
    return "eligible", amount.total_fen, decision.explain_zh() + "\n" + amount.decision.explain_zh()


def temporary(
    cause: str,
    requested: int,
    *,
    prior: tuple[PriorAssistance, ...] = (),
    grounds: str | None = None,
    programme: bool = False,
    cfg: PolicyConfig | None = None,
) -> Outcome:
    request = TemporaryRequest(
        "expenditure", cause, requested, ON, new_grounds_zh=grounds, programme_household=programme
    )
    result = assess_temporary_with(request, prior, cfg or config())
    text = result.decision.explain_zh() + f"\n审批层级：{result.approval_level}"
    return result.decision.outcome, result.granted_fen, text


def advance(size: int, amount: int, cfg: PolicyConfig | None = None) -> Outcome:
    result = check_advance(cfg or config(), size, amount)
    return (
        ("accepted" if result.passed else "refused"),
        int(result.figures["cap_fen"]),
        result.detail_zh,
    )


def load(text: str) -> Outcome:
    """Load a changed copy of the seed policy; the 特困 basic amount of 2026 if accepted."""
    try:
        table = parse_policy(yaml.safe_load(text), "seed")
    except PolicyConfigError as exc:
        kind = "refused" if isinstance(exc, TekunStandardBelowFloor) else "error"
        return kind, 72800, exc.message_zh
    cfg = table.in_force(ON)
    return "accepted", cfg.tekun.basic_fen(cfg.dibao_standard_fen), ""


SEED_TEXT = SEED.read_text(encoding="utf-8")


def excluded(source: str, monthly: int = 80000) -> HouseholdFacts:
    """Two persons with 400.00 元 wages and `monthly` of an excluded category."""
    return household(p(wages=40000, extra=(Income(source, monthly),)), p())  # type: ignore[arg-type]


def tk(**changes: object) -> PolicyConfig:
    return config(tekun=replace(config().tekun, **changes))


def tmp(**changes: object) -> PolicyConfig:
    return config(temporary=replace(config().temporary, **changes))


# Households of the single-person route: per-capita income 600.00 元 (≥ 560.00, < 840.00).
DISABLED = p(grade=1, dtype="physical", name="甲（一级肢体）")
EDGE = household(p(wages=120000, name="乙"), DISABLED)
INTELLECTUAL_3 = p(grade=3, dtype="intellectual", name="丙（三级智力）")
ILL = p(health="serious_illness", name="丁（大病）")
PHYSICAL_3 = p(grade=3, dtype="physical", name="戊（三级肢体）")
EARNING_DISABLED = p(wages=20000, grade=2, dtype="mental", name="己（二级精神）")
FOUR = household(p(wages=60000), p(wages=20000), p(born=CHILD), p(born=OLD, grade=1))
OLD_SEVERE = FOUR.members[3]


def rise(old: PolicyConfig, new: PolicyConfig, home: HouseholdFacts) -> Outcome:
    changes = standard_rise([RiseCase("DB-1", home)], old, new)
    diff = changes[0].difference_fen if changes else 0
    return ("changed" if changes else "unchanged"), diff, "\n".join(c.line_zh() for c in changes)


def tekun_rise(level: str) -> Outcome:
    old, new = config(), config(effective_from=date(2027, 1, 1), dibao_standard_fen=60000)
    before = tekun_amount_for_level(old, level, "dispersed", ON).total_fen  # type: ignore[arg-type]
    after = tekun_amount_for_level(new, level, "dispersed", ON).total_fen  # type: ignore[arg-type]
    return ("changed" if after != before else "unchanged"), after - before, f"{before}→{after}"


N57 = "民发〔2021〕57号"
N43 = "民发〔2021〕43号"
N23 = "民发〔2018〕23号"
R649 = "社会救助暂行办法（国务院令第649号）"

SCENARIOS: list[Scenario] = [
    # ---------------------------------------------------------------- 低保 means test
    Scenario(
        "低保：人均月收入低于标准，全户纳入，补差发放",
        f"{R649} 第九、十二条",
        lambda: means(household(p(wages=40000), p())),
        "eligible",
        72000,
        "人均月收入 200.00 元 < 标准 560.00 元",
    ),
    Scenario(
        "低保：人均月收入等于标准，不符合",
        f"{R649} 第九条",
        lambda: means(household(p(wages=112000), p())),
        "ineligible",
        0,
        "≥ 标准 560.00 元",
    ),
    Scenario(
        "低保：优待抚恤金不计入家庭收入",
        f"{N57} 第十三条（一）",
        lambda: means(excluded("preferential")),
        "eligible",
        72000,
        "不计入：优待抚恤金 800.00 元",
    ),
    Scenario(
        "低保：计划生育奖励与扶助金不计入",
        f"{N57} 第十三条（一）",
        lambda: means(excluded("family_planning")),
        "eligible",
        72000,
        "不计入：计划生育奖励与扶助金",
    ),
    Scenario(
        "低保：奖学金不计入",
        f"{N57} 第十三条（一）",
        lambda: means(excluded("scholarship")),
        "eligible",
        72000,
        "不计入：奖学金",
    ),
    Scenario(
        "低保：见义勇为等奖励性补助不计入",
        f"{N57} 第十三条（一）",
        lambda: means(excluded("award")),
        "eligible",
        72000,
        "见义勇为等奖励性补助",
    ),
    Scenario(
        "低保：政府发放的社会救助款物不计入",
        f"{N57} 第十三条（二）",
        lambda: means(excluded("assistance")),
        "eligible",
        72000,
        "政府发放的社会救助款物",
    ),
    Scenario(
        "低保：城乡居民基本养老保险基础养老金不计入（十四五期间）",
        f"{N57} 第十三条（三）",
        lambda: means(excluded("basic_pension", 20000)),
        "eligible",
        72000,
        "城乡居民基本养老保险基础养老金 200.00 元",
    ),
    Scenario(
        "低保：事实无人抚养儿童基本生活补贴不计入",
        "民发〔2019〕62号 三(一)",
        lambda: means(excluded("child_subsidy")),
        "eligible",
        72000,
        "事实无人抚养儿童基本生活补贴",
    ),
    Scenario(
        "低保：配置不再排除基础养老金时计入收入（2026 年起待核实）",
        f"{N57} 第十三条（三）",
        lambda: means(
            excluded("basic_pension", 80000), config(excluded_income=frozenset({"preferential"}))
        ),
        "ineligible",
        0,
        "人均月收入 600.00 元 ≥ 标准",
    ),
    Scenario(
        "低保：赡养费等转移性收入计入家庭收入",
        f"{N57} 第十三条",
        lambda: means(household(p(wages=40000, extra=(Income("transfer", 80000),)), p())),
        "ineligible",
        0,
        "家庭月收入 1200.00 元",
    ),
    Scenario(
        "低保：金融资产超过 24 个月标准（人均）不符合",
        f"{R649} 第九条（财产状况）",
        lambda: means(household(p(assets=(Asset("deposit", 2_688_001),)), p())),
        "ineligible",
        0,
        "> 上限 26880.00 元",
    ),
    Scenario(
        "低保：拥有非生产用机动车辆不符合",
        f"{R649} 第九条（财产状况）",
        lambda: means(household(p(assets=(Asset("vehicle", 5_000_000),)), p())),
        "ineligible",
        0,
        "非生产用机动车辆 1 辆",
    ),
    # ---------------------------------------------------------------- partial coverage amounts
    Scenario(
        "低保：四人户 B 类保障两人，按人补差",
        f"{R649} 第十二条；分类施保（区方案）",
        lambda: cover(FOUR, list(FOUR.members[:2]), "B"),
        "accepted",
        2 * 36000,
        "保障 2 人",
    ),
    Scenario(
        "低保：保障对象含 70 岁以上一级残疾老人，就高加发重残 100 元",
        "分类施保（区方案）",
        lambda: cover(FOUR, [FOUR.members[0], OLD_SEVERE], "B"),
        "accepted",
        2 * 36000 + 10000,
        "就高，不重复享受",
    ),
    Scenario(
        "低保：保障对象含未满 16 周岁儿童，加发 40 元",
        "分类施保（区方案）",
        lambda: cover(FOUR, list(FOUR.members[1:3]), "B"),
        "accepted",
        2 * 36000 + 4000,
        "未满 16 周岁",
    ),
    Scenario(
        "低保：A 类全户保障四人",
        "分类施保（区方案）",
        lambda: cover(FOUR, list(FOUR.members), "A"),
        "accepted",
        4 * 36000 + 10000 + 4000,
        "保障 4 人",
    ),
    Scenario(
        "低保：A 类只保障两人，拒绝",
        "分类施保（区方案）",
        lambda: cover(FOUR, list(FOUR.members[:2]), "A"),
        "refused",
        0,
        "应全户纳入",
    ),
    Scenario(
        "低保：B 类四人户只保障一人（非单人保），拒绝",
        "分类施保（区方案）",
        lambda: cover(FOUR, [OLD_SEVERE], "B"),
        "refused",
        0,
        "至少保障 2 人",
    ),
    Scenario(
        "低保：分档定额法 C 类保障两人",
        "分类施保（区方案）",
        lambda: cover(FOUR, list(FOUR.members[:2]), "C", config(amount_method="class")),
        "accepted",
        2 * 19000,
        "C 类 190.00 元 × 保障 2 人",
    ),
    # ---------------------------------------------------------------- single-person route
    Scenario(
        "单人保：低保边缘家庭中一级肢体残疾成员单独纳入",
        f"{N57} 第八条（一）；民发〔2022〕83号 一(四)",
        lambda: cover(EDGE, [DISABLED], "A"),
        "accepted",
        56000 + 10000,
        "参照单人户",
    ),
    Scenario(
        "单人保：核对结论写明只能单独纳入该成员",
        f"{N57} 第八条",
        lambda: means(EDGE),
        "eligible",
        66000,
        "可按单人保单独纳入：甲（一级肢体）",
    ),
    Scenario(
        "单人保：三级智力残疾成员可单独纳入（无重残加发）",
        f"{N57} 第八条（一）",
        lambda: cover(household(p(wages=120000), INTELLECTUAL_3), [INTELLECTUAL_3], "B"),
        "accepted",
        56000,
        "三级智力残疾",
    ),
    Scenario(
        "单人保：患重特大疾病成员可单独纳入（加发大病 80 元）",
        f"{N57} 第八条（二）",
        lambda: cover(household(p(wages=120000), ILL), [ILL], "B"),
        "accepted",
        56000 + 8000,
        "患重特大疾病",
    ),
    Scenario(
        "单人保：本人有收入时按本人收入补差",
        "民发〔2022〕83号 一(四)（参照单人户）",
        lambda: cover(household(p(wages=100000), EARNING_DISABLED), [EARNING_DISABLED], "B"),
        "accepted",
        36000 + 10000,
        "本人月收入 200.00 元",
    ),
    Scenario(
        "单人保：三级肢体残疾不属于单独纳入情形",
        f"{N57} 第八条（一）",
        lambda: means(household(p(wages=120000), PHYSICAL_3)),
        "ineligible",
        0,
        "不符合低保家庭经济状况条件",
    ),
    Scenario(
        "单人保：人均收入达到 1.5 倍标准，不属于低保边缘家庭",
        f"{N57} 第八条第二款",
        lambda: means(household(p(wages=168000), DISABLED)),
        "ineligible",
        0,
        "不符合低保家庭经济状况条件",
    ),
    Scenario(
        "单人保：边缘家庭只能单独纳入一人，保障两人被拒绝",
        f"{N57} 第八条",
        lambda: cover(EDGE, list(EDGE.members), "A"),
        "refused",
        0,
        "只能按单人保单独纳入 1 人",
    ),
    Scenario(
        "单人保：边缘倍数配置为 2 倍时人均 1,000 元仍可单独纳入",
        f"{N57} 第八条第二款（倍数为配置）",
        lambda: cover(
            household(p(wages=200000), DISABLED),
            [DISABLED],
            "A",
            config(edge_multiple=Decimal("2")),
        ),
        "accepted",
        66000,
        "2 × 标准",
    ),
    # ---------------------------------------------------------------- 特困 eligibility
    Scenario(
        "特困：年满 60 周岁，全自理",
        f"{N43} 第五条（一）、第二十二条",
        lambda: tekun(p(born=OLD)),
        "eligible",
        72800 + 20000,
        "年满 60 周岁",
    ),
    Scenario(
        "特困：未满 16 周岁",
        f"{N43} 第五条（二）",
        lambda: tekun(p(born=CHILD)),
        "eligible",
        92800,
        "未满 16 周岁",
    ),
    Scenario(
        "特困：45 周岁无残疾，不属于无劳动能力",
        f"{N43} 第五条",
        lambda: tekun(p()),
        "ineligible",
        0,
        "无残疾人证",
    ),
    Scenario(
        "特困：三级智力残疾，部分护理",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=3, dtype="intellectual"), "partial"),
        "eligible",
        72800 + 60000,
        "三级智力残疾（第五条（三））",
    ),
    Scenario(
        "特困：三级精神残疾",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=3, dtype="mental")),
        "eligible",
        92800,
        "三级精神残疾",
    ),
    Scenario(
        "特困：二级肢体残疾，全护理",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=2, dtype="physical"), "full"),
        "eligible",
        72800 + 120000,
        "二级肢体残疾",
    ),
    Scenario(
        "特困：三级肢体残疾不属于无劳动能力",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=3, dtype="physical")),
        "ineligible",
        0,
        "三级肢体残疾不属于第五条（三）所列情形",
    ),
    Scenario(
        "特困：一级视力残疾",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=1, dtype="visual")),
        "eligible",
        92800,
        "一级视力残疾",
    ),
    Scenario(
        "特困：二级视力残疾不属于无劳动能力",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=2, dtype="visual")),
        "ineligible",
        0,
        "二级视力残疾不属于",
    ),
    Scenario(
        "特困：一级听力残疾不在所列类别",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=1, dtype="hearing")),
        "ineligible",
        0,
        "一级听力残疾不属于",
    ),
    Scenario(
        "特困：残疾类别未登记，不能认定",
        f"{N43} 第五条（三）",
        lambda: tekun(p(grade=1)),
        "ineligible",
        0,
        "须补录残疾类别",
    ),
    Scenario(
        "特困：16 周岁在校学生，国家规定不作为无劳动能力（开关关闭）",
        f"{N43} 第五条",
        lambda: tekun(p(born=SIXTEEN, student=True)),
        "ineligible",
        0,
        "本区未启用省级规定",
    ),
    Scenario(
        "特困：17 周岁在校学生，启用省级规定（待核实）后纳入",
        f"{N43} 第五条（四）（福建省办法）",
        lambda: tekun(p(born=SEVENTEEN, student=True), cfg=tk(student_16_plus_no_labour=True)),
        "eligible",
        92800,
        "省级规定的其他情形",
    ),
    Scenario(
        "特困复核：已在供养的 17 周岁未成年人继续享有至 18 周岁",
        f"{N43} 第二十四条",
        lambda: tekun(p(born=SEVENTEEN), supported=True),
        "eligible",
        92800,
        "可继续享有至 18 周岁",
    ),
    Scenario(
        "特困复核：年满 18 周岁仍在校就读，继续享有",
        f"{N43} 第二十四条",
        lambda: tekun(p(born=EIGHTEEN, student=True), supported=True),
        "eligible",
        92800,
        "仍在校就读，可继续享有",
    ),
    Scenario(
        "特困复核：年满 18 周岁不在校，不再属于无劳动能力",
        f"{N43} 第二十四条、第五条",
        lambda: tekun(p(born=EIGHTEEN), supported=True),
        "ineligible",
        0,
        "18 周岁",
    ),
    Scenario(
        "特困：基础养老金、高龄津贴不计入，仍无生活来源",
        f"{N43} 第六条第二款",
        lambda: tekun(
            p(born=OLD, extra=(Income("basic_pension", 20000), Income("elderly_allowance", 50000)))
        ),
        "eligible",
        92800,
        "不计入：城乡居民基本养老保险基础养老金 200.00 元、高龄津贴 500.00 元",
    ),
    Scenario(
        "特困：本人月收入达到低保标准，不属于无生活来源",
        f"{N43} 第六条第一款",
        lambda: tekun(p(born=OLD, wages=56000)),
        "ineligible",
        0,
        "≥ 低保标准",
    ),
    Scenario(
        "特困：本区基本生活标准 800 元（不低于下限）",
        "基本生活标准不低于 1.3 倍低保标准（出处待核实）",
        lambda: tekun(p(born=OLD), cfg=tk(basic_standard_fen=80000)),
        "eligible",
        80000 + 20000,
        "本区标准",
    ),
    Scenario(
        "特困：配置的基本生活标准低于 1.3 倍低保标准，载入时拒绝",
        "基本生活标准不低于 1.3 倍低保标准（出处待核实）",
        lambda: load(
            SEED_TEXT.replace(
                "      care_self_care_fen: 20000\n      care_partial_fen: 60000\n"
                "      care_full_fen: 120000\n      excluded_income: [",
                "      basic_standard_fen: 72799\n      care_self_care_fen: 20000\n"
                "      care_partial_fen: 60000\n      care_full_fen: 120000\n"
                "      excluded_income: [",
            )
        ),
        "refused",
        72800,
        "低于下限 728.00 元",
    ),
    Scenario(
        "特困：比例配置低于 1.3，载入时拒绝",
        "基本生活标准不低于 1.3 倍低保标准（出处待核实）",
        lambda: load(SEED_TEXT.replace('ratio: "1.3"', 'ratio: "1.2"')),
        "refused",
        72800,
        "不得低于低保标准的 1.3 倍",
    ),
    # ---------------------------------------------------------------- 临时救助
    Scenario(
        "临时救助：因病申请超过上限，核减至 12 倍标准，报区审批",
        f"{R649} 第四十九条；{N23} 二(三)",
        lambda: temporary("因病", 800000),
        "approvable",
        672000,
        "审批层级：district",
    ),
    Scenario(
        "临时救助：因灾 1,000 元，乡镇审批（报区备案）",
        f"{R649} 第四十八条",
        lambda: temporary("因灾", 100000),
        "approvable",
        100000,
        "审批层级：township",
    ),
    Scenario(
        "临时救助：恰好等于乡镇审批额度，仍由乡镇审批",
        f"{R649} 第四十八条",
        lambda: temporary("因灾", 200000),
        "approvable",
        200000,
        "审批层级：township",
    ),
    Scenario(
        "临时救助：超过乡镇审批额度一分，报区审批",
        f"{R649} 第四十八条",
        lambda: temporary("因灾", 200001),
        "approvable",
        200001,
        "审批层级：district",
    ),
    Scenario(
        "临时救助：同一事由 365 天内无新情况，不予救助",
        "同一事由不重复救助（地方规定；国家依据待核实）",
        lambda: temporary(
            "因病", 50000, prior=(PriorAssistance("LS-1", "因病", ON - timedelta(days=30)),)
        ),
        "refused",
        0,
        "LS-1",
    ),
    Scenario(
        "临时救助：同一事由但有新情况，可再次救助",
        "同一事由不重复救助（国家依据待核实）",
        lambda: temporary(
            "因病",
            50000,
            grounds="病情复发再次住院",
            prior=(PriorAssistance("LS-1", "因病", ON - timedelta(days=30)),),
        ),
        "approvable",
        50000,
        "有新情况",
    ),
    Scenario(
        "临时救助：同一事由超过 365 天，可再次救助",
        "同一事由不重复救助（国家依据待核实）",
        lambda: temporary(
            "因病", 50000, prior=(PriorAssistance("LS-1", "因病", ON - timedelta(days=366)),)
        ),
        "approvable",
        50000,
        "365 天内无",
    ),
    Scenario(
        "临时救助：低保/特困家庭上浮比例默认 0%",
        "低保特困家庭提高救助水平（国家依据待核实）",
        lambda: temporary("因灾", 500000, programme=True),
        "approvable",
        336000,
        "6 × 月低保标准",
    ),
    Scenario(
        "临时救助：配置上浮 20% 后低保家庭上限提高",
        "低保特困家庭提高救助水平（国家依据待核实）",
        lambda: temporary(
            "因灾", 500000, programme=True, cfg=tmp(programme_household_raise_percent=20)
        ),
        "approvable",
        403200,
        "上浮 20%",
    ),
    Scenario(
        "先行救助：三人户 1,500 元，不超过 1 个月标准 × 3 人",
        f"{N23} 二(二)（上限数值待核实）",
        lambda: advance(3, 150000),
        "accepted",
        168000,
        "≤上限 1680.00 元",
    ),
    Scenario(
        "先行救助：超过上限（10 万元）被拒绝",
        f"{N23} 二(二)（上限数值待核实）",
        lambda: advance(3, 10_000_000),
        "refused",
        168000,
        "超过上限 1680.00 元",
    ),
    Scenario(
        "先行救助：固定上限 1,000 元低于按人计算的上限",
        f"{N23} 二(二)（上限数值待核实）",
        lambda: advance(3, 100001, tmp(advance_max_fen=100000)),
        "refused",
        100000,
        "且不超过 1000.00 元",
    ),
    # ---------------------------------------------------------------- 提标
    Scenario(
        "提标：低保标准 560→600 元，两人保障户每月增发 80 元",
        f"{R649} 第十二条（按标准差额发放）",
        lambda: rise(
            config(),
            config(effective_from=date(2027, 1, 1), dibao_standard_fen=60000),
            household(p(wages=40000), p()),
        ),
        "changed",
        8000,
        "+80.00 元",
    ),
    Scenario(
        "提标：特困基本生活标准随低保标准上调（1.3 倍）",
        f"{N43}；基本生活标准 1.3 倍（出处待核实）",
        lambda: tekun_rise("partial"),
        "changed",
        78000 - 72800,
        "→",
    ),
]


@pytest.mark.parametrize("row", SCENARIOS, ids=[s.description for s in SCENARIOS])
def test_scenario(row: Scenario) -> None:
    outcome, fen, text = row.run()
    assert (outcome, fen) == (row.outcome, row.fen), text
    assert row.says in text, text
    assert row.basis


def test_the_table_cites_a_rule_for_every_row_and_has_no_duplicate_descriptions() -> None:
    assert len({s.description for s in SCENARIOS}) == len(SCENARIOS)
    assert all(s.basis.strip() for s in SCENARIOS)
