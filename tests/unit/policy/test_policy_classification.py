"""Classified support: class suggestion, covered-persons rule, class reports."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from policy_factories import household, member

from caseflow.policy.classification import (
    CLS_COVER_A,
    CLS_COVER_BC,
    CLS_COVER_RANGE,
    ClassRow,
    CoverageRefused,
    RowLike,
    c_class_due_report,
    check_covered_persons,
    enforce_covered_persons,
    single_covered_report,
    suggest_class,
)
from caseflow.policy.facts import HouseholdFacts

OLD = date(1940, 1, 1)


@pytest.mark.parametrize(
    ("hh", "cls", "reason", "note"),
    [
        (
            household(member(labour="none", born=OLD), member(labour="none", born=OLD)),
            "A",
            "全户均无劳动能力（无劳动能力），属长期稳定困难",
            None,
        ),
        (
            household(member(labour="none"), member(labour="full", grade=1)),
            "A",
            "全户均无劳动能力（无劳动能力、重度残疾）",
            None,
        ),
        (
            household(member(labour="partial", health="serious_illness")),
            "A",
            "全户均无劳动能力（大病）",
            None,
        ),
        (
            household(member(labour="full"), member(labour="none", grade=2)),
            "B",
            "家庭有重度残疾或大病成员 1 人，虽有劳动力但负担重",
            None,
        ),
        (
            household(member(labour="partial"), member(labour="none")),
            "B",
            "家庭成员仅有部分劳动能力（1 人），收入来源有限",
            None,
        ),
        (
            household(member(labour="partial", grade=3), member(labour="none")),
            "B",
            "仅有部分劳动能力",
            None,
        ),
        (
            household(member(labour="full"), member(labour="none"), stable=False),
            "C",
            "家庭有完全劳动能力成员 1 人，收入不稳定",
            None,
        ),
        (
            household(member(labour="full"), member(labour="full"), stable=True),
            "C",
            "家庭有完全劳动能力成员 2 人",
            "收入已稳定，复核时应考虑提档或清退",
        ),
    ],
)
def test_suggest_class(hh: HouseholdFacts, cls: str, reason: str, note: str | None) -> None:
    suggestion = suggest_class(hh)
    assert suggestion.support_class == cls
    assert reason in suggestion.reason_zh
    assert suggestion.review_note_zh == note
    result = suggestion.as_result()
    assert result.line_zh().startswith(f"[CLS-SUGGEST] 分类施保建议：建议 {cls} 类：")


@pytest.mark.parametrize(
    ("cls", "size", "covered", "passed", "code", "detail"),
    [
        ("A", 3, 3, True, CLS_COVER_A, "A 类按户施保：家庭 3 人，保障 3 人"),
        ("A", 3, 2, False, CLS_COVER_A, "A 类按户施保：家庭 3 人，保障 2 人，应全户纳入"),
        ("A", 1, 1, True, CLS_COVER_A, "家庭 1 人，保障 1 人"),
        ("B", 3, 2, True, CLS_COVER_BC, "B 类至少保障 2 人：家庭 3 人，保障 2 人"),
        ("B", 3, 1, False, CLS_COVER_BC, "B 类至少保障 2 人：家庭 3 人，保障 1 人"),
        ("C", 2, 1, False, CLS_COVER_BC, "C 类至少保障 2 人：家庭 2 人，保障 1 人"),
        ("C", 2, 2, True, CLS_COVER_BC, "C 类至少保障 2 人"),
        # Single-person household: the exception to the two-person rule.
        ("B", 1, 1, True, CLS_COVER_BC, "单人户，保障 1 人（单人户例外）"),
        ("C", 1, 1, True, CLS_COVER_BC, "单人户，保障 1 人（单人户例外）"),
        ("B", 2, 3, False, CLS_COVER_RANGE, "保障人数 3 人必须在 1 至家庭人口 2 人之间"),
        ("C", 2, 0, False, CLS_COVER_RANGE, "保障人数 0 人"),
    ],
)
def test_covered_persons(
    cls: str, size: int, covered: int, passed: bool, code: str, detail: str
) -> None:
    result = check_covered_persons(cls, size, covered)
    assert result.code == code
    assert result.passed is passed
    assert detail in result.detail_zh
    if passed:
        assert enforce_covered_persons(cls, size, covered) == result
    else:
        with pytest.raises(CoverageRefused) as err:
            enforce_covered_persons(cls, size, covered)
        assert err.value.rule == code
        assert detail in err.value.message_zh


def test_unknown_class_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_covered_persons("D", 2, 2)


ROWS: list[RowLike] = [
    ("DB-003", "C", 3, 1),
    ("DB-001", "B", 2, 1),
    ClassRow("DB-002", "B", 1, 1),  # true single-person household: not in the report
    ("DB-004", "A", 4, 4),
    ("DB-005", "C", 2, 2),
]


def test_single_covered_report_excludes_single_person_households() -> None:
    assert [r.case_ref for r in single_covered_report(ROWS)] == ["DB-001", "DB-003"]


def test_c_class_due_report() -> None:
    due = c_class_due_report(reversed(ROWS))
    assert [(r.case_ref, r.covered) for r in due] == [("DB-003", 1), ("DB-005", 2)]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["full", "partial", "none"]),
            st.sampled_from(["healthy", "chronic", "serious_illness"]),
            st.none() | st.integers(1, 4),
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.randoms(),
)
def test_member_order_does_not_change_the_class(
    specs: list[tuple[str, str, int | None]], stable: bool, rnd: random.Random
) -> None:
    members = [member(labour=lab, health=h, grade=g) for lab, h, g in specs]
    shuffled = list(members)
    rnd.shuffle(shuffled)
    assert suggest_class(household(*members, stable=stable)) == suggest_class(
        household(*shuffled, stable=stable)
    )
