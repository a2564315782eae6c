"""Plugging code into the engine: a guard or effect name is declared once; the names a workflow
may use are exactly the installed ones (anything else fails to load, with file:line); after-commit
hooks run once per committed transition and never undo it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_world import PAPER_YAML, Desk, write_paper

from caseflow import WORKFLOWS_DIR
from caseflow.bootstrap import load_definitions
from caseflow.engine import plugins
from caseflow.engine.plugins import FireResult, GuardContext, Plugin, install
from caseflow.kernel.errors import DefinitionError, GuardFailed


def _never(ctx: GuardContext) -> str | None:
    return None


@pytest.fixture
def tables() -> Iterator[None]:
    """The engine's tables as they are now, put back after the test (install() is for keeps)."""
    guards, effects = dict(plugins.GUARDS), dict(plugins.EFFECTS)
    hooks, installed = list(plugins.AFTER_COMMIT_HOOKS), set(plugins._INSTALLED)
    yield
    plugins.GUARDS.clear()
    plugins.GUARDS.update(guards)
    plugins.EFFECTS.clear()
    plugins.EFFECTS.update(effects)
    plugins.AFTER_COMMIT_HOOKS[:] = hooks
    plugins._INSTALLED.clear()
    plugins._INSTALLED.update(installed)


def test_a_plugin_declares_a_guard_name_once() -> None:
    plugin = Plugin("unit-twice")
    plugin.guard("unit_guard")(_never)
    with pytest.raises(ValueError, match="guard unit_guard declared twice"):
        plugin.guard("unit_guard")(_never)
    plugin.effect("unit_effect")(lambda ctx: None)
    with pytest.raises(ValueError, match="effect unit_effect declared twice"):
        plugin.effect("unit_effect")(lambda ctx: None)


def test_an_installed_guard_name_is_refused_to_another_plugin(tables: None) -> None:
    taken = next(iter(plugins.GUARDS))
    rival = Plugin("unit-rival")
    rival.guard(taken)(_never)
    with pytest.raises(ValueError, match=f"guard {taken} declared twice"):
        install(rival)
    assert plugins.GUARDS[taken].fn is not _never
    assert "unit-rival" not in plugins._INSTALLED


def test_installing_a_plugin_twice_installs_it_once(tables: None) -> None:
    setups: list[str] = []
    plugin = Plugin("unit-once")
    plugin.guard("unit_once_guard")(_never)
    plugin.after_commit(lambda session, result: None)
    plugin.setup(lambda: setups.append("set up"))
    hooks = len(plugins.AFTER_COMMIT_HOOKS)
    install(plugin)
    install(plugin)
    assert plugins.GUARDS["unit_once_guard"].fn is _never
    assert len(plugins.AFTER_COMMIT_HOOKS) == hooks + 1
    assert setups == ["set up"]


def _folder(tmp_path: Path, workflow: str) -> Path:
    """A definitions folder: one workflow and the repository's rule sets."""
    shutil.copytree(WORKFLOWS_DIR / "rulesets", tmp_path / "rulesets")
    write_paper(tmp_path, workflow)
    return tmp_path


def test_a_workflow_naming_installed_guards_loads(tmp_path: Path) -> None:
    reg = load_definitions(_folder(tmp_path, PAPER_YAML))
    assert set(reg.workflows) == {"paper"}
    assert reg.workflow("paper").transition_for("checking", "approve") is not None


def test_a_workflow_naming_an_uninstalled_guard_fails_to_load_with_file_and_line(
    tmp_path: Path,
) -> None:
    text = PAPER_YAML.replace("guards: [paper_noted, paper_within_limit]", "guards: [paper_signed]")
    folder = _folder(tmp_path, text)
    line = text.splitlines().index("    guards: [paper_signed]") + 1
    with pytest.raises(DefinitionError) as err:
        load_definitions(folder)
    assert f"{folder / 'paper.yaml'}:{line}: transition approve: unknown guard 'paper_signed'" in (
        str(err.value)
    )
    assert err.value.message_zh.startswith("流程定义有误")


def test_a_workflow_naming_an_uninstalled_effect_fails_to_load(tmp_path: Path) -> None:
    text = PAPER_YAML.replace("    forbid_actors_of: [open]\n", "    effects: [paper_archive]\n")
    folder = _folder(tmp_path, text)
    line = text.splitlines().index("    effects: [paper_archive]") + 1
    with pytest.raises(DefinitionError, match=f"paper.yaml:{line}: .*unknown effect"):
        load_definitions(folder)


def test_after_commit_hooks_run_once_after_a_committed_fire(
    desk: Desk, hooks: list[plugins.AfterCommit]
) -> None:
    seen: list[tuple[str, str, bool]] = []

    def hook(session: object, result: FireResult) -> None:
        seen.append((result.trigger, result.to_state, desk.session.in_transaction()))

    hooks.append(hook)
    case_id = desk.at_checking(noted=False)
    assert seen == [("submit", "checking", False)]
    with pytest.raises(GuardFailed):
        desk.fire(case_id, "approve", "reviewer", {"amount": 1})
    assert len(seen) == 1  # a refused transition has no follow-up


def test_a_failing_hook_neither_undoes_the_transition_nor_stops_the_next(
    desk: Desk, hooks: list[plugins.AfterCommit], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []

    def broken(session: object, result: FireResult) -> None:
        raise RuntimeError("printer on fire")

    hooks.extend([broken, lambda session, result: seen.append(result.version)])
    case_id = desk.open()
    result = desk.fire(case_id, "submit", "clerk")
    assert seen == [result.version]
    assert desk.case(case_id).state == "checking"
    assert "printer on fire" in caplog.text


def test_a_refused_plugin_installs_nothing(tables: None) -> None:
    rival = Plugin("unit-partial")
    rival.guard("unit_fresh_guard")(_never)
    rival.guard(next(iter(plugins.GUARDS)))(_never)
    with pytest.raises(ValueError, match="declared twice"):
        install(rival)
    assert "unit_fresh_guard" not in plugins.GUARDS
