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
from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from caseflow.kernel.errors import InputError
from caseflow.ledger.columns import ColumnPreset, HeaderMap, HeaderNotFound, detect_header
from caseflow.ledger.filelimits import row_problem, xlsx_problem

SAMPLE_BYTES = 64 * 1024


class UnreadableFile(InputError):
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


class EmptyFile(UnreadableFile):
    """The file has no rows at all; the message is Chinese."""


# Byte-order marks, longest first (UTF-32 LE begins with UTF-16 LE's mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"\x84\x31\x95\x33", "gb18030"),  # GB18030's own mark (decoded as U+FEFF, stripped later)
)
# Characters every roster header has, in simplified and traditional form: which of two legacy
# encodings that both decode the bytes gives more of them tells which one the file was saved in.
_SIMPLIFIED = frozenset("姓名户主身份证号码关系村乡镇收入人口家庭劳动健康类别编")
_TRADITIONAL = frozenset("姓名戶主身份證號碼關係村鄉鎮收入人口家庭勞動健康類別編")
BIG5_MESSAGE = (
    "文件为繁体中文 Big5 编码，系统无法识别其中的表头："
    "请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重新导入"
)


def _score(text: str, alphabet: frozenset[str]) -> int:
    return sum(1 for ch in text if ch in alphabet)


def _legacy_encoding(sample: bytes) -> str:
    """GB18030 (Chinese Excel's CSV) unless the bytes read better as Big5 (Taiwan, Hong Kong)."""
    gb = sample.decode("gb18030", errors="replace")
    try:
        big5 = sample.decode("big5")
    except UnicodeDecodeError:
        return "gb18030"
    if _score(big5, _TRADITIONAL) > _score(gb, _SIMPLIFIED):
        return "big5"
    return "gb18030"


def detect_encoding(path: Path) -> str:
    """A byte-order mark's encoding; else UTF-16 when every other byte is NUL; else UTF-8 when
    the first 64 KiB decode as UTF-8; else GB18030 (a superset of GBK, as Chinese Excel saves
    CSV) or Big5."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    # UTF-8 and GBK text has no NUL bytes; UTF-16 has one in every ASCII character (digits).
    if sample.count(b"\x00") * 10 > len(sample):
        return (
            "utf-16-le"
            if sample[1::2].count(b"\x00") > sample[0::2].count(b"\x00")
            else "utf-16-be"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return _legacy_encoding(sample)
    return "utf-8"


def _delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            if line.strip():
                return "\t" if line.count("\t") > line.count(",") else ","
    return ","


_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030"}


def _decode_failure(exc: UnicodeDecodeError, encoding: str, line_no: int) -> UnreadableFile:
    name = _ENCODING_NAMES.get(encoding, encoding.upper())
    if exc.reason.startswith(("unexpected end", "truncated")):
        return UnreadableFile(
            f"文件末尾不完整：最后一个字符被截断（按 {name} 读取），文件可能未完整保存或上传，"
            "请重新导出后再导入"
        )
    return UnreadableFile(
        f"第 {line_no} 行附近的文字编码与文件开头不一致（按 {name} 读取失败）："
        "请将整个文件另存为同一种编码（UTF-8 或 GBK）后重新导入"
    )


def iter_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows of a .csv with their 1-based line-record number; UnreadableFile (Chinese) when the
    bytes stop making sense in the file's encoding anywhere, however far in."""
    encoding = detect_encoding(path)
    if encoding == "big5":
        raise UnreadableFile(BIG5_MESSAGE)
    delimiter = _delimiter(path, encoding)
    line_no = 0
    with path.open(encoding=encoding, newline="") as fh:
        try:
            for line_no, cells in enumerate(csv.reader(fh, delimiter=delimiter), start=1):
                problem = row_problem(line_no, cells)
                if problem:
                    raise UnreadableFile(problem)
                yield line_no, cells
        except UnicodeDecodeError as exc:
            raise _decode_failure(exc, encoding, line_no + 1) from None
        except csv.Error as exc:
            raise UnreadableFile(
                f"第 {line_no + 1} 行不是有效的 CSV（{_csv_reason(exc)}）"
            ) from None


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return "单元格内容过长"
    if "NUL" in text:
        return "含有空字符，可能不是文本文件"
    return "引号或分隔符不匹配"


NOT_XLSX = (
    "文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件），"
    "请在 Excel 中另存为 .xlsx 后重试"
)
BROKEN_XLSX = (
    "无法读取 Excel 文件：文件已损坏或不完整（可能未完整保存或上传），请在 Excel 中重新保存后重试"
)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=16)
def _bounds_problem(path: str, _mtime_ns: int, _size: int) -> str | None:
    # Once per version of a file: an upload is opened to find its header, to estimate, to
    # validate and to import, and the check inflates every part.
    return xlsx_problem(Path(path))


def _open_xlsx(path: Path) -> Any:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if not magic:
        raise EmptyFile("文件为空，没有任何内容")
    if magic != b"PK\x03\x04":
        raise UnreadableFile(NOT_XLSX)
    problem = _bounds_problem(str(path), *_stamp(path))
    if problem:
        raise UnreadableFile(problem)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
        raise UnreadableFile(BROKEN_XLSX) from None


def iter_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows of the first sheet of an .xlsx (read-only, values only) with their row number."""
    wb = _open_xlsx(path)
    try:
        if not wb.worksheets:
            raise UnreadableFile("Excel 文件中没有工作表")
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        row_no = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:  # a part of the zip cut off or corrupt, found while streaming
                raise UnreadableFile(BROKEN_XLSX) from None
            row_no += 1
            cells = [cell_text(v) for v in values]
            problem = row_problem(row_no, cells)
            if problem:
                raise UnreadableFile(problem)
            yield row_no, cells
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
    seen = [False]

    def table() -> Iterator[tuple[int, list[str]]]:
        for row_no, cells in iter_table(path):
            seen[0] = seen[0] or bool("".join(cells).strip())
            yield row_no, cells

    try:
        header, rest = detect_header(table(), preset)
    except HeaderNotFound:
        if not seen[0]:
            raise EmptyFile("文件为空，没有任何内容") from None
        raise

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
    """About how many rows the file has (for a progress bar), without reading it into memory;
    0 for a file that cannot be opened (the real read says why)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            wb = _open_xlsx(path)
        except UnreadableFile:
            return 0
        try:
            return int(wb.worksheets[0].max_row or 0) if wb.worksheets else 0
        except Exception:  # only a hint
            return 0
        finally:
            wb.close()
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count
