"""The hostile-file corpus through `caseflow ledger import` on SQLite and PostgreSQL: every file
either imports with the expected rows or ends in one Chinese line and exit status 1 — never a
Python traceback — and a refused file writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_files import build_corpus, corpus_specs
from ledger_support import fifteen
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from support import World

from caseflow.cli.main import main
from caseflow.db.models import PersonalDataView, RosterImport, RosterRow
from caseflow.kernel.idnumber import mask_id_number

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
    code, output = run(
        engine, "ledger", "import", str(path), "--kind", "registry", "--report", str(report)
    )
    assert code == 1 and "重复登记" in output
    assert new not in cells(report) and mask_id_number(new) in cells(report)
    code, output = run(
        engine,
        "ledger",
        "import",
        str(path),
        "--kind",
        "registry",
        "--full-ids",
        "--user",
        "reviewer",
    )
    assert code == 1 and output.strip().splitlines()[-1].startswith("您的角色不能查看")
    code, output = run(
        engine,
        "ledger",
        "import",
        str(path),
        "--kind",
        "registry",
        "--report",
        str(report),
        "--full-ids",
        "--user",
        "approver",
    )
    assert code == 1 and new in cells(report)
    world.session.rollback()
    views = world.session.scalars(select(PersonalDataView)).all()
    assert [(v.user_id, v.field) for v in views] == [(world.users["approver"].id, "id_number")]


def cells(path: Path) -> str:
    sheet = load_workbook(path, read_only=True).worksheets[0]
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
