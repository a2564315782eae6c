"""The plan's priority groups (因大病 / 因重残 / 因突发事件) as the household's facts show them.

A case is flagged 因大病 when a current member's health is recorded as serious illness, and
因重残 when a current member holds a disability certificate of grade 1 or 2 (severe); the
window's ticks add to these, never remove them. 因突发事件 is not a recorded fact of a member:
only the window says so. The flags move the case up the queue (`read.queue`)."""

from __future__ import annotations

from dataclasses import dataclass

from caseflow.db.models import Household

SEVERE_GRADES = (1, 2)


@dataclass(frozen=True)
class FactPriority:
    illness: bool
    disability: bool

    @property
    def reasons(self) -> list[str]:
        """In Chinese, for the case's open event."""
        return [r for r, on in (("因大病", self.illness), ("因重残", self.disability)) if on]


def priority_from_facts(household: Household) -> FactPriority:
    """Serious illness or severe disability among the household's current members."""
    members = household.members
    return FactPriority(
        illness=any(m.health == "serious_illness" for m in members),
        disability=any(m.disability_grade in SEVERE_GRADES for m in members),
    )
