"""One transitions.Machine per workflow definition, shared by every case of that workflow.

No case is ever added to the machine as a model: `fire` hands the machine a throw-away
`_Position` holding the case's state and reads back where the declared transition leads.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from transitions import Machine, MachineError

from caseflow.kernel.errors import TransitionNotAllowed
from caseflow.workflow.model import WorkflowDef


class _Position:
    """The only thing the machine sees of a case: its state name."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def build_machine(wf: WorkflowDef) -> Machine:
    """A model-less machine: no auto `to_<state>` triggers, no callbacks, no threads."""
    return Machine(
        model=None,
        states=list(wf.states),
        transitions=[
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
            for t in wf.transitions
        ],
        initial=wf.initial.name,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


# Per machine: (state, trigger) → destination, as the machine answered the first time. Machines
# are built once per loaded definition and never change, so neither can the answer; asking the
# machine again on every fire cost more than the rest of the state move. Weak keys: a registry
# reloaded (tests, `workflows check`) takes its old machines' answers with it.
_answers: WeakKeyDictionary[Machine, dict[tuple[str, str], str]] = WeakKeyDictionary()


def next_state(machine: Machine, state: str, trigger: str) -> str:
    """Where `trigger` leads from `state` according to the machine (unchanged for internal ones)."""
    known = _answers.get(machine)
    if known is None:
        known = _answers[machine] = {}
    found = known.get((state, trigger))
    if found is None:
        found = known[(state, trigger)] = _ask(machine, state, trigger)
    return found


def _ask(machine: Machine, state: str, trigger: str) -> str:
    position = _Position(state)
    try:
        machine.events[trigger].trigger(position)
    except (MachineError, KeyError) as exc:
        raise TransitionNotAllowed(f"当前状态不能执行此操作（{trigger}）", str(exc)) from exc
    return position.state


def mermaid(wf: WorkflowDef, highlight: str | None = None) -> str:
    """A mermaid stateDiagram of the definition, with Chinese labels; `highlight` marks a state."""
    lines = ["stateDiagram-v2"]
    for s in wf.states.values():
        lines.append(f"    {s.name} : {s.label}")
    lines.append(f"    [*] --> {wf.initial.name}")
    for t in wf.transitions:
        for src in t.sources:
            lines.append(f"    {src} --> {t.dest or src} : {t.label}")
    for s in wf.states.values():
        if s.final:
            lines.append(f"    {s.name} --> [*]")
    if highlight:
        lines.append("    classDef current fill:#fde68a,stroke:#b45309,stroke-width:2px")
        lines.append(f"    class {highlight} current")
    return "\n".join(lines)
