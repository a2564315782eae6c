"""Drawing a reproducible random sample: the same population, rate and seed always give the
same cases, so a recorded draw can be redone by anyone checking it."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

BP = 10_000  # basis points in one whole
MAX_SEED = 2**62


def sample_size(population: int, rate_bp: int) -> int:
    """At least the rate's share: a rate of 30 % of 7 cases samples 3 (rounded up)."""
    return min(population, math.ceil(population * rate_bp / BP))


def draw(population: Iterable[int], rate_bp: int, seed: int, stratum: str) -> list[int]:
    """The sampled ids of one stratum (a township), sorted. The generator is seeded with the
    seed and the stratum's name, so townships are drawn independently of each other."""
    ordered = sorted(set(population))
    rng = random.Random(f"{seed}:{stratum}")
    return sorted(rng.sample(ordered, sample_size(len(ordered), rate_bp)))


def parse_rate(text: str) -> int | None:
    """A percentage typed on a form as basis points; None when left empty (the rule sets'
    rates apply). Raises ValueError with the Chinese message when outside 0–100 %."""
    cleaned = text.strip().removesuffix("%").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("抽查比例须为0到100之间的数字（百分比）") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValueError("抽查比例须在0%到100%之间")
    return int((value * 100).to_integral_value())


def ratio_bp(ratio: object) -> int:
    """A rule set's ratio (0.3) as basis points (3000)."""
    return int((Decimal(str(ratio)) * BP).to_integral_value())
