"""The hostile-file corpus through `caseflow ledger import` on SQLite and PostgreSQL: every file
either imports with the expected rows or ends in one Chinese line and exit status 1 — never a
Python traceback — and a refused file writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_files import REGISTRY_COLUMNS, build_corpus, corpus_specs, registry_row
from ledger_support import fifteen, pid
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from support import T0, World

from caseflow.cli.main import main
from caseflow.db.models import PersonalDataView, RosterImport, RosterRow
from caseflow.kernel.idnumber import mask_id_number
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.saved_presets import save_preset

CORPUS = corpus_specs()


def run(engine: Engine, *args: str) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": url})
    return result.exit_code, result.output


def counts(world: World) -> tuple[int, int]:
    world.session.rollback()
    imports = world.session.scalar(select(func.count()).select_from(RosterImport))
    rows = world.session.scalar(select(func.count()).select_from(RosterRow))
    return int(imports or 0), int(rows or 0)


@pytest.mark.parametrize("name", [spec.name for spec in CORPUS])
def test_every_hostile_file_imports_or_gets_one_chinese_line(
    engine: Engine, world: World, tmp_path: Path, name: str
) -> None:
    spec, path = next((s, p) for s, p in build_corpus(tmp_path / "corpus") if s.name == name)
    before = counts(world)
    code, output = run(engine, "ledger", "import", str(path), "--kind", spec.kind)
    assert "Traceback" not in output and "Error" not in output, output
    if spec.refused:
        assert code == 1, output
        last = output.strip().splitlines()[-1]
        assert spec.message in last, output
        assert counts(world) == before  # nothing written
    else:
        assert code == 0, output
        assert f"已导入 {spec.rows} 行" in output
        assert counts(world) == (before[0] + 1, before[1] + spec.rows)


def test_two_level_header_reads_head_and_member_columns(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    path = next(p for s, p in build_corpus(tmp_path) if s.name == "两级表头.xlsx")
    code, output = run(engine, "ledger", "import", str(path), "--kind", "registry")
    assert code == 0, output
    world.session.rollback()
    rows = world.session.scalars(select(RosterRow).order_by(RosterRow.row_no)).all()
    # The member's own name and ID, not the head's (both are titled 姓名 / 身份证号).
    assert [(r.name, r.head_name, r.relation) for r in rows] == [
        ("马六", "马六", "户主"),
        ("杨花", "马六", "配偶"),
    ]
    assert rows[0].household_key == rows[1].household_key


def test_unknown_user_and_unwritable_report_are_one_chinese_line(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    path = next(p for s, p in build_corpus(tmp_path) if s.name == "GBK.csv")
    code, output = run(
        engine, "ledger", "import", str(path), "--kind", "registry", "--user", "无此人"
    )
    assert code == 1 and output.strip().splitlines()[-1] == "用户不存在或已停用：无此人"
    code, output = run(
        engine,
        "ledger",
        "export-roster",
        str(tmp_path / "无此目录" / "x.csv"),
        "--user",
        "approver",
    )
    assert code == 1 and "Traceback" not in output
    assert output.strip().splitlines()[-1].startswith("文件或目录不存在")


def test_the_cli_report_is_masked_unless_full_ids_for_a_role_that_may_see_them(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    path = next(p for s, p in build_corpus(tmp_path) if s.name == "15位18位重复.csv")
    _old, new = fifteen(1958, 601)
    report = tmp_path / "报告.xlsx"
    base = ("ledger", "import", str(path), "--kind", "registry", "--report", str(report))
    code, output = run(engine, *base)
    assert code == 1 and "重复登记" in output
    assert new not in cells(report) and mask_id_number(new) in cells(report)
    code, output = run(engine, *base, "--full-ids", "--user", "reviewer")
    assert code == 1 and output.strip().splitlines()[-1].startswith("您的角色不能查看")
    code, output = run(engine, *base, "--full-ids", "--user", "approver")
    assert code == 1 and new in cells(report)
    world.session.rollback()
    views = world.session.scalars(select(PersonalDataView)).all()
    assert [(v.user_id, v.field) for v in views] == [(world.users["approver"].id, "id_number")]


def cells(path: Path) -> str:
    sheet = load_workbook(path, read_only=True).worksheets[0]
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)


def test_income_header_variant_is_read_and_the_household_is_judged_on_it(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    # The header the issue names: before, it was dropped and every C3 household became C4.
    header = [*REGISTRY_COLUMNS[:9], "主要致贫原因", "家庭年人均纯收入（元）", "备注"]
    row = registry_row("V001", "石一", "石一", pid(1950, 901), "户主")
    row[8] = "丧失劳动力"
    path = tmp_path / "收入表头.csv"
    path.write_text(
        ",".join(header) + "\n" + ",".join([*row[:9], "因病", "1200", "无"]) + "\n",
        encoding="utf-8-sig",
    )
    report = tmp_path / "r.xlsx"
    code, output = run(
        engine, "ledger", "import", str(path), "--kind", "registry", "--report", str(report)
    )
    assert code == 0, output
    assert "第 12 列未对应任何字段" in cells(report) and "除以 12" in cells(report)
    world.session.rollback()
    stored = world.session.scalars(select(RosterRow)).one()
    assert stored.income_fen == 10000  # 1,200 元 a year is 100 元 a month
    imported = world.session.scalars(select(RosterImport.id)).one()
    run_ = run_comparison(world.session, imported, [], world.actor("supervisor"), T0)
    assert run_.counts == {"C3": 1}


def test_column_mapping_and_saved_presets_from_the_cli(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    header = ["户编号", "户主姓名", "乡（镇）", "行政村", "成员", "号码", "与户主关系"]
    path = tmp_path / "自定义表头.csv"
    body = ["K001", "古一", "滨河镇", "示例村", "古一", pid(1960, 911), "户主"]
    path.write_text(",".join(header) + "\n" + ",".join(body) + "\n", encoding="utf-8")
    base = ("ledger", "import", str(path), "--kind", "registry")
    code, output = run(engine, *base)
    assert code == 1 and "未找到表头" in output.strip().splitlines()[-1]
    code, output = run(engine, *base, "--map", "成员=姓名", "--map", "号码=无此字段")
    assert code == 1 and output.strip().splitlines()[-1].startswith("未知字段「无此字段」")
    code, output = run(engine, *base, "--preset", "无此方案")
    assert code == 1 and "列对应方案「无此方案」不存在" in output
    save_preset(
        world.session,
        "乡镇自制表",
        "registry",
        {"成员": "name", "号码": "id_number"},
        world.actor("supervisor"),
        T0,
    )
    code, output = run(engine, "ledger", "presets")
    assert code == 0 and "乡镇自制表：成员→姓名，号码→证件号码" in output
    code, output = run(engine, *base, "--preset", "乡镇自制表")
    assert code == 0 and "已导入 1 行" in output, output
    code, output = run(engine, *base, "--map", "成员=name", "--map", "号码=id_number")
    assert code == 0 and "已导入 1 行" in output, output


@pytest.mark.parametrize("group", ["policy", "calendar"])
def test_other_commands_answer_broken_files_in_one_line(
    engine: Engine, tmp_path: Path, group: str
) -> None:
    broken, binary = tmp_path / "broken.yaml", tmp_path / "binary.yaml"
    broken.write_text("a: [\n", encoding="utf-8")
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    for path in (broken, binary):
        code, output = run(engine, group, "load", str(path))
        assert code == 1 and "Traceback" not in output
        assert len(output.strip().splitlines()) == 1, output
    assert "编码无法识别" in output


def test_the_cli_holds_the_same_row_limit_as_the_upload(
    engine: Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseflow.ledger import filelimits

    monkeypatch.setattr(filelimits, "MAX_ROWS", 4)
    rows = [
        registry_row(f"R{i}", f"户主{i}", f"户主{i}", pid(1960, 900 + i), "户主") for i in range(5)
    ]
    path = tmp_path / "many.csv"
    path.write_text(
        "\n".join(",".join(r) for r in [REGISTRY_COLUMNS, *rows]) + "\n", encoding="utf-8"
    )
    before = counts(world)
    code, output = run(engine, "ledger", "import", str(path), "--kind", "registry")
    assert code == 1 and "超过 4 行的上限" in output.strip().splitlines()[-1], output
    assert counts(world) == before
