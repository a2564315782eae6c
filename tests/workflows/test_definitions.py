"""Workflow definitions: the repository's load; each kind of broken file is refused."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from caseflow.bootstrap import load_definitions
from caseflow.engine.plugins import GUARDS
from caseflow.kernel.errors import DefinitionError
from caseflow.workflow.loader import load_workflow
from caseflow.workflow.machine import build_machine, mermaid, next_state
from caseflow.workflow.registry import registry

RULES = {"start_investigation", "publicity"}

GOOD = """\
key: mini
label: 小流程
case_type: mini
open_roles: [clerk]
states:
  new:
    label: 新建
    owner: clerk
    initial: true
    deadline: start_investigation
  done:
    label: 完成
    final: true
transitions:
  - trigger: finish
    label: 完成
    from: new
    to: done
    roles: [clerk]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(path: Path):  # type: ignore[no-untyped-def]
    return load_workflow(path, guard_names=GUARDS, rule_names=RULES)


def test_repository_definitions_all_load() -> None:
    reg = load_definitions()
    assert set(reg.workflows) == {
        "dibao",
        "tekun",
        "temporary",
        "removal",
        "review",
        "referral",
        "roll",
        "rise",
        "admission",
        "spot_check",
        "complaint",
        "recovery",
        "orphan",
    }
    for wf in reg.workflows.values():
        assert wf.initial.name in wf.states
        assert all(s.label for s in wf.states.values())


def test_good_minimal_definition_loads(tmp_path: Path) -> None:
    wf = load(write(tmp_path, GOOD))
    assert wf.initial.name == "new"
    assert next_state(build_machine(wf), "new", "finish") == "done"


BROKEN = [
    ("unknown state", GOOD.replace("to: done", "to: gone"), 18, "unknown state 'gone'"),
    (
        "unknown role",
        GOOD.replace("roles: [clerk]\n", "roles: [janitor]\n"),
        19,
        "unknown role 'janitor'",
    ),
    ("unknown guard", GOOD + "    guards: [moon_is_full]\n", 20, "unknown guard 'moon_is_full'"),
    (
        "unknown deadline rule",
        GOOD.replace("deadline: start_investigation", "deadline: never"),
        10,
        "unknown deadline rule 'never'",
    ),
    (
        "two initial states",
        GOOD.replace("    final: true", "    final: true\n    initial: true"),
        11,
        "exactly one initial state",
    ),
    ("no initial state", GOOD.replace("    initial: true\n", ""), 1, "exactly one initial state"),
    (
        "transition out of a final state",
        GOOD
        + (
            "  - trigger: reopen\n    label: 重开\n    from: done\n"
            "    to: new\n    roles: [clerk]\n"
        ),
        22,
        "leaves final state 'done'",
    ),
    ("not YAML at all", GOOD + "  - [unclosed\n", 21, "YAML"),
    (
        "unreachable state",
        GOOD.replace(
            "transitions:",
            textwrap.dedent("""\
      island:
        label: 孤岛
        final: true
    transitions:"""),
        ),
        14,
        "state island is unreachable",
    ),
    (
        "non-final state with no way out",
        GOOD.replace(
            "transitions:",
            textwrap.dedent("""\
      stuck:
        label: 卡住
    transitions:"""),
        ).replace(
            """    roles: [clerk]
""",
            """    roles: [clerk]
  - trigger: wander
    label: 走
    from: new
    to: stuck
    roles: [clerk]
""",
        ),
        14,
        "non-final state stuck has no way out",
    ),
    (
        "transition with no roles",
        GOOD.replace("    roles: [clerk]\n", ""),
        15,
        "no roles may fire it",
    ),
    (
        "empty roles list",
        GOOD.replace("roles: [clerk]\n", "roles: []\n"),
        15,
        "no roles may fire it",
    ),
]


@pytest.mark.parametrize(("kind", "text", "line", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_definition_is_refused_with_file_line_and_reason(
    tmp_path: Path, kind: str, text: str, line: int, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as err:
        load(path)
    assert f"{path}:{line}: " in str(err.value), str(err.value)
    assert reason in str(err.value)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("to: done", "to: gone").replace("roles: [clerk]\n", "roles: [janitor]\n")
    with pytest.raises(DefinitionError) as err:
        load(write(tmp_path, text))
    assert "unknown state 'gone'" in str(err.value) and "unknown role 'janitor'" in str(err.value)


def test_one_machine_per_definition_and_no_auto_transitions() -> None:
    reg = registry()
    assert set(reg.machines) == set(reg.workflows)
    machine = reg.machines["dibao"]
    assert not any(name.startswith("to_") for name in machine.events)
    assert machine.models == []  # no case is ever attached


def test_mermaid_diagram_names_every_state_and_highlights_current() -> None:
    wf = registry().workflow("dibao")
    text = mermaid(wf, highlight="publicizing")
    for state in wf.states.values():
        assert f"{state.name} : {state.label}" in text
    assert "class publicizing current" in text
