"""A corpus of hostile and careless roster files, generated on demand: truncated, empty and fake
.xlsx; CSV whose encoding breaks after the first 64 KiB or whose last character is cut off; BOM
variants, Big5, UTF-16; two-level headers; one person listed with a 15- and an 18-digit number;
two heads of the same name in one village; formula cells; a 409 KB .xlsx whose one cell inflates
to 400 MB (a zip bomb, built in a third of a second) and a cell too long to be real.

Each file says what must happen to it: imported with so many rows, or refused with a message
containing a given Chinese phrase (and nothing written).
"""

from __future__ import annotations

import csv
import io
import random
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ledger_support import REGISTRY_HEADER, ROSTER_HEADER, fifteen, pid
from openpyxl import Workbook


@dataclass(frozen=True)
class Hostile:
    """One file of the corpus and what must become of it."""

    name: str
    kind: str
    rows: int | None  # rows imported, or None: refused
    message: str = ""  # a phrase of the refusal (refused files only)

    @property
    def refused(self) -> bool:
        return self.rows is None


def registry_row(no: str, head: str, name: str, ident: str, relation: str) -> list[str]:
    return [no, head, "滨河镇", "示例村", name, ident, relation, "健康", "普通劳动力", "一般贫困户"]


REGISTRY_COLUMNS = REGISTRY_HEADER[:10]


def _csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _households(count: int, start: int = 0) -> list[list[str]]:
    rows = []
    for i in range(start, start + count):
        rows.append(
            registry_row(f"H{i:05d}", f"户主{i}", f"户主{i}", pid(1950 + i % 40, i), "户主")
        )
    return rows


def _workbook_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    buf = io.BytesIO()
    write_xlsx_stream(buf, header, rows)
    return buf.getvalue()


def write_xlsx_stream(out: io.BytesIO, header: list[str], rows: list[list[object]]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(out)


SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
)
SHEET_TAIL = b"</t></is></c></row></sheetData></worksheet>"
BOMB_MIB = 400


def _zip_bytes(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip written by hand from (name, raw deflate data, CRC-32, inflated size): zipfile would
    have to inflate a bomb's 400 MB to write it."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + data)
        central.write(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + encoded
        )
    start, count = out.tell(), len(members)
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, central.tell(), start, 0))
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def _with_sheet(sheet: list[bytes], sheet_crc: int, sheet_size: int) -> bytes:
    """A one-sheet workbook (openpyxl's own parts) whose sheet is the given raw deflate data."""
    members = []
    with zipfile.ZipFile(io.BytesIO(_workbook_bytes(["x"], []))) as base:
        for info in base.infolist():
            if info.filename == SHEET:
                members.append((SHEET, b"".join(sheet), sheet_crc, sheet_size))
            else:
                data = base.read(info)
                members.append((info.filename, _deflate(data), zlib.crc32(data), len(data)))
    return _zip_bytes(members)


@cache
def zip_bomb_xlsx() -> bytes:
    """About 400 KB on disk, one cell of BOMB_MIB MiB inflated: each MiB of "A" deflates to the
    same kilobyte after a full flush, so the stream is that kilobyte repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib = b"A" * (1 << 20)
    head = packer.compress(SHEET_HEAD) + packer.flush(zlib.Z_FULL_FLUSH)
    body = packer.compress(mib) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(SHEET_TAIL) + packer.flush()
    crc = zlib.crc32(SHEET_HEAD)
    for _ in range(BOMB_MIB):
        crc = zlib.crc32(mib, crc)
    crc = zlib.crc32(SHEET_TAIL, crc)
    size = len(SHEET_HEAD) + BOMB_MIB * len(mib) + len(SHEET_TAIL)
    return _with_sheet([head, body * BOMB_MIB, tail], crc, size)


@cache
def long_cell_xlsx() -> bytes:
    """A cell of 700,000 varied Chinese characters (2 MB, compressing like real text, so no
    ratio check catches it): only the cell bound does."""
    alphabet = [chr(c) for c in range(0x4E00, 0x9FA5)]
    text = "".join(random.Random(7).choices(alphabet, k=700_000)).encode()
    sheet = SHEET_HEAD + text + SHEET_TAIL
    return _with_sheet([_deflate(sheet)], zlib.crc32(sheet), len(sheet))


def build_corpus(folder: Path) -> list[tuple[Hostile, Path]]:
    """Write every file of the corpus into `folder`; (expectation, path) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[tuple[Hostile, Path]] = []

    def add(spec: Hostile, data: bytes) -> None:
        path = folder / spec.name
        path.write_bytes(data)
        out.append((spec, path))

    good = _households(3)
    text = _csv_text(REGISTRY_COLUMNS, good)
    workbook = _workbook_bytes(REGISTRY_COLUMNS, [list(r) for r in good])

    add(Hostile("空文件.xlsx", "registry", None, "文件为空"), b"")
    add(Hostile("截断.xlsx", "registry", None, "已损坏或不完整"), workbook[: len(workbook) // 2])
    add(Hostile("假冒.xlsx", "registry", None, "内容不是 Excel 工作簿"), text.encode("utf-8"))
    add(Hostile("空文件.csv", "registry", None, "文件为空"), b"")
    add(Hostile("只有表头.csv", "registry", None, "没有任何数据行"), text.split("\r\n")[0].encode())

    # UTF-8 for well over 64 KiB (what the encoding sniffer reads), then a row saved in GBK.
    many = _households(900)
    head = _csv_text(REGISTRY_COLUMNS, many).encode("utf-8")
    assert len(head) > 64 * 1024
    tail = _csv_text([], _households(1, start=900)).split("\r\n", 1)[1].encode("gbk")
    add(Hostile("编码中途改变.csv", "registry", None, "编码与文件开头不一致"), head + tail)
    # The last character of the file cut in the middle of its UTF-8 bytes.
    cut = (text.rstrip("\r\n") + "，备注").encode("utf-8")[:-1]
    add(Hostile("末尾截断.csv", "registry", None, "末尾不完整"), cut)

    # One cell over the csv module's 128 KiB field limit (a pasted document, say).
    long_cell = [list(r) for r in good]
    long_cell[1][0] = "长" * (140 * 1024)
    add(
        Hostile("超长单元格.csv", "registry", None, "单元格内容过长"),
        _csv_text(REGISTRY_COLUMNS, long_cell).encode("utf-8"),
    )
    add(Hostile("UTF8带BOM.csv", "registry", 3), text.encode("utf-8-sig"))
    add(
        Hostile("UTF16带BOM.csv", "registry", 3),
        _csv_text(REGISTRY_COLUMNS, good, "\t").encode("utf-16"),
    )
    add(Hostile("UTF16BE带BOM.csv", "registry", 3), b"\xfe\xff" + text.encode("utf-16-be"))
    add(Hostile("UTF16无BOM.csv", "registry", 3), text.encode("utf-16-le"))
    add(Hostile("GBK.csv", "registry", 3), text.encode("gbk"))
    big5 = _csv_text(
        ["戶主姓名", "鄉鎮", "村", "姓名", "身份證號碼", "與戶主關係"],
        [["陳大文", "濱河鎮", "示例村", "陳大文", pid(1960, 77), "戶主"]],
    )
    add(Hostile("繁体Big5.csv", "registry", None, "Big5"), big5.encode("big5"))

    # Two-level header: group titles (merged cells) above the column titles.
    two_level = Workbook()
    ws = two_level.active
    assert ws is not None
    ws.append(["户主", None, "家庭成员", None, None, "所在地", None])
    ws.append(["姓名", "身份证号", "姓名", "身份证号", "与户主关系", "乡镇", "行政村"])
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:E1")
    ws.merge_cells("F1:G1")
    head_id, wife_id = pid(1961, 501), pid(1963, 502)
    ws.append(["马六", head_id, "马六", head_id, "户主", "滨河镇", "示例村"])
    ws.append(["马六", head_id, "杨花", wife_id, "配偶", "滨河镇", "示例村"])
    buf = io.BytesIO()
    two_level.save(buf)
    add(Hostile("两级表头.xlsx", "registry", 2), buf.getvalue())

    # One person twice: once with the legacy 15-digit number, once with the 18-digit one.
    old, new = fifteen(1958, 601)
    dup = [
        registry_row("D001", "牛七", "牛七", new, "户主"),
        registry_row("D001", "牛七", "牛七", old, "户主"),
    ]
    add(
        Hostile("15位18位重复.csv", "registry", None, "重复登记"),
        _csv_text(REGISTRY_COLUMNS, dup).encode(),
    )

    # Two households whose heads share a name in one village, keyed only by head name + village.
    same = [
        ["王芳", "滨河镇", "示例村", "王芳", pid(1970, 701), "户主", "A", "2", "300"],
        ["王芳", "滨河镇", "示例村", "刘强", pid(1968, 702), "配偶", "A", "2", "300"],
        ["王芳", "滨河镇", "示例村", "王芳", pid(1975, 703), "户主", "B", "1", "200"],
    ]
    add(
        Hostile("同名户主.csv", "dibao_roster", 3),
        _csv_text(ROSTER_HEADER, same).encode("utf-8-sig"),
    )

    # Formula cells: as text in a CSV they import (and exports neutralise them); as real
    # formulas in an .xlsx they have no value to read and the rows are refused by name.
    formula_rows = [
        registry_row(
            "F001", "赵八", '=HYPERLINK("http://evil.example/leak","点我")', pid(1966, 801), "户主"
        )
    ]
    add(Hostile("公式文本.csv", "registry", 1), _csv_text(REGISTRY_COLUMNS, formula_rows).encode())
    formula_book = Workbook()
    ws = formula_book.active
    assert ws is not None
    ws.append(REGISTRY_COLUMNS)
    ws.append(registry_row("F002", "赵九", "=1+1", pid(1967, 802), "户主"))
    buf = io.BytesIO()
    formula_book.save(buf)
    add(Hostile("公式单元格.xlsx", "registry", None, "缺少必填项「姓名」"), buf.getvalue())

    # Blow-ups: refused before openpyxl reads a byte of the sheet (bounded time and memory).
    add(Hostile("解压炸弹.xlsx", "registry", None, "压缩比异常"), zip_bomb_xlsx())
    add(Hostile("超长单元格.xlsx", "registry", None, "超过 32,767 个字符"), long_cell_xlsx())
    return out


def corpus_specs() -> list[Hostile]:
    """The expectations alone (for parametrising tests), the files built in a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        return [spec for spec, _ in build_corpus(Path(scratch))]
