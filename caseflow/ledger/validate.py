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
from json.encoder import JSONEncoder, encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import Any

from caseflow.kernel.contact import InvalidContact, normalise_phone
from caseflow.kernel.idnumber import InvalidIdNumber, parse_id_number
from caseflow.kernel.money import parse_yuan
from caseflow.kernel.spreadsheet import XlsxWriter
from caseflow.ledger.columns import (
    FIELD_LABELS,
    ColumnPreset,
    HeaderMap,
    income_conversion,
    unmapped_reason,
)
from caseflow.ledger.kinds import HOUSEHOLD_KINDS
from caseflow.ledger.reader import RowBuilder, SourceRow

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


_json_text = encode_basestring  # a str as a JSON string, non-ASCII kept (C)
_json = JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode

# The stored form of a valid row (a `roster_rows` row without its import id), in this order.
ROW_COLUMNS = (
    "row_no",
    "household_key",
    "head_name",
    "township",
    "township_code",
    "village",
    "id_number",
    "name",
    "relation",
    "health",
    "labour_capacity",
    "attribute",
    "main_cause",
    "income_fen",
    "aid_class",
    "household_size",
    "raw",  # JSON text
)
StoredRow = tuple[Any, ...]


def stored_row(row: CleanRow) -> StoredRow:
    """A clean row in the `ROW_COLUMNS` layout, text cut to the column widths."""
    return (
        row.row_no,
        row.household_key[:160],
        row.head_name[:100],
        row.township[:100],
        row.township_code,
        row.village[:100],
        row.id_number,
        row.name[:100],
        row.relation[:20],
        row.health[:40],
        row.labour_capacity[:40],
        row.attribute[:20],
        row.main_cause[:40],
        row.income_fen,
        row.aid_class[:10],
        row.household_size,
        _json(row.raw),
    )


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


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# Weighted digit sums of the three parts of an ID number (area, birth date, sequence), cached:
# a roster repeats a few area codes and some tens of thousands of birth dates.
_AREA_SUM: dict[str, int] = {}
_BIRTH_SUM: dict[str, int] = {}
_SEQUENCE_SUM: dict[str, int] = {}


def _part_sum(sums: dict[str, int], part: str, start: int) -> int:
    if len(sums) > 100_000:  # a file of made-up area codes cannot grow this without bound
        sums.clear()
    value = sums[part] = sum(int(d) * w for d, w in zip(part, _WEIGHTS[start:], strict=False))
    return value


def _check_char(text: str) -> str:
    """The GB 11643 check character of the first 17 digits of `text` (as idnumber.check_char)."""
    area, birth, sequence = text[:6], text[6:14], text[14:17]
    total = (
        (_AREA_SUM.get(area) or _part_sum(_AREA_SUM, area, 0))
        + (_BIRTH_SUM.get(birth) or _part_sum(_BIRTH_SUM, birth, 6))
        + (_SEQUENCE_SUM.get(sequence) or _part_sum(_SEQUENCE_SUM, sequence, 14))
    )
    return _CHECK[total % 11]


def phone_problem(text: str) -> str | None:
    """Why a roster's telephone is not one, by the rule the desk applies
    (caseflow.kernel.contact: mobile, or landline with its area code); None when it is, or blank."""
    try:
        normalise_phone(text)
    except InvalidContact as exc:
        return exc.message_zh
    return None


def _plausible_birth(digits: str, today: date) -> bool:
    """The eight birth-date digits name a real day from 1900 to `today` (as parse_id_number)."""
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


# The fields `check_cells` picks out of a row, in this order (every field a preset can map).
_FAST_FIELDS = (
    "household_no",
    "head_name",
    "head_id_number",
    "id_number",
    "name",
    "relation",
    "health",
    "labour_capacity",
    "attribute",
    "main_cause",
    "income_year",
    "income_month",
    "township",
    "village",
    "aid_class",
    "household_size",
    "phone",
)
assert set(_FAST_FIELDS) == set(FIELD_LABELS)


class _FastPlan:
    """Where each field sits in a row of cells under one header (worked out once per file)."""

    def __init__(self, header: HeaderMap, preset: ColumnPreset) -> None:
        column = {name: i for i, name in header.columns.items()}
        # -1: the empty cell check_cells appends, for a field the file has no column for.
        self.pick = itemgetter(*(column.get(name, -1) for name in _FAST_FIELDS))
        self.reach = max(header.columns, default=-1) + 1
        self.required = [_FAST_FIELDS.index(name) for name in preset.required]
        self.build = RowBuilder(header)
        # raw keeps what the stored columns do not hold as written: the cells of columns no
        # field maps and the income as written (stored converted to fen per month). A row that
        # needed normalising takes the general path and keeps every cell.
        names = self.build.names
        income = {i for i, name in header.columns.items() if name.startswith("income_")}
        self.keep = [i for i in range(len(names)) if i not in header.columns or i in income]
        self.keys = {i: f"{_json_text(names[i])}:" for i in self.keep}

    def raw(self, cells: list[str]) -> str:
        """The kept cells of a tidy row as a JSON object (header text → cell text, non-blank
        cells only), written directly: the keys are encoded once per file."""
        parts = [
            f"{self.keys[i]}{_json_text(cells[i])}"
            for i in self.keep
            if i < len(cells) and cells[i].strip()
        ]
        for i in range(len(self.build.names), len(cells)):
            if cells[i].strip():
                parts.append(f"{_json_text(f'列{i + 1}')}:{_json_text(cells[i])}")
        return "{" + ",".join(parts) + "}"


class RowValidator:
    """Validates the rows of one file, in order."""

    def __init__(
        self,
        preset: ColumnPreset,
        kind: str,
        today: date,
        townships: Mapping[str, str] | None = None,
        file_fields: frozenset[str] = frozenset(),
        *,
        header: HeaderMap | None = None,
    ) -> None:
        self.preset = preset
        self.kind = kind
        self.today = today
        self.townships = townships or {}
        # the columns the file has (from its header)
        self.file_fields = header.fields if header is not None and not file_fields else file_fields
        self._seen: dict[str, int] = {}  # id number → row_no << 32 | household-key hash
        self._current_head: tuple[str, str] | None = None  # (key, head name) of the last 户主
        self._plan = _FastPlan(header, preset) if header is not None else None
        self._born_ok: dict[str, bool] = {}  # an ID's eight birth-date digits → plausible
        self._name_heads: dict[str, dict[str, str]] = {}  # name key → head's ID → its key
        self._name_latest: dict[str, str] = {}  # name key → key of the latest such head

    def check_cells(
        self, row_no: int, cells: list[str]
    ) -> tuple[StoredRow | None, list[ReportEntry]]:
        """`check` of a row of cells under the header the validator was built with, giving the
        stored form (`ROW_COLUMNS`) of a valid row. A tidy row (nothing to normalise, no
        finding) is checked here without building dictionaries; any other row takes `check`, so
        both give the same rows and findings (only `raw` differs: see `_FastPlan.raw`)."""
        plan = self._plan
        if plan is None:
            raise RuntimeError("check_cells needs the validator built with the file's header")
        if len(cells) < plan.reach:
            return self._general(row_no, cells)
        cells.append("")  # the value of every field the file has no column for (index -1)
        picked = plan.pick(cells)
        cells.pop()
        (
            household_no,
            head_name,
            head_id_text,
            ident,
            name,
            relation,
            health,
            labour,
            attribute,
            cause,
            income_year,
            income_month,
            township,
            village,
            aid_class,
            size_text,
            _phone,
        ) = picked
        if (
            _UNTIDY.search("".join(picked)) is not None
            or not all([picked[i] for i in plan.required])
            or not self._tidy_id(ident)
            or (head_id_text and not self._tidy_id(head_id_text))
            or ident in self._seen
            or (_phone and phone_problem(_phone) is not None)
        ):
            return self._general(row_no, cells)
        size: int | None = None
        if size_text:
            if not (size_text.isascii() and size_text.isdigit()) or not 0 < int(size_text) <= 99:
                return self._general(row_no, cells)
            size = int(size_text)
        income: int | None = None
        try:
            if income_month:
                income = monthly_fen(income_month, annual=False)
            elif income_year:
                income = monthly_fen(income_year, annual=True)
        except ValueError:
            return self._general(row_no, cells)
        code = self.townships.get(township)
        if township and code is None and self.kind in HOUSEHOLD_KINDS:
            return self._general(row_no, cells)  # the notice about an unknown township
        key, head_name = self._household(
            ident, head_id_text or None, household_no, name, head_name, relation, township, village
        )
        if key is None:
            return self._general(row_no, cells)  # the error (this changed no state)
        self._seen[ident] = row_no << 32 | (hash(key) & 0xFFFFFFFF)
        return (
            (
                row_no,
                key[:160],
                head_name[:100],
                township[:100],
                code,
                village[:100],
                ident,
                name[:100],
                relation[:20],
                health[:40],
                labour[:40],
                attribute[:20],
                cause[:40],
                income,
                aid_class.upper()[:10],
                size,
                plan.raw(cells),
            ),
            [],
        )

    def _general(self, row_no: int, cells: list[str]) -> tuple[StoredRow | None, list[ReportEntry]]:
        assert self._plan is not None
        clean, issues = self.check(self._plan.build(row_no, cells))
        return (None if clean is None else stored_row(clean)), issues

    def _tidy_id(self, text: str) -> bool:
        """An 18-character ID number that `parse_id_number` takes unchanged and without notice:
        ASCII digits (last one or upper-case X), a plausible birth date, the right check."""
        if len(text) != 18 or not text.isascii() or not text[:17].isdigit():
            return False
        last = text[17]
        if not (last.isdigit() or last == "X"):
            return False
        born = text[6:14]
        ok = self._born_ok.get(born)
        if ok is None:
            ok = self._born_ok[born] = _plausible_birth(born, self.today)
        return ok and _check_char(text) == last

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
        key, head_name = self._household(
            ident,
            head_ident,
            values.get("household_no", ""),
            values.get("name", ""),
            values.get("head_name", ""),
            values.get("relation", ""),
            values.get("township", ""),
            values.get("village", ""),
        )
        if key is None:
            error(
                "household_no",
                "无法确定所属家庭（缺少户编号、户主身份证号或户主姓名，且此前无户主行）",
            )
            return None, issues
        if not self._first_time(row.row_no, ident, key, error):
            return None, issues
        phone = phone_problem(values.get("phone", ""))
        if phone is not None:  # kept: a roster's telephone is not what the comparison needs
            issues.append(ReportEntry(row.row_no, FIELD_LABELS["phone"], NOTICE, phone))
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
        self,
        ident: str,
        head_ident: str | None,
        household_no: str,
        name: str,
        head_name: str,
        relation: str,
        township: str,
        village: str,
    ) -> tuple[str | None, str]:
        if self.kind not in HOUSEHOLD_KINDS:
            return f"person:{ident}", name
        is_head = relation == HEAD or (head_ident == ident)
        if is_head:
            head_name = head_name or name
        key: str | None = None
        if household_no:
            key = f"no:{household_no}"
        elif head_ident:
            key = f"head:{head_ident}"
        elif head_name and "head_name" in self.file_fields:
            key = self._name_key(f"name:{head_name}|{township}|{village}", ident, is_head)
        elif is_head:
            key = f"head:{ident}"
        elif self._current_head is not None:
            key, head_name = self._current_head
        if is_head and key is not None:
            self._current_head = (key, head_name)
        return key, head_name

    def _name_key(self, base: str, ident: str, is_head: bool) -> str:
        """The household key of a row keyed by head name + village. A second head of the same
        name in the same village starts a household of its own (base#2, #3…) instead of joining
        the first; a member row goes with the latest head of that name above it. Which is the
        guess a person must confirm: the comparison marks such households 人工判定."""
        heads = self._name_heads.get(base)
        if heads is None:
            heads = self._name_heads[base] = {}
        if is_head:
            if ident not in heads:
                heads[ident] = base if not heads else f"{base}#{len(heads) + 1}"
            self._name_latest[base] = heads[ident]
            return heads[ident]
        return self._name_latest.get(base, base)

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


def header_findings(header: HeaderMap) -> list[ReportEntry]:
    """What the report says about the columns before any row: every column not imported and
    why, and the unit conversion of each income column (row number: the header's)."""
    found: list[ReportEntry] = []
    for i, text in enumerate(header.headers):
        name = header.columns.get(i)
        if name is None and text.strip():
            message = f"第 {i + 1} 列{unmapped_reason(text)}"
            found.append(ReportEntry(header.row_no, text.strip(), NOTICE, message))
        elif name is not None and name.startswith("income_"):
            message = f"第 {i + 1} 列{income_conversion(name)}"
            found.append(ReportEntry(header.row_no, text.strip(), NOTICE, message))
    return found


def write_report_xlsx(entries: Iterable[ReportEntry], path: Path, *, title: str = "") -> Path:
    """The validation report as .xlsx: row, field, error/notice, explanation."""
    wb = XlsxWriter()
    ws = wb.sheet("校验报告")
    if title:
        ws.append([title])
    ws.append(["行号", "字段", "类型", "说明"])
    for e in entries:
        ws.append([e.row_no, e.field, SEVERITY_LABELS[e.severity], e.message])
    wb.save(path)
    return path
