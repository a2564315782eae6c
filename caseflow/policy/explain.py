"""Rule results and decisions, rendered in Chinese for staff and printouts.

Every decision carries every rule that was applied (passed or not) with its figures, and the date of
the configuration it used, so a printout can always say which year's standard a case was judged by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from caseflow.kernel.money import format_yuan
from caseflow.policy.config import PolicyConfig

Figure = int | str | bool | Decimal


def yuan(fen: int) -> str:
    """12345 → "123.45 元"."""
    return f"{format_yuan(fen)} 元"


def round_half_up(value: Decimal) -> int:
    """Round a Decimal amount of fen to whole fen, halves away from zero (四舍五入)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_up(value: Decimal) -> int:
    """Round a Decimal amount of fen up to whole fen (used where a floor must be guaranteed)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_CEILING))


@dataclass(frozen=True)
class RuleResult:
    """One rule as applied: a stable code, its Chinese label, pass/fail, detail and figures."""

    code: str
    label_zh: str
    passed: bool
    detail_zh: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def line_zh(self) -> str:
        """E.g. "[M1] 收入：人均月收入 412.50 元 < 标准 560.00 元：通过"."""
        verdict = "通过" if self.passed else "不通过"
        return f"[{self.code}] {self.label_zh}：{self.detail_zh}：{verdict}"


@dataclass(frozen=True)
class Decision:
    """The outcome of a set of rules, with the configuration that was used."""

    outcome: str  # machine-readable, e.g. "eligible" / "ineligible"
    results: Sequence[RuleResult]  # stored as a tuple so the decision stays immutable
    config_effective_from: date
    is_example_config: bool
    outcome_zh: str = ""
    config_label_zh: str = ""
    region: str = ""
    decided_on: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", tuple(self.results))

    @property
    def passed(self) -> bool:
        """True when every rule passed."""
        return all(r.passed for r in self.results)

    def failed(self) -> tuple[RuleResult, ...]:
        """The rules that did not pass."""
        return tuple(r for r in self.results if not r.passed)

    def result(self, code: str) -> RuleResult:
        """The result of the rule with this code (KeyError if it was not applied)."""
        for r in self.results:
            if r.code == code:
                return r
        raise KeyError(code)

    def basis_zh(self) -> str:
        """Which configuration was used, e.g. "依据：2026 年度标准（640502，2026-01-01 起施行）"."""
        label = self.config_label_zh or "低保标准"
        where = f"{self.region}，" if self.region else ""
        text = f"依据：{label}（{where}{self.config_effective_from.isoformat()} 起施行）"
        if self.is_example_config:
            text += "【示例数值，待管理员确认】"
        if self.decided_on is not None:
            text += f"；核定日期 {self.decided_on.isoformat()}"
        return text

    def explain_zh(self) -> str:
        """All rules with pass/fail and figures, the configuration used and the conclusion."""
        lines = [self.basis_zh()]
        lines.extend(r.line_zh() for r in self.results)
        lines.append(f"结论：{self.outcome_zh or self.outcome}")
        return "\n".join(lines)


def make_decision(
    outcome: str,
    outcome_zh: str,
    results: Iterable[RuleResult],
    config: PolicyConfig,
    decided_on: date | None = None,
) -> Decision:
    """A Decision stamped with the configuration it was made under."""
    return Decision(
        outcome=outcome,
        outcome_zh=outcome_zh,
        results=tuple(results),
        config_effective_from=config.effective_from,
        is_example_config=config.is_example,
        config_label_zh=config.label_zh,
        region=config.region,
        decided_on=decided_on,
    )
