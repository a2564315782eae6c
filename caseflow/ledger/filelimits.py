"""Bounds a roster file must keep before it is parsed: the same for the web upload and the CLI.

A 409 KB .xlsx holding one 400 MB cell once took 22 s and 2.9 GB of memory: a zip inflates to
whatever it likes, and openpyxl reads a cell (and the whole shared-strings part) into memory.
So before openpyxl sees an .xlsx, its directory is checked (members, their declared sizes — the
zip reader refuses to inflate a member past its declared size — and compression ratios), then
its XML parts are inflated in fixed windows that are never kept: a window of WINDOW_BYTES
without a single tag can only be a cell far beyond Excel's own limit. While rows are read, each
cell and the number of rows are bounded too (both kinds of file).
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

MAX_ROWS = 1_000_000  # a district's registry has about 200,000; Excel's own sheet ends at 1,048,576
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_UNCOMPRESSED_BYTES = 1 << 30  # every part of the workbook together, inflated
MAX_SHARED_STRINGS_BYTES = 256 << 20  # openpyxl holds this part in memory whole
MAX_MEMBERS = 1_000
# Real sheets inflate 5–30 times; a zip bomb a thousand times. Small parts may do as they like.
MAX_RATIO = 200
RATIO_FREE_BYTES = 8 << 20
# A cell of MAX_CELL_CHARS characters, each written as a numeric entity (&#x2A6D6;), is under
# 320 KiB of XML: a window this long with no "<" in it belongs to a cell that is far too long.
WINDOW_BYTES = 320 * 1024
SHARED_STRINGS = "xl/sharedStrings.xml"


def _mb(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def xlsx_problem(path: Path) -> str | None:
    """Why the workbook must not be parsed (Chinese), or None when its parts, inflated, stay
    within the bounds. A file that is no zip at all is left to the reader, which says so."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            problem = _directory_problem(members)
            for info in members:
                if problem is None and info.filename.endswith((".xml", ".rels")):
                    problem = _xml_problem(zf, info)
            return problem
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError):
        return None  # the reader reports a broken file


def _directory_problem(members: list[zipfile.ZipInfo]) -> str | None:
    if len(members) > MAX_MEMBERS:
        return f"Excel 文件内部的部件过多（{len(members)} 个），不像正常的名单文件"
    total = sum(info.file_size for info in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        return (
            f"Excel 文件解压后约 {_mb(total)}，超过上限 {_mb(MAX_UNCOMPRESSED_BYTES)}："
            "请拆分后导入，或另存为 .csv"
        )
    for info in members:
        if info.filename == SHARED_STRINGS and info.file_size > MAX_SHARED_STRINGS_BYTES:
            return (
                f"Excel 文件中的文字部分解压后约 {_mb(info.file_size)}，超过上限"
                f" {_mb(MAX_SHARED_STRINGS_BYTES)}：请另存为 .csv 后导入"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FREE_BYTES and ratio > MAX_RATIO:
            return (
                f"Excel 文件的压缩比异常（{info.filename} 解压后放大约 {ratio:,.0f} 倍），"
                "可能是恶意构造的文件，已拒绝读取"
            )
    return None


def _xml_problem(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    with zf.open(info) as part:
        while window := part.read(WINDOW_BYTES):
            if len(window) == WINDOW_BYTES and b"<" not in window:
                return cell_too_long()
    return None


def cell_too_long(row_no: int | None = None) -> str:
    """The message for a cell beyond MAX_CELL_CHARS (with its row when known)."""
    where = f"第 {row_no} 行" if row_no is not None else "文件中"
    return (
        f"{where}有单元格超过 {MAX_CELL_CHARS:,} 个字符（Excel 单元格的上限），"
        "不像正常的名单内容，已拒绝读取"
    )


def row_problem(row_no: int, cells: list[str]) -> str | None:
    """Why reading must stop at this row (past MAX_ROWS, or a cell past MAX_CELL_CHARS)."""
    if row_no > MAX_ROWS:
        return f"文件超过 {MAX_ROWS:,} 行的上限：请拆分后分批导入"
    if cells and max(map(len, cells)) > MAX_CELL_CHARS:
        return cell_too_long(row_no)
    return None
