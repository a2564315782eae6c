"""Two households whose heads share a name in one village, on a roster keyed only by head name +
village (SQLite and PostgreSQL): matched on members' ID numbers first, never merged into one
(the false C7 "split or merged household"), each held for a person to decide (人工判定) — in the
worklist's tab, on the row and in the export's sheet."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from hostile_files import REGISTRY_COLUMNS, registry_row
from ledger_support import ROSTER_HEADER, pid
from openpyxl import load_workbook
from sqlalchemy import Engine
from support import T0, World

from caseflow.cli.main import main
from caseflow.db.models import ComparisonResult, ComparisonRun
from caseflow.ledger import worklist
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.export import export_run
from caseflow.ledger.importer import import_roster
from caseflow.read.api import PageRequest, comparison_results_page

A, SPOUSE, B, C = pid(1970, 701), pid(1968, 702), pid(1975, 703), pid(1980, 704)


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def compare(
    world: World, tmp_path: Path, roster_header: list[str], roster: list[list[str]]
) -> tuple[ComparisonRun, list[ComparisonResult]]:
    registry = [
        registry_row("R1", "王芳", "王芳", A, "户主"),
        registry_row("R1", "王芳", "刘强", SPOUSE, "配偶"),
        registry_row("R2", "王芳", "王芳", B, "户主"),
        registry_row("R3", "赵一", "赵一", C, "户主"),
    ]
    s = world.session
    reg = import_roster(
        s, write(tmp_path / "reg.csv", REGISTRY_COLUMNS, registry), "registry", None, T0
    )
    ros = import_roster(
        s, write(tmp_path / "dibao.csv", roster_header, roster), "dibao_roster", None, T0
    )
    assert reg.import_id is not None and ros.import_id is not None, (reg.report, ros.report)
    run = run_comparison(
        s, reg.import_id, [ros.import_id], world.actor("supervisor"), T0, include_system_cases=False
    )
    results = s.query(ComparisonResult).filter_by(run_id=run.id).all()
    return run, results


def persons(result: ComparisonResult) -> set[str]:
    units = result.evidence["registry"] + result.evidence["assistance"]
    return {p["id_number"] for u in units for p in u["persons"]}


def test_two_heads_of_one_name_stay_two_households_held_for_a_decision(
    world: World, tmp_path: Path
) -> None:
    roster = [
        ["王芳", "滨河镇", "示例村", "王芳", A, "户主", "A", "2", "300"],
        ["王芳", "滨河镇", "示例村", "刘强", SPOUSE, "配偶", "A", "2", "300"],
        ["王芳", "滨河镇", "示例村", "王芳", B, "户主", "B", "1", "200"],
        ["赵一", "滨河镇", "示例村", "赵一", C, "户主", "A", "1", "200"],
    ]
    run, results = compare(world, tmp_path, ROSTER_HEADER, roster)
    assert "C7" not in run.counts  # before: one merged household, "建档立卡中为 2 户"
    wang = sorted((r for r in results if r.head_name == "王芳"), key=lambda r: len(persons(r)))
    assert [persons(r) for r in wang] == [{B}, {A, SPOUSE}]
    assert all(r.needs_decision and "同名户主" in r.evidence["decision"][0] for r in wang)
    zhao = next(r for r in results if r.head_name == "赵一")
    assert not zhao.needs_decision and "decision" not in zhao.evidence

    sup = world.actor("supervisor")
    assert worklist.summary(world.session, sup, run.id).undecided == 2
    tab = worklist.worklist(world.session, sup, run.id, decision=True)
    assert {r.id for r in tab.rows} == {r.id for r in wang} and all(
        r.needs_decision for r in tab.rows
    )
    path = export_run(world.session, run.id, tmp_path / "out.xlsx", sup)
    sheet = list(load_workbook(path, read_only=True)["人工判定"].iter_rows(values_only=True))
    assert sheet[0][0] == "类别" and sheet[0][-1] == "待人工判定原因"
    assert sorted(r[4] for r in sheet[1:]) == ["王芳", "王芳"] and all(
        "同名户主" in r[-1] for r in sheet[1:]
    )


def test_members_the_registry_puts_in_two_households_are_split_by_id_not_merged(
    world: World, tmp_path: Path
) -> None:
    # No relation column: nothing tells the two heads apart but the members' ID numbers.
    header = [h for h in ROSTER_HEADER if h != "与户主关系"]
    roster = [
        ["王芳", "滨河镇", "示例村", "王芳", A, "A", "3", "300"],
        ["王芳", "滨河镇", "示例村", "刘强", SPOUSE, "A", "3", "300"],
        ["王芳", "滨河镇", "示例村", "王芳", B, "A", "3", "300"],
    ]
    run, results = compare(world, tmp_path, header, roster)
    assert "C7" not in run.counts
    wang = [r for r in results if r.head_name == "王芳"]
    assert sorted(persons(r) for r in wang) == sorted([{A, SPOUSE}, {B}])
    assert all(r.needs_decision and "分属 2 户" in r.evidence["decision"][0] for r in wang)


def test_the_cli_and_the_api_tell_the_households_held_for_a_decision(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    roster = [
        ["王芳", "滨河镇", "示例村", "王芳", A, "户主", "A", "2", "300"],
        ["王芳", "滨河镇", "示例村", "王芳", B, "户主", "B", "1", "200"],
    ]
    run, _results = compare(world, tmp_path, ROSTER_HEADER, roster)
    items = comparison_results_page(
        world.session, world.actor("supervisor"), run.id, PageRequest()
    )["items"]
    assert sorted(i["needs_decision"] for i in items) == [False, True, True]
    url = engine.url.render_as_string(hide_password=False)
    args = ["ledger", "compare", "--registry", str(run.registry_import_id), "--no-system-cases"]
    args += ["--roster", str(run.roster_import_ids[0])]
    result = CliRunner().invoke(main, args, env={"CASEFLOW_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "其中人工判定（同名户主，须人工核定）：2 户" in result.output
