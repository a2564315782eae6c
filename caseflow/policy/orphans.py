"""孤儿 and 事实无人抚养儿童: who is identified as which. The dated monthly allowance is policy
configuration (the `orphans` section of caseflow.policy.config, entered like every standard).

Sources (verified with the search tool where said, otherwise 待核实):
- 孤儿: a child under 18 whose parents are both dead or declared missing (宣告失踪); the wording
  of 《国务院办公厅关于加强孤儿保障工作的意见》(国办发〔2010〕54号) — article 待核实.
- 事实无人抚养儿童: 民政部等12部门《关于进一步加强事实无人抚养儿童保障工作的意见》
  (民发〔2019〕62号), part 一 (保障对象): "父母双方均符合重残、重病、服刑在押、强制隔离戒毒、
  被执行其他限制人身自由的措施、失联情形之一的儿童；或者父母一方死亡或失踪，另一方符合重残、
  重病、服刑在押、强制隔离戒毒、被执行其他限制人身自由的措施、失联情形之一的儿童", children
  meaning under 18. Wording verified against 粤民规字〔2019〕10号, which restates it; the
  national text's numbering (一、（一）) 待核实. The precise meaning of 重残 (一级、二级残疾 …)
  and 重病 is set by each province: 待核实.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from caseflow.kernel.timeutil import full_years

ParentStatus = Literal[
    "present",  # alive and able to raise the child
    "dead",
    "declared_missing",  # 宣告失踪 by a court
    "severe_disability",  # 重残
    "severe_illness",  # 重病
    "imprisoned",  # 服刑在押
    "compulsory_rehab",  # 强制隔离戒毒
    "other_detention",  # 被执行其他限制人身自由的措施
    "lost_contact",  # 失联
]
Category = Literal["orphan", "de_facto_unsupported"]
Setting = Literal["centralised", "dispersed"]

PARENT_STATUS_ZH: dict[str, str] = {
    "present": "在世且能履行抚养义务",
    "dead": "死亡",
    "declared_missing": "宣告失踪",
    "severe_disability": "重残",
    "severe_illness": "重病",
    "imprisoned": "服刑在押",
    "compulsory_rehab": "强制隔离戒毒",
    "other_detention": "被执行其他限制人身自由的措施",
    "lost_contact": "失联",
}
CATEGORY_ZH: dict[str, str] = {"orphan": "孤儿", "de_facto_unsupported": "事实无人抚养儿童"}
SETTING_ZH: dict[str, str] = {"centralised": "集中养育", "dispersed": "社会散居"}

ORPHAN_BASIS = "国办发〔2010〕54号（条款待核实）"
DE_FACTO_BASIS = "民发〔2019〕62号 一、保障对象（条款编号待核实）"
MAJORITY_AGE = 18

GONE: frozenset[str] = frozenset({"dead", "declared_missing"})
UNABLE: frozenset[str] = frozenset(
    {
        "severe_disability",
        "severe_illness",
        "imprisoned",
        "compulsory_rehab",
        "other_detention",
        "lost_contact",
    }
)


@dataclass(frozen=True)
class Identification:
    category: Category | None
    basis: str
    reason_zh: str


def age_on(birth: date, day: date) -> int:
    """Full years of age on `day` (a birthday counts on the day itself)."""
    return full_years(birth, day)


def is_minor(birth: date, day: date) -> bool:
    return age_on(birth, day) < MAJORITY_AGE


def identify(father: str, mother: str) -> Identification:
    """Which program the parents' situations make the child eligible for, with the reason."""
    for status in (father, mother):
        if status not in PARENT_STATUS_ZH:
            raise ValueError(f"未知的父母情形：{status}")
    zh = f"父亲{PARENT_STATUS_ZH[father]}，母亲{PARENT_STATUS_ZH[mother]}"
    if father in GONE and mother in GONE:
        return Identification("orphan", ORPHAN_BASIS, f"{zh}：父母双方均死亡或宣告失踪，认定为孤儿")
    both_unable = father in UNABLE and mother in UNABLE
    one_gone_other_unable = (father in GONE and mother in UNABLE) or (
        mother in GONE and father in UNABLE
    )
    if both_unable or one_gone_other_unable:
        return Identification(
            "de_facto_unsupported",
            DE_FACTO_BASIS,
            f"{zh}：符合事实无人抚养儿童情形",
        )
    return Identification(None, DE_FACTO_BASIS, f"{zh}：不符合孤儿或事实无人抚养儿童认定条件")
