"""Immutable, validated workflow definitions (what the YAML files declare)."""

from __future__ import annotations

from dataclasses import dataclass, field

# `members`: ids of members of the case's household (which ones is a guard's question).
# `records`: rows of flat fields (a household's means lines); their meaning is a guard's question.
PAYLOAD_TYPES = frozenset(
    {"text", "date", "int", "fen", "bool", "choice", "list", "members", "records"}
)


@dataclass(frozen=True)
class PayloadField:
    """One form field a transition needs; validated by caseflow.engine.payload."""

    name: str
    type: str
    label: str
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class StateDef:
    """A declared state; `deadline` names a rule of the case's rule set."""

    name: str
    label: str
    owner_role: str | None
    final: bool = False
    initial: bool = False
    deadline: str | None = None
    pause: bool = False  # case clocks stand still while here (missing materials)
    # A rule-set switch: the total stands still while here only when the case's rule set turns
    # it on (a scheduled hearing: `hearing_pauses_total`, no national basis, off by default).
    pause_if: str | None = None
    on_expiry: str | None = None  # trigger the sweep fires (system actor) when the deadline passes
    line: int = 0


# Deadline rows of a phase carry this prefix before the phase name in their `state` column, so
# they can never be mistaken for (or closed as) the deadline of a state.
PHASE_ROW_PREFIX = "phase:"


@dataclass(frozen=True)
class PhaseDef:
    """Several states under one limit: e.g. 特困 township handling, 15 working days from
    acceptance up to the initial opinion (民发〔2021〕43号 第十三条), whichever states it passes."""

    name: str
    label: str
    deadline: str  # a rule of the case's rule set
    states: frozenset[str]
    line: int = 0

    @property
    def row_state(self) -> str:
        """What the phase's deadline rows hold in their `state` column."""
        return PHASE_ROW_PREFIX + self.name


@dataclass(frozen=True)
class TransitionDef:
    """A declared action: from `sources` to `dest` (None = stays, an internal transition)."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    roles: frozenset[str]
    label: str
    guards: tuple[str, ...] = ()
    # Separation of duties: the actor must not have fired any of these triggers on this case.
    forbid_actors_of: tuple[str, ...] = ()
    payload: tuple[PayloadField, ...] = ()
    effects: tuple[str, ...] = ()  # named functions run inside fire's transaction
    # False for an action that is no step anyone waits on (a side action such as extending the
    # total limit, or recording what happens to a standing case): it never puts a case in a queue.
    queue_work: bool = True
    line: int = 0

    @property
    def internal(self) -> bool:
        """True for an action that records something but keeps the state (e.g. a signature)."""
        return self.dest is None


@dataclass(frozen=True)
class WorkflowDef:
    """A whole workflow; `source_file` is kept for messages and diagrams."""

    key: str
    label: str
    case_type: str
    source_file: str
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    open_roles: frozenset[str]
    total_deadline: str | None = None
    related_staff_excluded: bool = True
    # False for cases about a township rather than a household (the payment roll): they are
    # opened by their own service, never at the desk or by open_case.
    household_bound: bool = True
    # Limits that run across several states: opened when the case enters one of the phase's
    # states from outside it, closed when it leaves them all.
    phases: tuple[PhaseDef, ...] = ()
    _by_source_trigger: dict[tuple[str, str], TransitionDef] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Every trigger declared, built once: fire() asks on every call.
    _triggers: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        for t in self.transitions:
            for src in t.sources:
                self._by_source_trigger[(src, t.trigger)] = t
        object.__setattr__(self, "_triggers", frozenset(t.trigger for t in self.transitions))

    @property
    def initial(self) -> StateDef:
        """The single initial state (the loader guarantees exactly one)."""
        return next(s for s in self.states.values() if s.initial)

    @property
    def triggers(self) -> frozenset[str]:
        """Every trigger this workflow declares."""
        return self._triggers

    def transition_for(self, state: str, trigger: str) -> TransitionDef | None:
        """The transition for (state, trigger), or None when not declared from that state."""
        return self._by_source_trigger.get((state, trigger))

    def transitions_from(self, state: str) -> list[TransitionDef]:
        """Declared transitions leaving `state`, in file order."""
        return [t for t in self.transitions if state in t.sources]

    def state_label(self, state: str) -> str:
        """Chinese label of a state (the code itself for a state no longer declared)."""
        declared = self.states.get(state)
        return declared.label if declared is not None else state

    def label_of(self, trigger: str) -> str:
        """Chinese label of a trigger (first declaration wins)."""
        return next((t.label for t in self.transitions if t.trigger == trigger), trigger)
