"""Read workflow YAML; refuse a broken definition at load time with file:line and the reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.roles import ROLE_NAMES
from caseflow.kernel.yamlio import clean, line_of, load_with_lines
from caseflow.workflow.model import (
    PAYLOAD_TYPES,
    PayloadField,
    PhaseDef,
    StateDef,
    TransitionDef,
    WorkflowDef,
)

OPEN_TRIGGER = "open"  # the event that creates a case; usable in forbid_actors_of


class _Problems:
    """Collects every problem in a file so the author sees them all at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int, reason: str) -> None:
        self.items.append(f"{self.path}:{line}: {reason}")

    def raise_if_any(self) -> None:
        if self.items:
            text = "\n".join(self.items)
            raise DefinitionError(f"流程定义有误：\n{text}", text)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _parse_states(
    raw: Any, problems: _Problems, rule_names: set[str], switch_names: set[str] | None
) -> dict[str, StateDef]:
    states: dict[str, StateDef] = {}
    if not isinstance(raw, dict) or not clean(raw):
        problems.add(line_of(raw), "states must be a non-empty mapping")
        return states
    for name, spec in clean(raw).items():
        line = line_of(raw, name)
        if not isinstance(spec, dict):
            problems.add(line, f"state {name}: expected a mapping")
            continue
        owner = spec.get("owner")
        if owner is not None and owner not in ROLE_NAMES:
            problems.add(line_of(spec, "owner"), f"state {name}: unknown role {owner!r}")
        deadline = spec.get("deadline")
        if deadline is not None and deadline not in rule_names:
            problems.add(
                line_of(spec, "deadline"), f"state {name}: unknown deadline rule {deadline!r}"
            )
        if "label" not in spec:
            problems.add(line, f"state {name}: missing label")
        pause_if = spec.get("pause_if")
        if pause_if is not None and (
            not isinstance(pause_if, str)
            or (switch_names is not None and pause_if not in switch_names)
        ):
            problems.add(
                line_of(spec, "pause_if"), f"state {name}: unknown rule-set switch {pause_if!r}"
            )
        states[name] = StateDef(
            name=name,
            label=str(spec.get("label", name)),
            owner_role=owner,
            final=bool(spec.get("final", False)),
            initial=bool(spec.get("initial", False)),
            deadline=deadline,
            pause=bool(spec.get("pause", False)),
            pause_if=pause_if if isinstance(pause_if, str) else None,
            on_expiry=spec.get("on_expiry"),
            line=line,
        )
    return states


def _parse_phases(
    raw: Any, problems: _Problems, states: dict[str, StateDef], rule_names: set[str]
) -> tuple[PhaseDef, ...]:
    """`phases: {name: {label, deadline, states: [...]}}`: a limit across non-final states."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add(line_of(raw), "phases must be a mapping")
        return ()
    phases: list[PhaseDef] = []
    claimed: dict[str, str] = {}
    for name, spec in clean(raw).items():
        line = line_of(raw, name)
        if not isinstance(spec, dict):
            problems.add(line, f"phase {name}: expected a mapping")
            continue
        if name in states:
            problems.add(line, f"phase {name}: named like a state")
        deadline = spec.get("deadline")
        if deadline not in rule_names:
            problems.add(
                line_of(spec, "deadline"), f"phase {name}: unknown deadline rule {deadline!r}"
            )
        members = [str(s) for s in _as_list(spec.get("states"))]
        if not members:
            problems.add(line, f"phase {name}: no states")
        for member in members:
            where = line_of(spec, "states")
            if member not in states:
                problems.add(where, f"phase {name}: unknown state {member!r}")
            elif states[member].final:
                problems.add(where, f"phase {name}: final state {member!r}")
            elif member in claimed:
                problems.add(where, f"phase {name}: state {member!r} already in {claimed[member]}")
            claimed.setdefault(member, str(name))
        if "label" not in spec:
            problems.add(line, f"phase {name}: missing label")
        phases.append(
            PhaseDef(
                name=str(name),
                label=str(spec.get("label", name)),
                deadline=str(deadline),
                states=frozenset(members),
                line=line,
            )
        )
    return tuple(phases)


def _parse_payload(spec: Any, problems: _Problems, trigger: str) -> tuple[PayloadField, ...]:
    fields = []
    for name, fspec in clean(spec or {}).items():
        line = line_of(spec, name)
        ftype = fspec.get("type") if isinstance(fspec, dict) else None
        if ftype not in PAYLOAD_TYPES:
            problems.add(line, f"transition {trigger}: field {name} has unknown type {ftype!r}")
            continue
        fields.append(
            PayloadField(
                name=name,
                type=ftype,
                label=str(fspec.get("label", name)),
                required=bool(fspec.get("required", True)),
                choices=tuple(fspec.get("choices") or ()),
                max_length=int(fspec.get("max_length", 2000)),
            )
        )
    return tuple(fields)


def _parse_transition(
    spec: Any,
    problems: _Problems,
    states: dict[str, StateDef],
    guard_names: set[str],
    effect_names: set[str],
) -> TransitionDef | None:
    line = line_of(spec)
    if not isinstance(spec, dict) or "trigger" not in spec:
        problems.add(line, "transition without trigger")
        return None
    trigger = str(spec["trigger"])
    sources = [str(s) for s in _as_list(spec.get("from"))]
    if sources == ["*"]:  # every non-final state, e.g. extending the total deadline
        sources = [name for name, st in states.items() if not st.final]
    if not sources:
        problems.add(line, f"transition {trigger}: no source state (from)")
    for src in sources:
        if src not in states:
            problems.add(line_of(spec, "from"), f"transition {trigger}: unknown state {src!r}")
        elif states[src].final:
            problems.add(line_of(spec, "from"), f"transition {trigger}: leaves final state {src!r}")
    internal = bool(spec.get("internal", False))
    dest = spec.get("to")
    if internal and dest is not None:
        problems.add(line_of(spec, "to"), f"transition {trigger}: internal and has a target")
    if not internal:
        if dest is None:
            problems.add(line, f"transition {trigger}: missing target state (to)")
        elif dest not in states:
            problems.add(line_of(spec, "to"), f"transition {trigger}: unknown state {dest!r}")
    roles = _as_list(spec.get("roles"))
    if not roles:
        problems.add(line, f"transition {trigger}: no roles may fire it")
    for role in roles:
        if role not in ROLE_NAMES:
            problems.add(line_of(spec, "roles"), f"transition {trigger}: unknown role {role!r}")
    guards = [str(g) for g in _as_list(spec.get("guards"))]
    for name in guards:
        if name not in guard_names:
            problems.add(line_of(spec, "guards"), f"transition {trigger}: unknown guard {name!r}")
    queue_work = spec.get("queue_work", True)
    if not isinstance(queue_work, bool):
        problems.add(
            line_of(spec, "queue_work"), f"transition {trigger}: queue_work must be true or false"
        )
    effects = [str(e) for e in _as_list(spec.get("effects"))]
    for name in effects:
        if name not in effect_names:
            problems.add(line_of(spec, "effects"), f"transition {trigger}: unknown effect {name!r}")
    return TransitionDef(
        trigger=trigger,
        effects=tuple(effects),
        sources=tuple(sources),
        dest=None if internal else dest,
        roles=frozenset(roles),
        label=str(spec.get("label", trigger)),
        guards=tuple(guards),
        forbid_actors_of=tuple(str(t) for t in _as_list(spec.get("forbid_actors_of"))),
        payload=_parse_payload(spec.get("payload"), problems, trigger),
        queue_work=bool(queue_work),
        line=line,
    )


def _check_graph(
    wf_states: dict[str, StateDef], transitions: list[TransitionDef], problems: _Problems
) -> None:
    initials = [s for s in wf_states.values() if s.initial]
    if len(initials) != 1:
        names = ", ".join(s.name for s in initials) or "none"
        line = initials[1].line if len(initials) > 1 else 1
        problems.add(line, f"exactly one initial state required, found {names}")
        return
    edges: dict[str, set[str]] = {name: set() for name in wf_states}
    for t in transitions:
        for src in t.sources:
            if src in edges and t.dest in wf_states:
                edges[src].add(t.dest)
    seen, todo = {initials[0].name}, [initials[0].name]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    for state in wf_states.values():
        if state.name not in seen:
            problems.add(state.line, f"state {state.name} is unreachable from {initials[0].name}")
        if not state.final and not (edges[state.name] - {state.name}):
            problems.add(state.line, f"non-final state {state.name} has no way out")
        if state.on_expiry is not None and state.on_expiry not in {t.trigger for t in transitions}:
            problems.add(state.line, f"state {state.name}: on_expiry names unknown trigger")


@dataclass(frozen=True)
class SharedTransitions:
    """Transitions every workflow declares (workflows/shared/*.yaml), e.g. the supervisor's
    督办意见: parsed into each workflow against its own states, after its own transitions."""

    path: Path
    specs: tuple[Any, ...]


def load_shared(folder: Path) -> list[SharedTransitions]:
    """Every `*.yaml` of `folder` (none when it does not exist): a mapping with `transitions`."""
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        raw = load_with_lines(path)
        if not isinstance(raw, dict) or not isinstance(raw.get("transitions"), list):
            problems = _Problems(path)
            problems.add(1, "a shared file must be a mapping with a list of transitions")
            problems.raise_if_any()
        found.append(SharedTransitions(path, tuple(raw["transitions"])))
    return found


def load_workflow(
    path: Path,
    *,
    guard_names: Iterable[str],
    rule_names: Iterable[str],
    effect_names: Iterable[str] = (),
    switch_names: Iterable[str] | None = None,
    shared: Sequence[SharedTransitions] = (),
) -> WorkflowDef:
    """Parse and validate one workflow file; raises DefinitionError listing every problem.
    `switch_names` are the rule-set params a state's `pause_if` may name (None: not checked);
    `shared` transitions are added to the workflow's own (a problem is reported at the shared
    file's line)."""
    problems = _Problems(path)
    raw = load_with_lines(path)
    if not isinstance(raw, dict):
        problems.add(1, "a workflow file must be a mapping")
        problems.raise_if_any()
    for key in ("key", "label", "case_type", "states", "transitions", "open_roles"):
        if key not in raw:
            problems.add(line_of(raw), f"missing top-level field {key}")
    rules = set(rule_names)
    switches = None if switch_names is None else set(switch_names)
    states = _parse_states(raw.get("states"), problems, rules, switches)
    phases = _parse_phases(raw.get("phases"), problems, states, rules)
    guards, effects = set(guard_names), set(effect_names)
    transitions = [
        t
        for spec in _as_list(raw.get("transitions"))
        if (t := _parse_transition(spec, problems, states, guards, effects)) is not None
    ]
    for group in shared:
        elsewhere = _Problems(group.path)
        for spec in group.specs:
            if (t := _parse_transition(spec, elsewhere, states, guards, effects)) is not None:
                transitions.append(t)
        problems.items += [f"{item} (in {path.name})" for item in elsewhere.items]
    triggers = {t.trigger for t in transitions} | {OPEN_TRIGGER}
    seen_pairs: set[tuple[str, str]] = set()
    for t in transitions:
        for forbidden in t.forbid_actors_of:
            if forbidden not in triggers:
                problems.add(
                    t.line, f"transition {t.trigger}: forbid_actors_of unknown {forbidden!r}"
                )
        for src in t.sources:
            if (src, t.trigger) in seen_pairs:
                problems.add(t.line, f"transition {t.trigger} declared twice from {src}")
            seen_pairs.add((src, t.trigger))
    open_roles = _as_list(raw.get("open_roles"))
    for role in open_roles:
        if role not in ROLE_NAMES:
            problems.add(line_of(raw, "open_roles"), f"unknown role {role!r} in open_roles")
    total = raw.get("total_deadline")
    if total is not None and total not in rules:
        problems.add(line_of(raw, "total_deadline"), f"unknown deadline rule {total!r}")
    if states:
        _check_graph(states, transitions, problems)
    problems.raise_if_any()
    return WorkflowDef(
        key=str(raw["key"]),
        label=str(raw["label"]),
        case_type=str(raw["case_type"]),
        source_file=str(path),
        states=states,
        transitions=tuple(transitions),
        open_roles=frozenset(open_roles),
        total_deadline=total,
        related_staff_excluded=bool(raw.get("related_staff_excluded", True)),
        household_bound=bool(raw.get("household_bound", True)),
        phases=phases,
    )
