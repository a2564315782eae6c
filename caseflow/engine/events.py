"""One vocabulary of event labels: the timeline, the audit page, the queue and the sweep all name
an event of the audit trail through `event_label`.

A workflow names its own transitions (`label:` in its YAML); these are the events written by
the engine's neighbours that no workflow declares: the opening, a claim and its release, and
the rungs of the escalation ladder that the timer sweep climbs.
"""

from __future__ import annotations

from caseflow.clock import deadlines as dl
from caseflow.workflow.loader import OPEN_TRIGGER
from caseflow.workflow.model import WorkflowDef

CLAIM_TRIGGER = "claim"
RELEASE_TRIGGER = "release"
# The sweep's event for each rung of the ladder it reaches.
SWEEP_TRIGGERS = {
    dl.LEVEL_REMINDED: "deadline_reminder",
    dl.LEVEL_OVERDUE: "deadline_overdue",
    dl.LEVEL_DISTRICT: "escalated_district",
    dl.LEVEL_BUREAU: "escalated_bureau",
}

EVENT_LABELS = {
    OPEN_TRIGGER: "受理",
    CLAIM_TRIGGER: "认领（开始办理）",
    RELEASE_TRIGGER: "释放认领（放回待办）",
    **{trigger: dl.LEVEL_LABELS[level] for level, trigger in SWEEP_TRIGGERS.items()},
}


def event_label(wf: WorkflowDef, trigger: str) -> str:
    """The Chinese name of an event of `wf`'s cases."""
    return EVENT_LABELS.get(trigger) or wf.label_of(trigger)
