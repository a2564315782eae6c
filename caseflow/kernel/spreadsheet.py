"""The one writer of every spreadsheet and CSV file the product hands out (ledger results and
rosters, validation reports, bank files, audit extracts).

Why one writer: a text cell that begins with = + - @ tab or carriage return is taken for a formula
by Excel and similar programs (CSV/formula injection: a name such as `=HYPERLINK(...)` would open
as a live link). Every text cell passes `neutralise`, which makes such a cell plain text with a
leading apostrophe (the spreadsheet convention for "this is text"). Numbers stay numbers. A formula
the product means to write is wrapped in `Formula` and is the only way one gets through.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Formula(str):
    """A formula the product writes on purpose (e.g. "=SUM(B2:B9)"): written unchanged."""


def neutralise(value: Any) -> Any:
    """A cell value safe to open: text beginning like a formula gets a leading apostrophe;
    numbers, dates, None and `Formula` are returned unchanged."""
    if isinstance(value, Formula) or not isinstance(value, str):
        return value
    if value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_row(cells: Iterable[Any]) -> list[Any]:
    """Every cell of a row through `neutralise`."""
    return [neutralise(c) for c in cells]


class CsvWriter:
    """CSV rows into a text stream, every cell neutralised (a BOM first when `bom`: Chinese
    Excel reads UTF-8 only with it)."""

    def __init__(self, out: IO[str], *, bom: bool = True, lineterminator: str = "\r\n") -> None:
        if bom:
            out.write("\ufeff")
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[Any]) -> None:
        """One row."""
        self._writer.writerow(safe_row(cells))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Several rows."""
        for row in rows:
            self.writerow(row)


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """A whole CSV file (UTF-8 with BOM) from rows."""
    buf = io.StringIO()
    CsvWriter(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


class Sheet:
    """One sheet of an `XlsxWriter`: append rows, every cell neutralised."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self._ws = ws

    def append(self, cells: Sequence[Any]) -> None:
        """One row."""
        self._ws.append(safe_row(cells))


class XlsxWriter:
    """A streaming (write-only) workbook whose sheets neutralise every cell."""

    def __init__(self) -> None:
        self._wb = Workbook(write_only=True)

    def sheet(self, title: str) -> Sheet:
        """A new sheet, in order of creation."""
        return Sheet(self._wb.create_sheet(title))

    def save(self, target: Path | IO[bytes]) -> None:
        """Write the workbook to a path or a binary stream."""
        self._wb.save(target)

    def to_bytes(self) -> bytes:
        """The workbook as bytes."""
        buf = io.BytesIO()
        self.save(buf)
        return buf.getvalue()
