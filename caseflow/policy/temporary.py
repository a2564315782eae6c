"""临时救助 (temporary assistance): cap per cause, approval level and the repeat-cause check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from caseflow.policy.config import PolicyConfig, PolicyError, PolicyTable
from caseflow.policy.explain import Decision, RuleResult, make_decision, round_half_up, yuan

Kind = Literal["urgent", "expenditure"]
ApprovalLevel = Literal["township", "district"]

KIND_ZH: dict[str, str] = {"urgent": "急难型", "expenditure": "支出型"}
LEVEL_ZH: dict[str, str] = {
    "township": "乡镇（街道）审批，报区民政局备案",
    "district": "区民政局审批",
}

TMP_CAUSE = "TMP-CAUSE"
TMP_REPEAT = "TMP-REPEAT"
TMP_CAP = "TMP-CAP"
TMP_LEVEL = "TMP-LEVEL"
TMP_ADVANCE = "TMP-ADVANCE"

# 先行救助 for 急难型 cases: "简化…公示等环节，直接予以救助" (民发〔2018〕23号 二(二)). The text
# sets no amount; the cap's figures are dated configuration (example values, 待核实).
ADVANCE_BASIS = "民发〔2018〕23号 二(二)"
# Publicity before approval (社会救助暂行办法 第四十八条 "经审核、公示后").
PUBLICITY_BASIS = "社会救助暂行办法（国务院令第649号）第四十八条"


@dataclass(frozen=True)
class PriorAssistance:
    """An earlier temporary-assistance case of the same household."""

    case_ref: str
    cause: str
    decided_on: date


@dataclass(frozen=True)
class TemporaryRequest:
    """A request for temporary assistance as accepted at the one window."""

    kind: Kind
    cause: str  # must be a key of the config's cap_multiples
    requested_fen: int
    applied_on: date
    new_grounds_zh: str | None = None  # new facts that justify helping again for the same cause
    programme_household: bool = False  # the household is in 低保 or 特困 (raised cap, if set)

    def __post_init__(self) -> None:
        if self.kind not in KIND_ZH:
            raise PolicyError(f"救助类型无效：{self.kind!r}")
        amount = self.requested_fen
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise PolicyError(f"申请金额必须是不小于 0 的整数（分），实际为 {amount!r}")


@dataclass(frozen=True)
class TemporaryDecision:
    """The outcome: granted amount (0 when refused), approval level and the linked earlier cases."""

    granted_fen: int
    cap_fen: int
    approval_level: ApprovalLevel
    linked_case_refs: tuple[str, ...]
    decision: Decision


def cap_fen(config: PolicyConfig, cause: str, programme_household: bool = False) -> int:
    """The cap for a cause: its multiple × the monthly 低保 standard, rounded half up to fen;
    raised by the configured percentage for households in 低保/特困 (0 % unless configured)."""
    multiple = config.temporary.cap_multiples.get(cause)
    if multiple is None:
        known = "、".join(sorted(config.temporary.cap_multiples))
        raise PolicyError(f"未配置的救助事由：{cause}（已配置：{known}）")
    base = multiple * Decimal(config.dibao_standard_fen)
    if programme_household:
        base = base * (100 + config.temporary.programme_household_raise_percent) / 100
    return round_half_up(base)


def advance_cap_fen(config: PolicyConfig, household_size: int) -> int:
    """The cap of a 先行救助 advance: advance_months × the monthly 低保 standard × the household
    size (rounded half up to fen), and no more than advance_max_fen when configured."""
    rules = config.temporary
    cap = round_half_up(
        rules.advance_months * Decimal(config.dibao_standard_fen) * Decimal(household_size)
    )
    return cap if rules.advance_max_fen is None else min(cap, rules.advance_max_fen)


def check_advance(config: PolicyConfig, household_size: int, amount_fen: int) -> RuleResult:
    """A 先行救助 advance (cash plus the value of goods) within its cap, with the reason."""
    rules = config.temporary
    cap = advance_cap_fen(config, household_size)
    basis = (
        f"{rules.advance_months} 个月低保标准 {yuan(config.dibao_standard_fen)} × 家庭 "
        f"{household_size} 人"
    )
    if rules.advance_max_fen is not None:
        basis += f"，且不超过 {yuan(rules.advance_max_fen)}"
    ok = 0 <= amount_fen <= cap
    detail = (
        f"先行救助 {yuan(amount_fen)} {'≤' if ok else '超过'}上限 {yuan(cap)}（{basis}；"
        f"依据{ADVANCE_BASIS}，上限数值待核实）"
    )
    figures: dict[str, int | str | bool] = {"amount_fen": amount_fen, "cap_fen": cap}
    return RuleResult(TMP_ADVANCE, "先行救助金额上限", ok, detail, figures)


def approval_level(config: PolicyConfig, amount_fen: int) -> ApprovalLevel:
    """Township up to and including its ceiling, district above it."""
    return "township" if amount_fen <= config.temporary.township_ceiling_fen else "district"


def _repeat_result(
    request: TemporaryRequest, prior: Iterable[PriorAssistance], window_days: int
) -> tuple[tuple[str, ...], RuleResult]:
    recent = sorted(
        (
            p
            for p in prior
            if p.cause == request.cause
            and p.decided_on <= request.applied_on
            and (request.applied_on - p.decided_on).days <= window_days
        ),
        key=lambda p: (p.decided_on, p.case_ref),
    )
    refs = tuple(p.case_ref for p in recent)
    figures: dict[str, int | str | bool] = {
        "window_days": window_days,
        "linked_case_refs": "、".join(refs),
    }
    label = "同一事由重复救助"
    if not recent:
        detail = f"{window_days} 天内无因「{request.cause}」获得的临时救助"
        return refs, RuleResult(TMP_REPEAT, label, True, detail, figures)
    earlier = "、".join(f"{p.case_ref}（{p.decided_on.isoformat()}）" for p in recent)
    if request.new_grounds_zh:
        detail = (
            f"{window_days} 天内已因同一事由获救助：{earlier}；有新情况：{request.new_grounds_zh}"
        )
        return refs, RuleResult(TMP_REPEAT, label, True, detail, figures)
    detail = f"{window_days} 天内已因同一事由「{request.cause}」获救助：{earlier}，且无新的情况"
    return refs, RuleResult(TMP_REPEAT, label, False, detail, figures)


def assess_temporary_with(
    request: TemporaryRequest,
    prior: Iterable[PriorAssistance],
    config: PolicyConfig,
) -> TemporaryDecision:
    """Cap, repeat-cause check and approval level under an explicit configuration."""
    cap = cap_fen(config, request.cause, request.programme_household)
    multiple = config.temporary.cap_multiples[request.cause]
    raise_percent = config.temporary.programme_household_raise_percent
    raised = (
        f"；低保/特困家庭上浮 {raise_percent}%（本区规定，待核实）"
        if request.programme_household and raise_percent
        else ""
    )
    cause_result = RuleResult(
        TMP_CAUSE,
        "救助类型与事由",
        True,
        f"{KIND_ZH[request.kind]}，事由「{request.cause}」",
        {"kind": request.kind, "cause": request.cause},
    )
    refs, repeat = _repeat_result(request, prior, config.temporary.repeat_window_days)
    granted = min(request.requested_fen, cap) if repeat.passed else 0
    trimmed = "，核减至上限" if request.requested_fen > cap else ""
    cap_result = RuleResult(
        TMP_CAP,
        "救助金额上限",
        True,
        f"申请 {yuan(request.requested_fen)}，上限 {yuan(cap)}（{multiple} × 月低保标准 "
        f"{yuan(config.dibao_standard_fen)}{raised}）{trimmed}，核定 {yuan(granted)}",
        {"requested_fen": request.requested_fen, "cap_fen": cap, "granted_fen": granted},
    )
    level = approval_level(config, granted)
    ceiling = config.temporary.township_ceiling_fen
    level_result = RuleResult(
        TMP_LEVEL,
        "审批层级",
        True,
        f"核定 {yuan(granted)} {'≤' if level == 'township' else '>'} 乡镇审批额度 "
        f"{yuan(ceiling)} → {LEVEL_ZH[level]}",
        {"level": level, "ceiling_fen": ceiling},
    )
    outcome_zh = (
        f"可予救助 {yuan(granted)}，{LEVEL_ZH[level]}"
        if repeat.passed
        else f"不予救助：同一事由重复申请（关联案件 {'、'.join(refs)}）"
    )
    decision = make_decision(
        "approvable" if repeat.passed else "refused",
        outcome_zh,
        (cause_result, repeat, cap_result, level_result),
        config,
        request.applied_on,
    )
    return TemporaryDecision(granted, cap, level, refs, decision)


def assess_temporary(
    request: TemporaryRequest, prior: Iterable[PriorAssistance], table: PolicyTable
) -> TemporaryDecision:
    """Temporary assistance under the configuration in force on the application date."""
    return assess_temporary_with(request, prior, table.in_force(request.applied_on))
