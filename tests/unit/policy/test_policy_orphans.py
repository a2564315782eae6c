"""孤儿 / 事实无人抚养儿童: identification from the parents' situations, age (the dated allowance is
policy configuration: tests/unit/policy/test_policy_config.py)."""

from __future__ import annotations

from datetime import date

import pytest

from caseflow.policy.orphans import age_on, identify, is_minor

GONE = ["dead", "declared_missing"]
UNABLE = [
    "severe_disability",
    "severe_illness",
    "imprisoned",
    "compulsory_rehab",
    "other_detention",
    "lost_contact",
]


@pytest.mark.parametrize("father", GONE)
@pytest.mark.parametrize("mother", GONE)
def test_both_parents_dead_or_declared_missing_is_an_orphan(father: str, mother: str) -> None:
    found = identify(father, mother)
    assert found.category == "orphan"
    assert "孤儿" in found.reason_zh


@pytest.mark.parametrize("father", UNABLE)
@pytest.mark.parametrize("mother", UNABLE)
def test_both_parents_in_a_listed_situation_is_de_facto_unsupported(
    father: str, mother: str
) -> None:
    found = identify(father, mother)
    assert found.category == "de_facto_unsupported"
    assert "民发〔2019〕62号" in found.basis


@pytest.mark.parametrize("gone", GONE)
@pytest.mark.parametrize("unable", UNABLE)
def test_one_parent_gone_and_the_other_unable_is_de_facto_unsupported(
    gone: str, unable: str
) -> None:
    assert identify(gone, unable).category == "de_facto_unsupported"
    assert identify(unable, gone).category == "de_facto_unsupported"


@pytest.mark.parametrize("other", [*GONE, *UNABLE])
def test_a_parent_able_to_raise_the_child_means_neither(other: str) -> None:
    assert identify("present", other).category is None
    assert identify(other, "present").category is None
    assert "不符合" in identify(other, "present").reason_zh


def test_an_unknown_parent_situation_is_refused() -> None:
    with pytest.raises(ValueError, match="未知的父母情形"):
        identify("divorced", "dead")


def test_age_counts_full_years_and_the_eighteenth_birthday_ends_minority() -> None:
    birth = date(2008, 3, 15)
    assert age_on(birth, date(2026, 3, 14)) == 17
    assert is_minor(birth, date(2026, 3, 14))
    assert age_on(birth, date(2026, 3, 15)) == 18
    assert not is_minor(birth, date(2026, 3, 15))
