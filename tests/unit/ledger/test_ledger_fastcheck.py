"""The import's row fast path (`RowValidator.check_cells`) gives exactly the rows and findings of
the general path (`RowValidator.check` on a `SourceRow`), whatever the row looks like."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from ledger_support import LIST_HEADER, REGISTRY_HEADER, ROSTER_HEADER, fifteen, fullwidth, pid

from caseflow.kernel.idnumber import check_char
from caseflow.ledger.columns import PRESETS, HeaderMap, header_of
from caseflow.ledger.reader import RowBuilder
from caseflow.ledger.validate import (
    ROW_COLUMNS,
    RowValidator,
    _check_char,
    stored_row,
)

TODAY = date(2026, 3, 2)
TOWNSHIPS = {"滨河镇": "640502100", "640502101": "640502101"}
RAW = ROW_COLUMNS.index("raw")
# A registry layout with a head-of-household ID column, a phone and a column no field maps.
WIDE_HEADER = [
    "户主身份证号",
    "户主姓名",
    "乡镇",
    "村",
    "姓名",
    "身份证号",
    "与户主关系",
    "联系电话",
    "备注",
    "月人均收入",
    "家庭人口数",
]


def _header(cells: list[str], kind: str) -> HeaderMap:
    found = header_of(3, cells, PRESETS[kind])
    assert found is not None
    return found


def _messy(rng: random.Random, text: str, is_id: bool) -> str:
    """The ways real exports spoil a cell, now and then (about one cell in thirteen)."""
    roll = rng.random() * 2
    if roll < 0.05:
        return f" {text} "
    if roll < 0.08:
        return fullwidth(text)
    if roll < 0.10:
        return text.lower() if is_id else "１２"
    if roll < 0.12:
        return ""
    if roll < 0.14 and is_id and len(text) == 18:
        return text[:17] + ("0" if text[17] != "0" else "1")  # wrong check character
    if roll < 0.15 and is_id and len(text) == 18:
        return text[:10] + "1399" + text[14:]  # no such birth date
    return text


def _pick(rng: random.Random, choices: list[str]) -> str:
    """Mostly the first (tidy) choice, now and then one of the others."""
    return choices[0] if rng.random() < 0.8 else rng.choice(choices)


def _ident(rng: random.Random, pool: list[str]) -> str:
    roll = rng.random()
    if roll < 0.05 and pool:
        return rng.choice(pool)  # the same person twice
    if roll < 0.08:
        return fifteen(1950 + rng.randrange(40), rng.randrange(1, 999))[0]
    ident = pid(1930 + rng.randrange(90), rng.randrange(1, 999))
    if ident[-1] != "X" and rng.random() < 0.1:
        first17 = ident[:17]
        for seq in range(1, 999):
            first17 = first17[:14] + f"{seq:03d}"
            if check_char(first17) == "X":
                return first17 + "X"
    return ident


def _rows(rng: random.Random, header: list[str], count: int) -> list[list[str]]:
    pool: list[str] = []
    rows = []
    for n in range(count):
        ident = _ident(rng, pool)
        pool.append(ident)
        household = n // 3
        values = {
            "户编号": f"H{household}",
            "户主身份证号": pid(1950, household % 999 + 1) if n % 3 else ident,
            "户主姓名": _pick(rng, ["张三", "李四", "", "王 五"]),
            "乡（镇）": _pick(rng, ["滨河镇", "滨河镇", "640502101", "外乡镇", ""]),
            "乡镇": _pick(rng, ["滨河镇", "640502101", "外乡镇"]),
            "行政村": "示例村",
            "村（居）": "示例村",
            "村": _pick(rng, ["示例村", ""]),
            "姓名": _pick(rng, ["张三", "李梅", "", "欧阳 娜"]),
            "成员姓名": _pick(rng, ["张三", "李梅"]),
            "公民身份号码": ident,
            "证件号码": ident,
            "身份证号码": ident,
            "身份证号": ident,
            "与户主关系": "户主" if n % 3 == 0 else _pick(rng, ["配偶", "之子", ""]),
            "健康状况": "健康",
            "劳动技能": _pick(rng, ["普通劳动力", "丧失劳动力"]),
            "贫困户属性": "一般贫困户",
            "主要致贫原因": "因病",
            "人均纯收入（元）": _pick(rng, ["4800", "4800.5", "1,200", "abc", "", "３６００"]),
            "家庭月人均收入": _pick(rng, ["450", "450.25", "-5", ""]),
            "月人均收入": _pick(rng, ["450", "x", ""]),
            "保障类别": _pick(rng, ["a", "B", ""]),
            "家庭人口数": _pick(rng, ["3", "0", "100", "三", ""]),
            "联系电话": _pick(rng, ["13800000000", "138 0000 0000", "", "12345", "7012345"]),
            "备注": _pick(rng, ["", "补录", " "]),
        }
        cells = [_messy(rng, values[h], h.endswith(("身份证号", "号码"))) for h in header]
        roll = rng.random()
        if roll < 0.05:
            cells = cells[: rng.randrange(len(cells))]  # a short row
        elif roll < 0.10:
            cells += ["", _pick(rng, ["", "多余", " "])]  # cells beyond the header
        rows.append(cells)
    return rows


@pytest.mark.parametrize(
    ("kind", "cells"),
    [
        ("registry", REGISTRY_HEADER),
        ("dibao_roster", ROSTER_HEADER),
        ("registry", WIDE_HEADER),
        ("deaths", LIST_HEADER),
    ],
)
def test_fast_path_matches_the_general_path(kind: str, cells: list[str]) -> None:
    header = _header(cells, kind)
    fast = RowValidator(PRESETS[kind], kind, TODAY, TOWNSHIPS, header=header)
    general = RowValidator(PRESETS[kind], kind, TODAY, TOWNSHIPS, header.fields)
    build = RowBuilder(header)
    rng = random.Random(f"{kind}{len(cells)}")
    valid = tidy = 0
    for n, row in enumerate(_rows(rng, cells, 3000), start=4):
        source = build(n, list(row))
        got, got_issues = fast.check_cells(n, list(row))
        clean, issues = general.check(source)
        assert got_issues == issues, (n, row)
        if clean is None:
            assert got is None, (n, row)
            continue
        valid += 1
        assert got is not None, (n, row)
        expected = stored_row(clean)
        assert got[:RAW] == expected[:RAW], (n, row)
        raw, full = json.loads(got[RAW]), json.loads(expected[RAW])
        assert raw.items() <= full.items()
        if raw != full:  # the fast path: only what the columns do not hold as written
            tidy += 1
            assert not issues
            kept = {k for k in full if "收入" in k or k == "备注" or k.startswith("列")}
            assert set(raw) == kept
    assert valid > 300 and tidy > 100  # both paths were exercised on valid rows


def test_check_character_cache_agrees_with_idnumber() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert _check_char(first17) == check_char(first17)


def test_check_cells_needs_the_header() -> None:
    validator = RowValidator(PRESETS["registry"], "registry", TODAY)
    with pytest.raises(RuntimeError, match="header"):
        validator.check_cells(5, ["x"])
