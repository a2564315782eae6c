"""Row-level validation of a roster: normalise each row, or say in Chinese what is wrong with it.

`RowValidator` is stateful (duplicates, the current household of files that list a head and then
its members), so rows must be fed in file order. An .xlsx report writer is at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook

from caseflow.idnumber import InvalidIdNumber, parse_id_number
from caseflow.ledger.columns import FIELD_LABELS, ColumnPreset
from caseflow.ledger.kinds import HOUSEHOLD_KINDS
from caseflow.ledger.reader import SourceRow
from caseflow.money import parse_yuan

ERROR = "error"
NOTICE = "notice"
HEAD = "户主"
SEVERITY_LABELS = {ERROR: "错误", NOTICE: "提示"}

# Full-width digits and Latin letters, and the ideographic space; Chinese punctuation is kept.
_FULLWIDTH = {
    c: c - 0xFEE0 for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for c in range(*r)
}
_FULLWIDTH[0x3000] = 0x20
_ErrorFn = Callable[[str, str], None]
_NO_SPACES = frozenset({"id_number", "head_id_number", "name", "head_name", "household_no"})


@dataclass(frozen=True)
class ReportEntry:
    """One finding: the source row, the field (Chinese label), error or notice, and why."""

    row_no: int
    field: str
    severity: str
    message: str


@dataclass
class CleanRow:
    """A valid, normalised row, ready to be stored as a RosterRow."""

    row_no: int
    household_key: str
    id_number: str
    name: str
    head_name: str = ""
    township: str = ""
    township_code: str | None = None
    village: str = ""
    relation: str = ""
    health: str = ""
    labour_capacity: str = ""
    attribute: str = ""
    main_cause: str = ""
    income_fen: int | None = None
    aid_class: str = ""
    household_size: int | None = None
    raw: dict[str, str] = field(default_factory=dict)


# Anything normalise_cell could change; most cells have none of it and are returned as they are.
_UNTIDY = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\\s]")


def normalise_cell(name: str, value: str) -> str:
    """Full-width digits/letters to ASCII, stray spaces removed (all spaces in names and IDs)."""
    if _UNTIDY.search(value) is None:
        return value
    text = value.translate(_FULLWIDTH)
    if name in _NO_SPACES:
        return "".join(text.split())
    return " ".join(text.split())


# Plain "1234" or "1234.5" (ASCII, at most two decimals): the common case, parsed without Decimal.
_PLAIN_YUAN = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?", re.ASCII)


def monthly_fen(text: str, *, annual: bool) -> int:
    """Yuan as written → fen per month (annual figures divided by 12, rounded half up)."""
    plain = _PLAIN_YUAN.fullmatch(text)
    if plain is not None:
        whole, cents = plain.groups()
        fen = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
        # fen ≥ 0 here, so half-up rounding of fen / 12 is floor((2·fen + 12) / 24).
        return (2 * fen + 12) // 24 if annual else fen
    fen = parse_yuan(text)
    if not annual:
        return fen
    return int((Decimal(fen) / 12).quantize(Decimal(1), ROUND_HALF_UP))


class RowValidator:
    """Validates the rows of one file, in order."""

    def __init__(
        self,
        preset: ColumnPreset,
        kind: str,
        today: date,
        townships: Mapping[str, str] | None = None,
        file_fields: frozenset[str] = frozenset(),
    ) -> None:
        self.preset = preset
        self.kind = kind
        self.today = today
        self.townships = townships or {}
        self.file_fields = file_fields  # the columns the file has (from its header)
        self._seen: dict[str, int] = {}  # id number → row_no << 32 | household-key hash
        self._current_head: tuple[str, str] | None = None  # (key, head name) of the last 户主

    def check(self, row: SourceRow) -> tuple[CleanRow | None, list[ReportEntry]]:
        """The clean row (None when the row has an error) and every finding about it."""
        issues: list[ReportEntry] = []
        values = self._normalised(row, issues)

        def error(name: str, message: str) -> None:
            issues.append(ReportEntry(row.row_no, FIELD_LABELS[name], ERROR, message))

        for name in self.preset.required:
            if not values.get(name):
                error(name, f"缺少必填项「{FIELD_LABELS[name]}」")
        ident = self._id_number(row.row_no, values, "id_number", issues)
        head_ident = self._id_number(row.row_no, values, "head_id_number", issues)
        income = self._income(values, error)
        size = self._size(values, error)
        if any(i.severity == ERROR for i in issues) or ident is None:
            return None, issues
        key, head_name = self._household(ident, head_ident, values)
        if key is None:
            error(
                "household_no",
                "无法确定所属家庭（缺少户编号、户主身份证号或户主姓名，且此前无户主行）",
            )
            return None, issues
        if not self._first_time(row.row_no, ident, key, error):
            return None, issues
        township = values.get("township", "")
        code = self.townships.get(township)
        if township and code is None and self.kind in HOUSEHOLD_KINDS:
            issues.append(
                ReportEntry(
                    row.row_no,
                    FIELD_LABELS["township"],
                    NOTICE,
                    f"乡镇「{township}」不在本区机构中，比对结果将只能由区级处理",
                )
            )
        return (
            CleanRow(
                row_no=row.row_no,
                household_key=key,
                id_number=ident,
                name=values.get("name", ""),
                head_name=head_name,
                township=township,
                township_code=code,
                village=values.get("village", ""),
                relation=values.get("relation", ""),
                health=values.get("health", ""),
                labour_capacity=values.get("labour_capacity", ""),
                attribute=values.get("attribute", ""),
                main_cause=values.get("main_cause", ""),
                income_fen=income,
                aid_class=values.get("aid_class", "").upper(),
                household_size=size,
                raw=row.raw,
            ),
            issues,
        )

    def _normalised(self, row: SourceRow, issues: list[ReportEntry]) -> dict[str, str]:
        # One regex pass over the whole row: most rows need no normalising at all.
        if _UNTIDY.search("".join(row.values.values())) is None:
            return dict(row.values)
        values: dict[str, str] = {}
        changed: list[str] = []
        for name, raw in row.values.items():
            clean = normalise_cell(name, raw)
            if clean is raw:  # nothing to normalise (the common case)
                values[name] = clean
                continue
            if clean != raw.strip() or (raw != raw.strip() and name in _NO_SPACES):
                changed.append(FIELD_LABELS[name])
            values[name] = clean
        if changed:
            issues.append(
                ReportEntry(
                    row.row_no,
                    "、".join(changed),
                    NOTICE,
                    "全角字符或多余空格已规范化",
                )
            )
        return values

    def _id_number(
        self, row_no: int, values: dict[str, str], name: str, issues: list[ReportEntry]
    ) -> str | None:
        text = values.get(name, "")
        if not text:
            return None
        label = FIELD_LABELS[name]
        try:
            parsed = parse_id_number(text, today=self.today)
        except InvalidIdNumber as exc:
            issues.append(ReportEntry(row_no, label, ERROR, f"{exc}（{text}）"))
            return None
        if len(text) == 15:
            issues.append(
                ReportEntry(row_no, label, NOTICE, f"15 位旧身份证号已转换为 18 位：{parsed.value}")
            )
        elif text.endswith("x"):
            issues.append(ReportEntry(row_no, label, NOTICE, "末位小写 x 已改为大写 X"))
        return parsed.value

    def _income(self, values: dict[str, str], error: _ErrorFn) -> int | None:
        for name, annual in (("income_month", False), ("income_year", True)):
            text = values.get(name, "")
            if text:
                try:
                    return monthly_fen(text, annual=annual)
                except ValueError as exc:
                    error(name, str(exc))
                    return None
        return None

    def _size(self, values: dict[str, str], error: _ErrorFn) -> int | None:
        text = values.get("household_size", "")
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 99:
            error("household_size", f"家庭人口数应为 1–99 的整数（{text}）")
            return None
        return int(text)

    def _household(
        self, ident: str, head_ident: str | None, values: dict[str, str]
    ) -> tuple[str | None, str]:
        if self.kind not in HOUSEHOLD_KINDS:
            return f"person:{ident}", values.get("name", "")
        head_name = values.get("head_name", "")
        is_head = values.get("relation", "") == HEAD or (head_ident == ident)
        if is_head:
            head_name = head_name or values.get("name", "")
        key: str | None = None
        if values.get("household_no"):
            key = f"no:{values['household_no']}"
        elif head_ident:
            key = f"head:{head_ident}"
        elif head_name and "head_name" in self.file_fields:
            place = f"{values.get('township', '')}|{values.get('village', '')}"
            key = f"name:{head_name}|{place}"
        elif is_head:
            key = f"head:{ident}"
        elif self._current_head is not None:
            key, head_name = self._current_head
        if is_head and key is not None:
            self._current_head = (key, head_name)
        return key, head_name

    def _first_time(self, row_no: int, ident: str, key: str, error: _ErrorFn) -> bool:
        tag = hash(key) & 0xFFFFFFFF
        earlier = self._seen.get(ident)
        if earlier is None:
            self._seen[ident] = row_no << 32 | tag
            return True
        first_row, first_tag = earlier >> 32, earlier & 0xFFFFFFFF
        if first_tag == tag or self.kind not in HOUSEHOLD_KINDS:
            error("id_number", f"与第 {first_row} 行为同一人，重复登记")
        else:
            error("id_number", f"同一人出现在两个家庭：第 {first_row} 行已登记在另一户")
        return False


def write_report_xlsx(entries: Iterable[ReportEntry], path: Path, *, title: str = "") -> Path:
    """The validation report as .xlsx: row, field, error/notice, explanation."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("校验报告")
    if title:
        ws.append([title])
    ws.append(["行号", "字段", "类型", "说明"])
    for e in entries:
        ws.append([e.row_no, e.field, SEVERITY_LABELS[e.severity], e.message])
    wb.save(path)
    return path
