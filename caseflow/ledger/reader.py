"""Streaming readers for .xlsx and .csv: rows of text cells with their row number in the file.

Memory stays bounded whatever the file size: openpyxl reads in read-only mode, csv line by line.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from caseflow.ledger.columns import ColumnPreset, HeaderMap, detect_header

SAMPLE_BYTES = 64 * 1024


class UnreadableFile(ValueError):
    """The file is neither a readable .xlsx nor a .csv; the message is Chinese."""


@dataclass(frozen=True)
class SourceRow:
    """One data row: its number in the file, the mapped fields and every cell under its header."""

    row_no: int
    values: dict[str, str]  # field → cell text (only mapped columns)
    raw: dict[str, str]  # header text → cell text (every non-empty cell)


def cell_text(value: Any) -> str:
    """A cell as text: integers without ".0", dates as ISO, None as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        # Excel stores long digit strings typed as numbers as floats; keep what it kept.
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def detect_encoding(path: Path) -> str:
    """UTF-8 with BOM, UTF-8, else GB18030 (a superset of GBK, as Chinese Excel saves CSV)."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            if line.strip():
                return "\t" if line.count("\t") > line.count(",") else ","
    return ","


def iter_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows of a .csv with their 1-based line-record number."""
    encoding = detect_encoding(path)
    delimiter = _delimiter(path, encoding)
    with path.open(encoding=encoding, newline="") as fh:
        try:
            yield from enumerate(csv.reader(fh, delimiter=delimiter), start=1)
        except UnicodeDecodeError:
            raise UnreadableFile(f"文件编码无法识别（按 {encoding} 读取失败）") from None


def iter_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows of the first sheet of an .xlsx (read-only, values only) with their row number."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(f"无法打开 Excel 文件：{exc}") from exc
    try:
        ws = wb.worksheets[0]
        for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield row_no, [cell_text(v) for v in values]
    finally:
        wb.close()


def iter_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows of a .xlsx or .csv file, chosen by suffix."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return iter_xlsx(path)
    if suffix in (".csv", ".txt"):
        return iter_csv(path)
    raise UnreadableFile(f"不支持的文件类型：{path.suffix}（请使用 .xlsx 或 .csv）")


def read_cells(
    path: Path, preset: ColumnPreset
) -> tuple[HeaderMap, Iterator[tuple[int, list[str]]]]:
    """The detected header and the non-blank data rows below it as (row number, cells): what
    `read_rows` yields before building dictionaries (the import's fast path reads these)."""
    header, rest = detect_header(iter_table(path), preset)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for row_no, cells in rest:
            # One join and one strip in C: blank exactly when no cell has a non-space character.
            if "".join(cells).strip():
                yield row_no, cells

    return header, rows()


class RowBuilder:
    """Builds the `SourceRow` of a row of cells under one header (worked out once, not per row:
    the raw-cell name of each column and the mapped columns)."""

    def __init__(self, header: HeaderMap) -> None:
        self.names = [h or f"列{i + 1}" for i, h in enumerate(header.headers)]
        self.mapped = list(header.columns.items())
        self.reach = max(header.columns, default=-1) + 1  # rows this long need no bounds check

    def __call__(self, row_no: int, cells: list[str]) -> SourceRow:
        mapped, names = self.mapped, self.names
        if len(cells) >= self.reach:
            values = {name: cells[i] for i, name in mapped if cells[i]}
        else:
            values = {name: cells[i] for i, name in mapped if i < len(cells) and cells[i]}
        raw = {n: c for n, c in zip(names, cells, strict=False) if c.strip()}
        if len(cells) > len(names):
            for i in range(len(names), len(cells)):
                if cells[i].strip():
                    raw[f"列{i + 1}"] = cells[i]
        return SourceRow(row_no, values, raw)


def read_rows(path: Path, preset: ColumnPreset) -> tuple[HeaderMap, Iterator[SourceRow]]:
    """The detected header and the data rows below it (blank rows skipped)."""
    header, rest = read_cells(path, preset)
    build = RowBuilder(header)
    return header, (build(row_no, cells) for row_no, cells in rest)


def estimate_rows(path: Path) -> int:
    """About how many rows the file has (for a progress bar), without reading it into memory."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        wb = load_workbook(path, read_only=True)
        try:
            return int(wb.worksheets[0].max_row or 0)
        finally:
            wb.close()
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count
