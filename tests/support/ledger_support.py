"""Messy, real-shaped roster files made by the tests: merged title rows, blank rows, trailing
spaces, full-width digits, lowercase x, 15-digit numbers; .csv in GBK or UTF-8 with BOM, .xlsx."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from caseflow.kernel.idnumber import make_id_number

REGISTRY_HEADER = [
    "户编号",
    "户主姓名",
    "乡（镇）",
    "行政村",
    "姓名",
    "证件号码",
    "与户主关系",
    "健康状况",
    "劳动技能",
    "贫困户属性",
    "主要致贫原因",
    "人均纯收入（元）",
]
ROSTER_HEADER = [
    "户主姓名",
    "乡镇",
    "村（居）",
    "成员姓名",
    "身份证号码",
    "与户主关系",
    "保障类别",
    "家庭人口数",
    "家庭月人均收入",
]
LIST_HEADER = ["姓名", "公民身份号码", "备注"]

Row = Sequence[object]


def pid(year: int, seq: int, area: str = "640502") -> str:
    """A valid 18-digit ID number born 1 March of `year`."""
    return make_id_number(area, date(year, 3, 1), seq)


def fifteen(year: int, seq: int) -> tuple[str, str]:
    """A legacy 15-digit number and the 18-digit number it converts to."""
    full = make_id_number("640502", date(year, 3, 1), seq)
    return full[:6] + full[8:17], full


def fullwidth(text: str) -> str:
    """Digits as full-width characters (as some input methods type them)."""
    return text.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


def title_rows(width: int) -> list[list[object]]:
    """A merged-looking title, a blank row and a unit line above the header."""
    return [
        ["沙坡头区建档立卡贫困户信息表", *[None] * (width - 1)],
        [None] * width,
        ["填报单位：沙坡头区扶贫办", *[None] * (width - 1)],
    ]


def write_csv(path: Path, header: Row, rows: Sequence[Row], encoding: str) -> Path:
    """A .csv as Chinese Excel saves it (encoding "gbk" or "utf-8-sig"), with title rows."""
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        for title in title_rows(len(header)):
            writer.writerow(["" if c is None else c for c in title])
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if c is None else c for c in row])
    return path


def write_xlsx(path: Path, header: Row, rows: Sequence[Row]) -> Path:
    """An .xlsx with a merged title row, a blank row and a unit line above the header."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for title in title_rows(len(header)):
        ws.append(title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path
