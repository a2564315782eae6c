"""The routine reports as Excel workbooks, through the one spreadsheet writer
(`kernel.spreadsheet`: names and other text can never become formulas). Amounts are written in
yuan as Decimal (exact, two places), persons and households as integers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from caseflow.accounts.training import Untrained
from caseflow.kernel.spreadsheet import XlsxWriter, csv_bytes
from caseflow.read.orphans import OrphanRow
from caseflow.read.recipients import PROGRAMME_LABELS, InPayment
from caseflow.read.reports import (
    CHANGE_LABELS,
    CLASSES,
    Change,
    ClassCCase,
    ClassifiedLine,
    MonthChanges,
)


def yuan(fen: int) -> Decimal:
    """Fen as yuan with two places, exactly."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _book(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = XlsxWriter()
    sheet = book.sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    return book.to_bytes()


def _place(r: InPayment, names: dict[str, str]) -> list[str]:
    return [names.get(r.township_code, r.township_code), names.get(r.village_code, "")]


def _household(r: InPayment, names: dict[str, str], *extra: str) -> list[Any]:
    place = _place(r, names)
    return [r.case_no, *place, r.head_name, *extra, r.household_size, r.covered, yuan(r.amount_fen)]


def _change(c: Change, names: dict[str, str]) -> list[Any]:
    paid = yuan(c.after.amount_fen) if c.after else Decimal("0.00")
    kind, programme = CHANGE_LABELS[c.kind], PROGRAMME_LABELS[c.case.programme]
    return [kind, c.case.case_no, programme, *_place(c.case, names), c.case.head_name, c.what, paid]


def single_covered_xlsx(rows: Sequence[InPayment], names: dict[str, str]) -> bytes:
    """户1人保 households."""
    header = ["案件编号", "乡镇", "村", "户主", "类别", "家庭人口", "保障人数", "月保障金（元）"]
    body = (_household(r, names, r.aid_class) for r in rows)
    return _book("户1人保", header, body)


def class_c_xlsx(rows: Sequence[ClassCCase], names: dict[str, str]) -> bytes:
    """Class C households with their next review date."""
    header = [
        "案件编号",
        "乡镇",
        "村",
        "户主",
        "家庭人口",
        "保障人数",
        "月保障金（元）",
        "下次复核",
    ]
    body = (
        [*_household(c.case, names), c.next_review_on.isoformat() if c.next_review_on else ""]
        for c in rows
    )
    return _book("C类提档或清退", header, body)


def classified_xlsx(lines: Sequence[ClassifiedLine]) -> bytes:
    """Households, persons and amounts by month × township × class."""
    header = ["月份", "乡镇"]
    for cls in (*CLASSES, "合计"):
        label = f"{cls}类" if cls in CLASSES else cls
        header += [f"{label}户数", f"{label}人数", f"{label}金额（元）"]
    body = []
    for line in lines:
        row: list[Any] = [line.month, line.township_name]
        for figures in (*(line.by_class[c] for c in CLASSES), line.total):
            row += [figures.households, figures.persons, yuan(figures.amount_fen)]
        body.append(row)
    return _book("分类施保", header, body)


def changes_xlsx(found: MonthChanges) -> bytes:
    """New, removed and changed recipients of a month."""
    header = ["变动", "案件编号", "救助类别", "乡镇", "村", "户主", "变动内容", "本月保障金（元）"]
    body = (_change(c, found.names) for c in found.changes)
    return _book(f"{found.month}对象变动", header, body)


UNTRAINED_HEADER = ("单位", "姓名", "账号")


def untrained_xlsx(rows: Sequence[Untrained], year: int) -> bytes:
    """Staff who attended no training session in `year`."""
    body = ([u.unit_name, u.display_name, u.username] for u in rows)
    return _book(f"{year}年未参加培训", UNTRAINED_HEADER, body)


def untrained_csv(rows: Sequence[Untrained]) -> bytes:
    """The same list as CSV (UTF-8 with BOM; names can never become formulas)."""
    body = ([u.unit_name, u.display_name, u.username] for u in rows)
    return csv_bytes([UNTRAINED_HEADER, *body])


def orphans_xlsx(rows: Sequence[OrphanRow]) -> bytes:
    """The orphan list as the page shows it (names and ID numbers masked as there)."""
    header = [
        "案件编号",
        "乡镇",
        "村",
        "儿童",
        "身份证号",
        "类别",
        "养育方式",
        "监护人",
        "与儿童关系",
        "案件状态",
        "月基本生活费（元）",
        "发放起始月",
        "年满18周岁日期",
    ]
    body = (
        [
            r.case_no,
            r.township,
            r.village,
            r.child_name,
            r.child_id_number,
            r.category,
            r.setting,
            r.guardian,
            r.guardian_relation,
            r.state_label,
            "" if r.allowance_fen is None else yuan(r.allowance_fen),
            r.allowance_from,
            r.turns_18_on.isoformat(),
        ]
        for r in rows
    )
    return _book("孤儿及事实无人抚养儿童", header, body)
