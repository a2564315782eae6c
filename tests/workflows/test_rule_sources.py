"""Rule sets cite their law: every limit has a source, unchecked ones say 待核实, and the numbers
are the ones the texts give (民发〔2021〕57号 低保, 民发〔2021〕43号 特困, 民发〔2012〕220号)."""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseflow import WORKFLOWS_DIR
from caseflow.cli.main import main
from caseflow.clock.deadlines import pauses_total
from caseflow.engine.plugins import GUARDS
from caseflow.kernel.errors import DefinitionError
from caseflow.workflow.loader import load_workflow
from caseflow.workflow.registry import registry
from caseflow.workflow.rulesets import UNVERIFIED, is_unverified, load_rulesets

# A cited source: a document number (文号) and an article or section (民发〔2021〕57号 第十九条).
CITATION = re.compile(r"〔\d{4}〕\d+号 *(第[一二三四五六七八九十百]+条|[一二三四五六七八九十]+\()")


def _folder(tmp_path: Path, name: str, text: str) -> Path:
    """The repository's rule sets plus one more file."""
    folder = tmp_path / "rulesets"
    shutil.copytree(WORKFLOWS_DIR / "rulesets", folder)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


DISTRICT = """\
key: binhe-2021
label: 滨河镇试点
extends: national-2021
effective_from: 2021-07-01
region: "640502100"
deadlines:
  hearing: {unit: working_days, amount: 8, label: 听证}
"""


def test_a_deadline_without_a_source_is_refused_with_file_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "binhe.yaml", DISTRICT)
    with pytest.raises(DefinitionError) as err:
        load_rulesets(folder)
    assert "binhe.yaml:7: " in err.value.message_zh
    assert "hearing" in err.value.message_zh and "出处" in err.value.message_zh


def test_a_deadline_with_a_source_loads_and_exposes_it(tmp_path: Path) -> None:
    text = DISTRICT.replace("label: 听证}", "label: 听证, source: 待核实（镇里的示例）}")
    rs = load_rulesets(_folder(tmp_path, "binhe.yaml", text))["binhe-2021"]
    assert rs.rule("hearing").source == "待核实（镇里的示例）"
    assert rs.rule("hearing").unverified
    assert rs.rule("district_decision").source == "民发〔2021〕57号 第二十条"  # inherited


def test_a_source_for_a_param_the_file_does_not_set_is_refused(tmp_path: Path) -> None:
    text = DISTRICT.replace(
        "deadlines:\n  hearing: {unit: working_days, amount: 8, label: 听证}\n", ""
    )
    text += "params:\n  hearing_pauses_total: true\nsources:\n  hearing_pause: 待核实（拼错）\n"
    with pytest.raises(DefinitionError) as err:
        load_rulesets(_folder(tmp_path, "binhe.yaml", text))
    assert "binhe.yaml:9: sources.hearing_pause" in err.value.message_zh


def test_an_overridden_param_does_not_keep_the_parents_source(tmp_path: Path) -> None:
    text = DISTRICT.replace(
        "deadlines:\n  hearing: {unit: working_days, amount: 8, label: 听证}\n", ""
    )
    text += "params:\n  minor_not_publicised: true\n"
    rs = load_rulesets(_folder(tmp_path, "binhe.yaml", text))["binhe-2021"]
    assert rs.source_of("minor_not_publicised") == ""
    assert "minor_not_publicised" in rs.unverified()


@pytest.mark.parametrize("key", ["national-2021", "national-2012", "ningxia-640502-2021"])
def test_every_limit_of_the_repository_rule_sets_says_where_it_comes_from(key: str) -> None:
    rs = registry().rulesets[key]
    for name, source in rs.cited():
        assert source, f"{key}: {name} has no source"
        if is_unverified(source):
            # 待核实 always says what is missing, in brackets.
            assert source.startswith(UNVERIFIED + "（") and len(source) > 10, (name, source)
        else:
            assert CITATION.search(source), (name, source)


def test_the_district_example_values_are_all_marked_unverified() -> None:
    folder = WORKFLOWS_DIR / "rulesets"
    district = load_rulesets(folder)["ningxia-640502-2021"]
    national = load_rulesets(folder)["national-2021"]
    changed = [n for n in district.params if district.params[n] != national.params[n]]
    changed += [n for n in district.deadlines if district.deadlines[n] != national.deadlines[n]]
    assert changed and all(is_unverified(district.source_of(n)) for n in changed)


LIMITS = [
    # (rule set, rule, unit, amount, cited article)
    ("national-2021", "start_investigation", "working_days", 3, "57号 第十五条"),
    ("national-2021", "publicity", "calendar_days", 7, "57号 第十九条"),
    ("national-2021", "district_decision", "working_days", 10, "57号 第二十条"),
    ("national-2021", "refusal_notice", "working_days", 3, "57号 第二十一条"),
    ("national-2021", "total", "working_days", 30, "57号 第二十二条"),
    ("national-2021", "tekun_township", "working_days", 15, "43号 第十三条"),
    ("national-2021", "tekun_reinvestigation", "working_days", 15, "43号 第十五条第二款"),
    ("national-2021", "tekun_district_decision", "working_days", 15, "43号 第十六条"),
    ("national-2012", "investigation", "working_days", 10, "220号 第十八条"),
    ("national-2012", "democratic_appraisal", "working_days", 5, "220号 第二十一条"),
    ("national-2012", "publicity", "calendar_days", 7, "220号 第二十五条"),
    ("national-2012", "district_decision", "working_days", 5, "220号 第二十六条"),
]


@pytest.mark.parametrize(("key", "name", "unit", "amount", "article"), LIMITS)
def test_limits_are_the_ones_the_texts_give(
    key: str, name: str, unit: str, amount: int, article: str
) -> None:
    rule = registry().rulesets[key].rule(name)
    assert (rule.unit, rule.amount) == (unit, amount)
    assert article in rule.source and not rule.unverified
    assert registry().rulesets[key].rule("total").extendable_to == 45


@pytest.mark.parametrize(
    "name", ["objection_review", "reinvestigation", "hearing", "township_review", "investigation"]
)
def test_dibao_limits_no_national_text_sets_are_unverified(name: str) -> None:
    # 57号 第十九条 sets no deadline for handling an objection; the values are a district example.
    assert registry().rulesets["national-2021"].rule(name).unverified


def test_tekun_township_handling_is_one_limit_of_15_working_days_from_acceptance() -> None:
    wf = registry().workflow("tekun")
    (township,) = [p for p in wf.phases if p.name == "township"]
    assert township.deadline == "tekun_township"
    assert township.states == {"accepted", "investigating", "township_review"}
    assert all(wf.states[s].deadline is None for s in township.states)  # no 3 + 15 + 5 any more
    assert wf.states["district_review"].deadline == "tekun_district_decision"
    assert registry().workflow("dibao").states["district_review"].deadline == "district_decision"


def test_a_tekun_objection_always_means_reinvestigation() -> None:
    wf = registry().workflow("tekun")
    assert "dismiss_objection" not in wf.triggers
    leaving = [t.dest for t in wf.transitions_from("objection_review") if t.dest]
    assert leaving == ["reinvestigating"]  # besides internal notes, complaints, extension
    (objection,) = [p for p in wf.phases if p.name == "objection"]
    assert objection.deadline == "tekun_reinvestigation"
    assert objection.states == {"objection_review", "reinvestigating"}
    assert [t.dest for t in wf.transitions_from("reinvestigating") if t.dest] == ["publicizing"]


@pytest.mark.parametrize("key", ["dibao", "removal"])
def test_a_hearing_pauses_the_total_only_where_the_rule_set_says_so(key: str) -> None:
    hearing = registry().workflow(key).states["hearing"]
    assert not hearing.pause and hearing.pause_if == "hearing_pauses_total"
    national = registry().rulesets["national-2021"]
    assert national.param("hearing_pauses_total") is False
    assert national.source_of("hearing_pauses_total").startswith(UNVERIFIED)
    assert pauses_total(hearing, national) is False
    district = registry().rulesets["ningxia-640502-2021"]
    assert pauses_total(hearing, district) is False  # inherited: off
    switched = replace(national, params={**national.params, "hearing_pauses_total": True})
    assert pauses_total(hearing, switched) is True


def test_publicity_counting_and_minors_are_switches_with_their_sources() -> None:
    national = registry().rulesets["national-2021"]
    source = national.source_of("publicity_counts_toward_total")
    assert "57号 第二十二条" in source and "83号" in source and not is_unverified(source)
    assert national.param("publicity_counts_toward_total") is True
    assert national.param("minor_not_publicised") is False
    assert "43号 第十五条" in national.source_of("minor_not_publicised")
    assert "62号" in national.source_of("minor_not_publicised")
    district = registry().rulesets["ningxia-640502-2021"]
    assert district.param("minor_not_publicised") is True
    assert is_unverified(district.source_of("minor_not_publicised"))


def test_workflows_check_counts_the_unverified_rules() -> None:
    result = CliRunner().invoke(main, ["workflows", "check"])
    assert result.exit_code == 0, result.output
    for rs in registry().rulesets.values():
        count = len(rs.unverified())
        assert f"规则集 {rs.key}" in result.output
        assert f"{len(rs.cited())} 条规则，其中 {count} 条待核实" in result.output
    listed = CliRunner().invoke(main, ["workflows", "check", "--unverified"])
    assert "  hearing：待核实（" in listed.output
    assert "  tekun_township：" not in listed.output  # cited, so not listed


PHASED = """\
key: mini
label: 小流程
case_type: mini
open_roles: [clerk]
phases:
  early:
    label: 前段
    deadline: start_investigation
    states: [new, middle]
states:
  new:
    label: 新建
    initial: true
  middle:
    label: 中间
    pause_if: hearing_pauses_total
  done:
    label: 完成
    final: true
transitions:
  - trigger: go
    label: 走
    from: new
    to: middle
    roles: [clerk]
  - trigger: finish
    label: 完成
    from: middle
    to: done
    roles: [clerk]
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return load_workflow(
        path,
        guard_names=GUARDS,
        rule_names={"start_investigation"},
        switch_names={"hearing_pauses_total"},
    )


def test_phases_and_pause_switches_load(tmp_path: Path) -> None:
    wf = _load(tmp_path, PHASED)
    (phase,) = wf.phases
    assert phase.states == {"new", "middle"} and phase.row_state == "phase:early"
    assert wf.states["middle"].pause_if == "hearing_pauses_total"


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        (
            "pause_if: hearing_pauses_total",
            "pause_if: hearing_pause",
            16,
            "unknown rule-set switch",
        ),
        ("deadline: start_investigation", "deadline: never", 8, "unknown deadline rule 'never'"),
        ("states: [new, middle]", "states: [new, gone]", 9, "unknown state 'gone'"),
        ("states: [new, middle]", "states: [new, done]", 9, "final state 'done'"),
        ("  early:\n", "  middle:\n", 6, "phase middle: named like a state"),
    ],
)
def test_a_broken_phase_or_switch_is_refused_with_file_line_and_reason(
    tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    with pytest.raises(DefinitionError) as err:
        _load(tmp_path, PHASED.replace(old, new))
    assert f"mini.yaml:{line}: " in str(err.value) and reason in str(err.value), str(err.value)
