"""Column-mapping presets for the Chinese headers the source systems write, and header detection
that skips blank rows and merged title rows above the real header."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from caseflow.kernel.errors import InputError
from caseflow.ledger.kinds import HOUSEHOLD_KINDS, KINDS

# Canonical fields → the Chinese label used in messages and reports.
FIELD_LABELS: dict[str, str] = {
    "household_no": "户编号",
    "head_name": "户主姓名",
    "head_id_number": "户主身份证号",
    "id_number": "证件号码",
    "name": "姓名",
    "relation": "与户主关系",
    "health": "健康状况",
    "labour_capacity": "劳动技能",
    "attribute": "贫困户属性",
    "main_cause": "主要致贫原因",
    "income_year": "人均纯收入（元/年）",
    "income_month": "月人均收入（元/月）",
    "township": "乡（镇）",
    "village": "行政村",
    "aid_class": "保障类别",
    "household_size": "家庭人口数",
    "phone": "联系电话",
}

ALIASES: dict[str, tuple[str, ...]] = {
    "household_no": ("户编号", "户号", "家庭编号", "户码"),
    "head_name": ("户主姓名", "户主", "申请人姓名"),
    "head_id_number": ("户主身份证号", "户主身份证号码", "户主证件号码", "户主公民身份号码"),
    "id_number": (
        "证件号码",
        "身份证号码",
        "身份证号",
        "公民身份号码",
        "成员身份证号",
        "成员证件号码",
        "人员证件号码",
        "家庭成员身份证号",
        "家庭成员身份证号码",
        "家庭成员证件号码",
    ),
    "name": ("姓名", "成员姓名", "人员姓名", "家庭成员姓名"),
    "relation": ("与户主关系", "与户主的关系", "与申请人关系"),
    "health": ("健康状况", "健康状态"),
    "labour_capacity": ("劳动技能", "劳动能力", "劳动力状况"),
    "attribute": ("贫困户属性", "贫困属性", "户属性"),
    "main_cause": ("主要致贫原因", "致贫原因"),
    "income_year": ("人均纯收入", "家庭人均纯收入", "年人均纯收入", "人均可支配收入"),
    "income_month": ("月人均收入", "家庭月人均收入", "人均月收入", "家庭人均月收入"),
    "township": ("乡(镇)", "乡镇", "乡镇(街道)", "所属乡镇", "乡镇名称", "乡镇(街道)名称"),
    "village": ("行政村", "村", "村(居)", "所属村", "村(社区)", "行政村名称", "村名称"),
    "aid_class": ("保障类别", "低保类别", "分类施保类别", "类别"),
    "household_size": ("家庭人口数", "家庭人口", "户人口数", "家庭人数", "保障人口"),
    "phone": ("联系电话", "电话", "手机号码"),
}


# A mapping value meaning "do not import this column", even when its header is a known alias.
IGNORE = ""


@dataclass(frozen=True)
class ColumnPreset:
    """A saved column mapping: which headers mean which field, and which fields are required."""

    key: str
    label: str
    aliases: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]  # every row must have these
    header_required: tuple[str, ...] = ("id_number", "name")  # a header row has these columns
    extra: Mapping[str, str] = field(default_factory=dict)  # header text → field, overrides

    def with_mapping(self, mapping: Mapping[str, str]) -> ColumnPreset:
        """The same preset with explicit header → field entries (a user's saved mapping)."""
        unknown = sorted(set(mapping.values()) - set(FIELD_LABELS) - {IGNORE})
        if unknown:
            raise ValueError(f"未知字段：{'、'.join(unknown)}")
        extra = {normalise_header(k): v for k, v in {**self.extra, **mapping}.items()}
        return ColumnPreset(
            self.key, self.label, self.aliases, self.required, self.header_required, extra
        )


def _preset(kind: str, label: str) -> ColumnPreset:
    required: tuple[str, ...] = ("id_number", "name")
    if kind in HOUSEHOLD_KINDS:
        required = ("id_number", "name", "township")
    return ColumnPreset(kind, label, ALIASES, required)


PRESETS: dict[str, ColumnPreset] = {
    "registry": _preset("registry", "全国扶贫开发信息系统（建档立卡）导出"),
    "dibao_roster": _preset("dibao_roster", "低保信息系统导出"),
    "tekun_roster": _preset("tekun_roster", "特困供养信息系统导出"),
    **{k: _preset(k, "部门比对名单") for k in KINDS if k not in HOUSEHOLD_KINDS},
}

_UNIT_SUFFIX = re.compile(r"\((?:元|人|个|户)[^)]*\)$")


def normalise_header(text: str) -> str:
    """NFKC (full-width brackets and digits), no whitespace, no required-field asterisks."""
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").replace("\u200b", "")
    return "".join(text.split()).strip("*＊").lower()


def _alias_index(preset: ColumnPreset) -> dict[str, str]:
    index: dict[str, str] = {}
    for name, aliases in preset.aliases.items():
        for alias in aliases:
            index.setdefault(normalise_header(alias), name)
    return index


# The registry's income headers come in many spellings: 年/月 (the period), 人均/家庭人均 (per
# person), 纯收入/可支配收入/收入, and a unit in brackets. Per person per year or month in yuan is
# read; anything else that names an income (a household's total, 万元) is left unmapped and the
# report says why, rather than read as something it is not.
_BRACKETED_UNIT = re.compile(r"\(([^)]*)\)$")
_YUAN_UNITS = frozenset(
    {"", "元", "元/年", "元/月", "元/人", "元/人/年", "元/人/月", "元/人·年", "元/人·月"}
)


def _split_unit(key: str) -> tuple[str, str]:
    found = _BRACKETED_UNIT.search(key)
    if found is None:
        return key, ""
    return key[: found.start()], found.group(1).replace("每", "/").replace("／", "/")


def income_field(key: str) -> str | None:
    """income_year | income_month for a per-person income header in yuan (normalised text),
    None for anything else."""
    name, unit = _split_unit(key)
    if "收入" not in name or "人均" not in name or unit not in _YUAN_UNITS:
        return None
    return "income_month" if "月" in name or unit.endswith("月") else "income_year"


def unmapped_reason(text: str) -> str:
    """Why a column that is not imported is not (for the validation report)."""
    name, unit = _split_unit(normalise_header(text))
    if "收入" in name and "人均" in name and unit not in _YUAN_UNITS:
        return f"单位「{unit}」不是元，系统不自动换算：请换算为元后重新导入，或在列对应中指定"
    if "收入" in name and "人均" not in name:
        return "为家庭总收入，比对使用人均收入，未导入"
    return "未对应任何字段，未导入（原文保存在原始数据中）"


def income_conversion(field_name: str) -> str:
    """The unit conversion made for an income column, said explicitly."""
    if field_name == "income_year":
        return "按人均年收入（元/年）读取，除以 12 折算为人均月收入（四舍五入到分）"
    return "按人均月收入（元/月）读取，不换算"


def match_header(
    text: str, preset: ColumnPreset, index: Mapping[str, str] | None = None
) -> str | None:
    """The field a header cell names, or None ("家庭年人均纯收入（元）" is income_year,
    "人均可支配收入（元/月）" income_month)."""
    key = normalise_header(text)
    if not key:
        return None
    if key in preset.extra:
        return preset.extra[key] or None  # IGNORE: the user said this column is not imported
    index = _alias_index(preset) if index is None else index
    if key in index:
        return index[key]
    if "收入" in key:  # never through the generic unit strip below: the unit decides
        return income_field(key)
    return index.get(_UNIT_SUFFIX.sub("", key))


@dataclass(frozen=True)
class HeaderMap:
    """Where the header is and which column holds which field."""

    row_no: int
    headers: tuple[str, ...]
    columns: Mapping[int, str]  # column index → field

    @property
    def fields(self) -> frozenset[str]:
        """The fields the file has a column for."""
        return frozenset(self.columns.values())


class HeaderNotFound(InputError):
    """No row near the top looks like the header; the message is Chinese."""


def header_of(row_no: int, cells: list[str], preset: ColumnPreset) -> HeaderMap | None:
    """The header map when this row is the header row, else None."""
    columns: dict[int, str] = {}
    index = _alias_index(preset)
    for i, cell in enumerate(cells):
        name = match_header(cell, preset, index)
        if name is not None and name not in columns.values():
            columns[i] = name
    found = set(columns.values())
    if len(found) < 2 or not set(preset.header_required) <= found:
        return None
    return HeaderMap(row_no, tuple(c.strip() for c in cells), columns)


def _two_level(parent: list[str], cells: list[str]) -> list[str]:
    """The header of a two-level layout: each column's group title (a merged cell above it, so
    written once at its left end) put before its own title, where that names a field."""
    combined, group = [], ""
    for i, cell in enumerate(cells):
        if i < len(parent) and parent[i].strip():
            group = parent[i].strip()
        combined.append(f"{group}{cell.strip()}" if group and cell.strip() else cell)
    return combined


def _better_of(
    row_no: int, parent: list[str] | None, cells: list[str], preset: ColumnPreset
) -> HeaderMap | None:
    found = header_of(row_no, cells, preset)
    if found is None or not parent:
        return found
    index = _alias_index(preset)
    combined = _two_level(parent, cells)
    best = [c if match_header(c, preset, index) else cells[i] for i, c in enumerate(combined)]
    two = header_of(row_no, best, preset)
    return two if two is not None and len(two.fields) > len(found.fields) else found


def detect_header(
    rows: Iterable[tuple[int, list[str]]], preset: ColumnPreset, max_scan: int = 30
) -> tuple[HeaderMap, Iterator[tuple[int, list[str]]]]:
    """Find the header among the first `max_scan` rows (a row of group titles above it is read
    with it); return it and the remaining rows."""
    it = iter(rows)
    parent: list[str] | None = None
    for scanned, (row_no, cells) in enumerate(it, start=1):
        found = _better_of(row_no, parent, cells, preset)
        if found is not None:
            return found, it
        parent = cells if "".join(cells).strip() else parent
        if scanned >= max_scan:
            break
    need = "、".join(FIELD_LABELS[f] for f in preset.header_required)
    raise HeaderNotFound(f"前 {max_scan} 行中未找到表头（表头须包含：{need}）")
