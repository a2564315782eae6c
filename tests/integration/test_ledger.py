"""Ledger comparison on SQLite and PostgreSQL: messy imports, atomicity (also under SIGKILL),
every category C1–C8 from constructed households, re-runs keeping actions, actions through the
engine, the Excel export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from ledger_support import (
    LIST_HEADER,
    REGISTRY_HEADER,
    ROSTER_HEADER,
    fifteen,
    fullwidth,
    pid,
    write_csv,
    write_xlsx,
)
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import T0, World
from walker import Walker

from caseflow.db.models import (
    AdminEvent,
    Case,
    CaseEvent,
    ComparisonResult,
    ComparisonRun,
    Household,
    Member,
    RosterImport,
    RosterRow,
)
from caseflow.kernel.errors import CaseNotFound, PermissionDenied
from caseflow.kernel.idnumber import check_char
from caseflow.ledger.actions import take_action
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.export import export_run
from caseflow.ledger.importer import ImportResult, import_roster
from caseflow.ledger.register import LedgerActionError
from caseflow.workflow.registry import registry


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def id_with_x(year: int) -> str:
    first17 = f"640502{year}0301" + "000"
    while check_char(first17) != "X":
        first17 = first17[:14] + f"{int(first17[14:]) + 1:03d}"
    return first17 + "X"


def reg_row(no: str, head: str, name: str, ident: str, relation: str, **kw: str) -> list[str]:
    return [
        no,
        head,
        kw.get("township", "滨河镇"),
        kw.get("village", "示例村"),
        name,
        ident,
        relation,
        kw.get("health", "健康"),
        kw.get("labour", "普通劳动力"),
        kw.get("attribute", "一般贫困户"),
        kw.get("cause", "缺资金"),
        kw.get("income", "36000"),
    ]


# ---------------------------------------------------------------- import: messy files, atomicity

OLD15, NEW18 = fifteen(1958, 21)
XID = id_with_x(1961)


def messy_registry_rows() -> list[list[str]]:
    """Valid rows: 4 (rows 5–8). Invalid: checksum (9), duplicate (10), two households (11)."""
    bad = pid(1970, 31)
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    return [
        reg_row("A001 ", "张三", "张三 ", XID.lower(), "户主"),
        reg_row("A001", "张三", "李梅", OLD15, "配偶"),
        reg_row("A001", "张三", "张小", fullwidth(pid(1990, 23)) + " ", "之子"),
        reg_row("B002", "王五", "王五", pid(1950, 25), "户主"),
        reg_row("B002", "王五", "某甲", bad, "之女"),
        reg_row("A001", "张三", "张小", pid(1990, 23), "之子"),
        reg_row("B002", "王五", "李梅", NEW18, "配偶"),
    ]


def test_messy_gbk_csv_is_refused_whole_then_imported_without_the_listed_rows(
    world: World, tmp_path: Path
) -> None:
    s = world.session
    path = write_csv(tmp_path / "建档立卡.csv", REGISTRY_HEADER, messy_registry_rows(), "gbk")
    refused = import_roster(s, path, "registry", world.actor("admin"), T0)
    assert refused.status == "rejected" and refused.import_id is None
    assert [(e.row_no, e.field) for e in refused.errors] == [
        (9, "证件号码"),
        (10, "证件号码"),
        (11, "证件号码"),
    ]
    assert "校验位" in refused.errors[0].message
    assert "与第 7 行为同一人" in refused.errors[1].message
    assert "同一人出现在两个家庭：第 6 行" in refused.errors[2].message
    notices = {e.message for e in refused.report if e.severity == "notice"}
    assert any("15 位旧身份证号已转换" in m for m in notices)
    assert any("小写 x" in m for m in notices)
    assert count(s, RosterImport) == count(s, RosterRow) == 0

    done: list[int] = []
    accepted = import_roster(
        s, path, "registry", world.actor("admin"), T0, skip_invalid=True, progress=done.append
    )
    assert (accepted.status, accepted.rows_total, accepted.rows_imported) == (
        "valid_rows_only",
        7,
        4,
    )
    assert done[-1] == 7
    rows = s.scalars(select(RosterRow).order_by(RosterRow.row_no)).all()
    assert [(r.row_no, r.name, r.id_number) for r in rows] == [
        (5, "张三", XID),
        (6, "李梅", NEW18),
        (7, "张小", pid(1990, 23)),
        (8, "王五", pid(1950, 25)),
    ]
    assert {r.household_key for r in rows[:3]} == {"no:A001"}
    assert rows[0].township_code == "640502100" and rows[0].income_fen == 300000
    record = s.get_one(RosterImport, accepted.import_id)
    assert (record.rows_skipped, record.sha256) == (3, record.sha256)
    actions = s.scalars(select(AdminEvent.action).order_by(AdminEvent.id)).all()
    assert actions[-2:] == ["ledger.import_rejected", "ledger.import"]


def test_utf8_bom_csv_and_xlsx_import_whole(world: World, tmp_path: Path) -> None:
    rows = [
        ["张三", "滨河镇", "示例村", "张三", pid(1960, 41), "户主", "A", "2", "450"],
        ["张三", "滨河镇", "示例村", "李梅", pid(1962, 42), "配偶", "A", "2", "450"],
    ]
    for path in (
        write_csv(tmp_path / "低保.csv", ROSTER_HEADER, rows, "utf-8-sig"),
        write_xlsx(tmp_path / "低保.xlsx", ROSTER_HEADER, rows),
    ):
        result = import_roster(world.session, path, "dibao_roster", None, T0)
        assert result.status == "complete" and result.rows_imported == 2, result.report
    stored = world.session.scalars(select(RosterRow).where(RosterRow.name == "李梅")).all()
    assert [(r.income_fen, r.aid_class, r.household_size) for r in stored] == [(45000, "A", 2)] * 2


def big_registry(tmp_path: Path, households: int = 30) -> Path:
    rows = [
        reg_row(f"H{i:03d}", f"户主{i}", f"户主{i}", pid(1950 + i % 40, 100 + i), "户主")
        for i in range(households)
    ]
    return write_csv(tmp_path / "big.csv", REGISTRY_HEADER, rows, "utf-8")


def test_a_crash_halfway_leaves_no_partial_import(world: World, tmp_path: Path) -> None:
    s = world.session
    events_before = count(s, AdminEvent)
    seen: list[int] = []

    def crash(rows_done: int) -> None:
        seen.append(rows_done)
        assert count(s, RosterRow) > 0  # rows of this file are already inserted, uncommitted
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        import_roster(s, big_registry(tmp_path), "registry", None, T0, progress=crash, batch_size=5)
    assert seen == [5]
    assert count(s, RosterImport) == count(s, RosterRow) == 0
    assert count(s, AdminEvent) == events_before


KILL_SCRIPT = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from caseflow.db.engine import make_engine, make_session_factory
from caseflow.ledger.importer import import_roster

def progress(rows_done):
    print(f"rows {rows_done}", flush=True)
    time.sleep(120)

session = make_session_factory(make_engine(sys.argv[1]))()
import_roster(session, Path(sys.argv[2]), "registry", None, datetime.now(UTC),
              progress=progress, batch_size=5)
"""


def test_sigkill_during_an_import_leaves_none_of_its_rows(world: World, tmp_path: Path) -> None:
    s = world.session
    url = s.get_bind().engine.url.render_as_string(hide_password=False)
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), url, str(big_registry(tmp_path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "rows 5"  # 5 rows inserted, not committed
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    s.rollback()
    assert count(s, RosterImport) == count(s, RosterRow) == 0


# ---------------------------------------------------------------- comparison: C1–C8


@dataclass
class Scenario:
    registry_id: int
    roster_ids: list[int]
    run: ComparisonRun
    by_head: dict[str, ComparisonResult]
    system_household: Household


def build_scenario(world: World, tmp_path: Path, name: str = "a") -> Scenario:
    s = world.session
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "approved")
    system_hh = s.get_one(Household, case.household_id)
    sys_members = s.scalars(select(Member).where(Member.household_id == system_hh.id)).all()
    h2, h3, h4 = (
        [pid(1960, 200 + i) for i in range(3)],
        [pid(1961, 210 + i) for i in range(3)],
        [pid(1962, 220 + i) for i in range(3)],
    )
    h5, h6, h7, h8 = pid(1945, 231), pid(1975, 232), pid(1950, 233), pid(1952, 234)
    dibao_attr = {"attribute": "低保贫困户"}
    registry_rows = [
        # H1 (C1): the system's approved 低保 household, as the registry lists it
        *[
            reg_row(
                "R1",
                system_hh.head_name,
                m.name,
                m.id_number,
                "户主" if m.relation == "户主" else "配偶",
                **dibao_attr,
            )
            for m in sys_members
        ],
        # H2 (C2): on both lists, but the registry still says 一般贫困户
        reg_row("R2", "钱二", "钱二", h2[0], "户主"),
        reg_row("R2", "钱二", "钱二妻", h2[1], "配偶"),
        # H3 (C7): a child born since is only in the registry
        *[
            reg_row("R3", "孙三", n, i, r, **dibao_attr)
            for n, i, r in zip(
                ["孙三", "孙三妻", "孙小"], h3, ["户主", "配偶", "之子"], strict=True
            )
        ],
        # H4 (C8 over C7): the head died; members also differ
        *[
            reg_row("R4", "李四", n, i, r, **dibao_attr)
            for n, i, r in zip(
                ["李四", "李四妻", "李小"], h4, ["户主", "配偶", "之女"], strict=True
            )
        ],
        # H5 (C3): registry only, no labour capacity, 100 yuan a month
        reg_row("R5", "周五", "周五", h5, "户主", labour="丧失劳动力", cause="因病", income="1200"),
        # H6 (C4): registry only, able to work, 3,000 yuan a month
        reg_row("R6", "吴六", "吴六", h6, "户主", income="36000"),
    ]
    roster_rows = [
        ["钱二", "滨河镇", "示例村", "钱二", h2[0], "户主", "B", "2", "300"],
        ["钱二", "滨河镇", "示例村", "钱二妻", h2[1], "配偶", "B", "2", "300"],
        ["孙三", "滨河镇", "示例村", "孙三", h3[0], "户主", "B", "", "300"],
        ["孙三", "滨河镇", "示例村", "孙三妻", h3[1], "配偶", "B", "", "300"],
        ["李四", "滨河镇", "示例村", "李四", h4[0], "户主", "A", "", "300"],
        ["李四", "滨河镇", "示例村", "李四妻", h4[1], "配偶", "A", "", "300"],
        # H7 (C5): 低保 only, 100 yuan a month (below the registry line)
        ["郑七", "滨河镇", "示例村", "郑七", h7, "户主", "A", "1", "100"],
        # H8 (C6): 低保 only, 3,000 yuan a month
        ["冯八", "滨河镇", "示例村", "冯八", h8, "户主", "C", "1", "3000"],
    ]
    deaths = [["李四", h4[0], "2026-01-05 死亡"]]
    reg_file = write_csv(tmp_path / f"registry-{name}.csv", REGISTRY_HEADER, registry_rows, "gbk")
    roster_file = write_xlsx(tmp_path / f"dibao-{name}.xlsx", ROSTER_HEADER, roster_rows)
    deaths_file = write_csv(tmp_path / f"deaths-{name}.csv", LIST_HEADER, deaths, "utf-8-sig")
    results: list[ImportResult] = [
        import_roster(s, path, kind, world.actor("admin"), T0)
        for path, kind in (
            (reg_file, "registry"),
            (roster_file, "dibao_roster"),
            (deaths_file, "deaths"),
        )
    ]
    for r in results:
        assert r.status == "complete", r.report
    ids = [r.import_id for r in results]
    assert all(i is not None for i in ids)
    registry_id, roster_ids = int(ids[0] or 0), [int(i or 0) for i in ids[1:]]
    run = run_comparison(s, registry_id, roster_ids, world.actor("supervisor"), T0)
    return Scenario(registry_id, roster_ids, run, results_by_head(s, run.id), system_hh)


def results_by_head(session: Session, run_id: int) -> dict[str, ComparisonResult]:
    rows = session.scalars(select(ComparisonResult).where(ComparisonResult.run_id == run_id))
    return {r.head_name: r for r in rows}


def test_every_category_from_constructed_households(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    got = {head: r.category for head, r in sc.by_head.items()}
    assert got == {
        sc.system_household.head_name: "C1",
        "钱二": "C2",
        "孙三": "C7",
        "李四": "C8",
        "周五": "C3",
        "吴六": "C4",
        "郑七": "C5",
        "冯八": "C6",
    }
    assert sc.run.counts == {f"C{i}": 1 for i in range(1, 9)}
    c1 = sc.by_head[sc.system_household.head_name]
    assert c1.household_id == sc.system_household.id
    assert c1.evidence["assistance"][0]["source"] == "system"
    assert "应为「低保贫困户」" in sc.by_head["钱二"].evidence["reasons"][0]
    assert sc.by_head["孙三"].evidence["differences"]["only_in_registry"] == [pid(1961, 212)]
    c8 = sc.by_head["李四"].evidence
    assert c8["other_lists"][0]["kind"] == "deaths" and "死亡人员名单" in c8["reasons"][0]
    assert sc.by_head["周五"].evidence["signals"]["below_dibao_standard"] is True
    assert sc.by_head["郑七"].evidence["signals"]["below_registry_line"] is True
    assert sc.by_head["冯八"].evidence["signals"]["below_registry_line"] is False
    assert {r.township_code for r in sc.by_head.values()} == {"640502100"}
    assert sc.run.policy_effective_from.isoformat() == "2026-01-01"


def test_without_system_cases_the_system_household_is_registry_only(
    world: World, tmp_path: Path
) -> None:
    sc = build_scenario(world, tmp_path)
    run = run_comparison(
        world.session, sc.registry_id, sc.roster_ids, None, T0, include_system_cases=False
    )
    assert results_by_head(world.session, run.id)[sc.system_household.head_name].category in {
        "C3",
        "C4",
    }


# ---------------------------------------------------------------- actions and re-runs


def test_c8_starts_a_removal_case_through_the_engine(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    s = world.session
    done = take_action(s, sc.by_head["李四"].id, "removal_started", world.actor("reviewer"), T0)
    assert done.action == "removal_started" and done.action_case_id is not None
    case = s.get_one(Case, done.action_case_id)
    assert (case.case_type, case.state) == ("removal", "reported")
    event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert event.trigger == "open" and event.payload["ledger_result_id"] == done.id
    members = s.scalars(select(Member.name).where(Member.household_id == case.household_id))
    assert set(members) == {"李四", "李四妻"}  # registered from the 低保 roster
    assert s.scalars(select(AdminEvent.action).order_by(AdminEvent.id.desc())).first() == (
        "ledger.removal_started"
    )


def test_c5_refers_to_the_poverty_office(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    s = world.session
    done = take_action(s, sc.by_head["郑七"].id, "referred", world.actor("liaison"), T0)
    assert done.action_case_id is not None
    case = s.get_one(Case, done.action_case_id)
    assert (case.case_type, case.state) == ("referral", "awaiting_answer")
    sent = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.trigger == "send_referral")
    ).one()
    assert sent.payload["department"] == "扶贫办（乡村振兴局）"


def test_c3_invitation_is_recorded_and_never_enrols(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    s = world.session
    cases_before = count(s, Case)
    done = take_action(s, sc.by_head["周五"].id, "invited", world.actor("clerk"), T0)
    assert done.action == "invited" and done.action_case_id is None
    assert count(s, Case) == cases_before
    assert s.scalars(select(AdminEvent.action).order_by(AdminEvent.id.desc())).first() == (
        "ledger.invited"
    )


def test_actions_are_checked(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    s = world.session
    c3 = sc.by_head["周五"].id
    with pytest.raises(CaseNotFound):
        take_action(s, c3, "invited", world.actor("other_clerk"), T0)  # another township
    with pytest.raises(LedgerActionError, match="不能"):
        take_action(s, c3, "removal_started", world.actor("reviewer"), T0)
    with pytest.raises(LedgerActionError, match="理由"):
        take_action(s, sc.by_head["吴六"].id, "no_action", world.actor("clerk"), T0)
    with pytest.raises(PermissionDenied):
        take_action(s, sc.by_head["郑七"].id, "referred", world.actor("reviewer"), T0)
    take_action(s, sc.by_head["孙三"].id, "reconciled", world.actor("clerk"), T0, reason="已核实")
    with pytest.raises(LedgerActionError, match="已处理"):
        take_action(s, sc.by_head["孙三"].id, "no_action", world.actor("clerk"), T0, reason="x")


def test_rerun_on_a_newer_roster_keeps_the_actions(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    s = world.session
    later = T0 + timedelta(days=30)
    take_action(s, sc.by_head["周五"].id, "invited", world.actor("clerk"), T0)
    take_action(
        s, sc.by_head["吴六"].id, "no_action", world.actor("clerk"), T0, reason="有劳动能力"
    )
    newer = write_csv(
        tmp_path / "registry-newer.csv",
        REGISTRY_HEADER,
        [
            reg_row(
                "R5",
                "周五",
                "周五",
                pid(1945, 231),
                "户主",
                labour="丧失劳动力",
                cause="因病",
                income="1500",
            ),
            reg_row("R6", "吴六", "吴六", pid(1975, 232), "户主", income="38000"),
        ],
        "utf-8",
    )
    imported = import_roster(s, newer, "registry", None, later)
    assert imported.import_id is not None
    run = run_comparison(s, imported.import_id, sc.roster_ids, None, later)
    again = results_by_head(s, run.id)
    assert (again["周五"].action, again["周五"].carried_from_result_id) == (
        "invited",
        sc.by_head["周五"].id,
    )
    assert (again["吴六"].action, again["吴六"].action_reason) == ("no_action", "有劳动能力")
    assert again["郑七"].action == "none"


def test_export_has_a_summary_and_a_sheet_per_category(world: World, tmp_path: Path) -> None:
    sc = build_scenario(world, tmp_path)
    take_action(world.session, sc.by_head["周五"].id, "invited", world.actor("clerk"), T0)
    path = export_run(world.session, sc.run.id, tmp_path / "out.xlsx", world.actor("supervisor"))
    wb = load_workbook(path, read_only=True)
    assert (
        wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == 10 and wb.sheetnames[-1] == "人工判定"
    )
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[2] == ("滨河镇", 1, 1, 1, 1, 1, 1, 1, 1, 8)
    c3 = list(wb[next(n for n in wb.sheetnames if n.startswith("C3"))].iter_rows(values_only=True))
    assert c3[1][3] == "周五" and c3[1][8] == "已告知可申请低保"
    every_cell = " ".join(
        str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r if c
    )
    assert pid(1945, 231) not in every_cell and "640502********" in every_cell
    other = export_run(world.session, sc.run.id, tmp_path / "o.xlsx", world.actor("other_clerk"))
    rows = list(load_workbook(other, read_only=True)["汇总"].iter_rows(values_only=True))
    assert rows[-1][-1] == 0  # nothing of another township
