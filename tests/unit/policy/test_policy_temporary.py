"""临时救助: caps per cause, approval level and the repeat-cause check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from policy_factories import config, seed_table

from caseflow.policy.config import PolicyError
from caseflow.policy.temporary import (
    TMP_CAP,
    TMP_LEVEL,
    TMP_REPEAT,
    PriorAssistance,
    TemporaryRequest,
    approval_level,
    assess_temporary,
    assess_temporary_with,
    cap_fen,
)

DAY = date(2026, 5, 10)


@pytest.mark.parametrize(
    ("cause", "cap"),
    [("因病", 12 * 56000), ("因灾", 6 * 56000), ("其他", 140000)],
)
def test_cap_is_a_multiple_of_the_monthly_standard(cause: str, cap: int) -> None:
    assert cap_fen(config(), cause) == cap


def test_cap_rounds_half_up() -> None:
    # 2.5 × 333.33 = 833.325 yuan → 833.33
    assert cap_fen(config(dibao_standard_fen=33333), "其他") == 83333


def test_unknown_cause_is_refused() -> None:
    with pytest.raises(PolicyError, match="未配置的救助事由：因学"):
        cap_fen(config(), "因学")


@pytest.mark.parametrize(
    ("amount", "level"),
    [(0, "township"), (199999, "township"), (200000, "township"), (200001, "district")],
)
def test_approval_level_at_the_ceiling(amount: int, level: str) -> None:
    assert approval_level(config(), amount) == level


@pytest.mark.parametrize(
    ("requested", "granted", "level", "cap_detail", "level_detail"),
    [
        (150000, 150000, "township",
         "申请 1500.00 元，上限 6720.00 元（12 × 月低保标准 560.00 元），核定 1500.00 元",
         "核定 1500.00 元 ≤ 乡镇审批额度 2000.00 元 → 乡镇（街道）审批，报区民政局备案"),
        (500000, 500000, "district", "核定 5000.00 元",
         "核定 5000.00 元 > 乡镇审批额度 2000.00 元 → 区民政局审批"),
        (900000, 672000, "district", "上限 6720.00 元（12 × 月低保标准 560.00 元），核减至上限，"
         "核定 6720.00 元", "区民政局审批"),
    ],
)  # fmt: skip
def test_grant_cap_and_level(
    requested: int, granted: int, level: str, cap_detail: str, level_detail: str
) -> None:
    request = TemporaryRequest("expenditure", "因病", requested, DAY)
    result = assess_temporary_with(request, [], config())
    assert (result.granted_fen, result.approval_level) == (granted, level)
    assert result.decision.outcome == "approvable"
    assert cap_detail in result.decision.result(TMP_CAP).detail_zh
    assert level_detail in result.decision.result(TMP_LEVEL).detail_zh


PRIOR = [
    PriorAssistance("LS-2025-031", "因病", DAY - timedelta(days=365)),
    PriorAssistance("LS-2024-007", "因病", DAY - timedelta(days=366)),
    PriorAssistance("LS-2026-002", "因灾", DAY - timedelta(days=30)),
]


@pytest.mark.parametrize(
    ("cause", "grounds", "outcome", "linked", "detail"),
    [
        ("因病", None, "refused", ("LS-2025-031",),
         "365 天内已因同一事由「因病」获救助：LS-2025-031（2025-05-10），且无新的情况"),
        ("因病", "新确诊恶性肿瘤，住院费用 3 万元", "approvable", ("LS-2025-031",),
         "有新情况：新确诊恶性肿瘤"),
        ("因灾", None, "refused", ("LS-2026-002",), "LS-2026-002（2026-04-10）"),
        ("其他", None, "approvable", (), "365 天内无因「其他」获得的临时救助"),
    ],
)  # fmt: skip
def test_repeat_cause(
    cause: str, grounds: str | None, outcome: str, linked: tuple[str, ...], detail: str
) -> None:
    request = TemporaryRequest("urgent", cause, 100000, DAY, grounds)
    result = assess_temporary_with(request, PRIOR, config())
    assert result.decision.outcome == outcome
    assert result.linked_case_refs == linked
    repeat = result.decision.result(TMP_REPEAT)
    assert detail in repeat.detail_zh
    assert repeat.figures["linked_case_refs"] == "、".join(linked)
    if outcome == "refused":
        assert result.granted_fen == 0
        assert result.decision.outcome_zh == (
            f"不予救助：同一事由重复申请（关联案件 {'、'.join(linked)}）"
        )


def test_explanation_of_a_refusal() -> None:
    request = TemporaryRequest("urgent", "因病", 100000, DAY)
    text = assess_temporary(request, PRIOR, seed_table()).decision.explain_zh()
    assert text.splitlines()[0].startswith("依据：2026 年度农村低保标准（示例）")
    assert "[TMP-CAUSE] 救助类型与事由：急难型，事由「因病」：通过" in text
    assert "[TMP-REPEAT] 同一事由重复救助：" in text
    assert "且无新的情况：不通过" in text
    assert text.endswith("结论：不予救助：同一事由重复申请（关联案件 LS-2025-031）")


def test_bad_request_values() -> None:
    with pytest.raises(PolicyError):
        TemporaryRequest("sudden", "因病", 1, DAY)  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        TemporaryRequest("urgent", "因病", -1, DAY)


@given(st.integers(0, 10**8), st.sampled_from(["因病", "因灾", "其他"]), st.integers(1, 10**6))
def test_granted_never_negative_nor_above_cap(requested: int, cause: str, standard: int) -> None:
    cfg = config(dibao_standard_fen=standard)
    result = assess_temporary_with(TemporaryRequest("urgent", cause, requested, DAY), [], cfg)
    assert 0 <= result.granted_fen <= result.cap_fen
    assert result.granted_fen <= requested
