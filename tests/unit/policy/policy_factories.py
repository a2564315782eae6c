"""Small builders shared by the policy tests (a plain module, not a conftest)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from caseflow.policy.config import (
    ClassAmounts,
    PolicyConfig,
    PolicyTable,
    PropertyLimits,
    TekunRules,
    TemporaryRules,
    TopUps,
    load_policy_yaml,
)
from caseflow.policy.facts import Asset, HouseholdFacts, Income, MemberFacts

SEED = Path(__file__).resolve().parents[3] / "seed" / "policy" / "640502-example.yaml"
ON = date(2026, 3, 1)


@cache
def seed_table() -> PolicyTable:
    """The example seed file, loaded once."""
    return load_policy_yaml(SEED)


def config(**changes: Any) -> PolicyConfig:
    """A fixed, fully explicit config (standard 560.00) independent of the seed file's values."""
    base = PolicyConfig(
        region="640502",
        effective_from=date(2026, 1, 1),
        is_example=False,
        label_zh="2026 年度标准",
        dibao_standard_fen=56000,
        amount_method="gap",
        registry_line_fen=62500,
        property=PropertyLimits(
            financial_months=24,
            financial_per_capita=True,
            non_work_vehicle_excludes=True,
            employing_others_excludes=True,
            max_housing_units=1,
        ),
        class_amounts=ClassAmounts(a_fen=47000, b_fen=34000, c_fen=19000),
        top_ups=TopUps(
            severe_disability_fen=10000,
            serious_illness_fen=8000,
            elderly_fen=5000,
            elderly_age=70,
            minor_fen=4000,
            minor_age=16,
            rule="highest",
        ),
        tekun=TekunRules(
            care_self_care_fen=20000,
            care_partial_fen=60000,
            care_full_fen=120000,
            ratio=Decimal("1.3"),
        ),
        temporary=TemporaryRules(
            cap_multiples={"因病": Decimal("12"), "因灾": Decimal("6"), "其他": Decimal("2.5")},
            township_ceiling_fen=200000,
            repeat_window_days=365,
        ),
    )
    return replace(base, **changes)


_counter = iter(range(10**6))


def member(
    *,
    income: int = 0,
    born: date = date(1980, 5, 1),
    labour: str = "full",
    health: str = "healthy",
    grade: int | None = None,
    dtype: str | None = None,
    assets: tuple[Asset, ...] = (),
    supporter: bool = False,
    name: str | None = None,
    id_number: str | None = None,
    incomes: tuple[Income, ...] = (),
    student: bool = False,
) -> MemberFacts:
    """A member with sensible defaults; `income` is monthly wages in fen, `incomes` any more
    items (e.g. excluded categories), `dtype` the disability type code."""
    n = next(_counter)
    return MemberFacts(
        id_number=id_number or f"640502{n:012d}",
        name=name or f"成员{n}",
        relation="本人",
        birth_date=born,
        labour_capacity=labour,  # type: ignore[arg-type]
        health=health,  # type: ignore[arg-type]
        disability_grade=grade,
        incomes=((Income("wages", income),) if income else ()) + incomes,
        assets=assets,
        is_student=student,
        has_supporter_able_to_pay=supporter,
        disability_type=dtype,  # type: ignore[arg-type]
    )


def household(
    *members: MemberFacts, stable: bool = True, cause: str | None = None
) -> HouseholdFacts:
    """A household of the given members."""
    return HouseholdFacts(members=tuple(members), main_cause=cause, income_stable=stable)


def with_incomes(*monthly_fen: int) -> HouseholdFacts:
    """A household with one member per income figure."""
    return household(*(member(income=f) for f in monthly_fen))
