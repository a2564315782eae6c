"""The events that are decisions a written notice is issued for, by the kind of notice: the
printout chooses its wording from the kind, and the case page offers the notice only once one of
these events exists (refusals and removals carry appeal rights)."""

from __future__ import annotations

DECISION_KINDS: dict[str, str] = {
    "approve": "approval",
    "confirm_deviation": "approval",
    "township_approve": "approval",
    "district_approve": "approval",
    "refuse": "refusal",
    "township_refuse": "refusal",
    "district_refuse": "refusal",
    "approve_removal": "removal",
    "approve_gradual_exit": "gradual_exit",
    "decide_keep": "keep",
}
