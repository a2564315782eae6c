"""Roster files are bounded before they are parsed: a zip bomb, a cell too long to be real, too
many rows — each refused in one Chinese sentence, in bounded time and memory, by the reader the
web upload and the CLI share."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hostile_files import REGISTRY_COLUMNS, long_cell_xlsx, registry_row, zip_bomb_xlsx
from ledger_support import pid, write_csv, write_xlsx

from caseflow.ledger import filelimits
from caseflow.ledger.columns import PRESETS
from caseflow.ledger.reader import UnreadableFile, estimate_rows, iter_table, read_rows


def _write(path: Path, rows: list[list[str]]) -> None:
    if path.suffix == ".csv":
        write_csv(path, REGISTRY_COLUMNS, rows, "utf-8-sig")
    else:
        write_xlsx(path, REGISTRY_COLUMNS, rows)


def _drain(path: Path) -> None:
    for _ in iter_table(path):
        pass


def test_a_zip_bomb_is_refused_before_openpyxl_inflates_it(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb_xlsx())
    assert path.stat().st_size < 500_000  # one 400 MiB cell inside
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(UnreadableFile, match="压缩比异常"):
        _drain(path)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 5 and peak < 20_000_000  # was 22 s and +2.9 GB
    assert estimate_rows(path) == 0  # the progress hint does not open it either


def test_a_cell_beyond_excels_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    path.write_bytes(long_cell_xlsx())
    tracemalloc.start()
    with pytest.raises(UnreadableFile, match="32,767 个字符"):
        _drain(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10_000_000


def test_a_long_cell_in_a_csv_is_refused_with_its_row(tmp_path: Path) -> None:
    rows = [registry_row("H1", "户主", "户主", pid(1960, 1), "户主")]
    rows.append(registry_row("H2", "户主二", "户" * 40_000, pid(1961, 2), "户主"))
    path = tmp_path / "long.csv"
    write_csv(path, REGISTRY_COLUMNS, rows, "utf-8-sig")
    with pytest.raises(UnreadableFile, match=r"第 \d+ 行有单元格超过"):
        _drain(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_past_the_row_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(filelimits, "MAX_ROWS", 8)  # title rows and the header count too
    rows = [registry_row(f"H{i}", f"户主{i}", f"户主{i}", pid(1960, i), "户主") for i in range(6)]
    path = tmp_path / f"many{suffix}"
    _write(path, rows)
    _, data = read_rows(path, PRESETS["registry"])
    with pytest.raises(UnreadableFile, match="超过 8 行的上限"):
        list(data)
    short = tmp_path / f"few{suffix}"
    _write(short, rows[:4])
    _, data = read_rows(short, PRESETS["registry"])
    assert len(list(data)) == 4


def test_a_real_sized_workbook_passes_the_bounds(tmp_path: Path) -> None:
    rows = [
        registry_row(f"H{i:05d}", f"户主{i}", f"成员{i}", pid(1950 + i % 40, i), "户主")
        for i in range(3000)
    ]
    path = tmp_path / "real.xlsx"
    write_xlsx(path, REGISTRY_COLUMNS, rows)
    assert filelimits.xlsx_problem(path) is None
    _, data = read_rows(path, PRESETS["registry"])
    assert len(list(data)) == 3000
