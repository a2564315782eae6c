"""Header detection and streaming readers over messy files made by the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_support import REGISTRY_HEADER, pid, write_csv, write_xlsx

from caseflow.ledger.columns import PRESETS, HeaderNotFound, detect_header, match_header
from caseflow.ledger.reader import detect_encoding, estimate_rows, read_rows

PRESET = PRESETS["registry"]
ROW = [
    "A001",
    "张三",
    "滨河镇",
    "示例村",
    "张三",
    pid(1960, 11),
    "户主",
    "健康",
    "普通劳动力",
    "一般贫困户",
    "缺资金",
    "4800",
]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("户主身份证号", "head_id_number"),
        ("证件号码", "id_number"),
        ("身份证号码 ", "id_number"),
        ("*姓名", "name"),
        ("乡（镇）", "township"),
        ("乡(镇)", "township"),
        ("人均纯收入（元）", "income_year"),
        ("人均纯收入(元/年)", "income_year"),
        ("劳动技能", "labour_capacity"),
        ("保障类别", "aid_class"),
        ("备注", None),
    ],
)
def test_headers_as_the_systems_write_them(header: str, field: str | None) -> None:
    assert match_header(header, PRESET) == field


def test_header_detection_skips_title_and_blank_rows() -> None:
    rows = [
        (1, ["建档立卡贫困户信息表", "", ""]),
        (2, ["", "", ""]),
        (3, ["姓名", "证件号码", "与户主关系"]),
        (4, ["张三", "x", "户主"]),
    ]
    header, rest = detect_header(rows, PRESET)
    assert header.row_no == 3
    assert dict(header.columns) == {0: "name", 1: "id_number", 2: "relation"}
    assert next(rest)[0] == 4


def test_no_header_is_a_chinese_error() -> None:
    with pytest.raises(HeaderNotFound, match="未找到表头"):
        detect_header([(1, ["a", "b"]), (2, ["c", "d"])], PRESET)


def test_saved_mapping_overrides_aliases() -> None:
    preset = PRESET.with_mapping({"人员身份号": "id_number"})
    assert match_header("人员身份号", preset) == "id_number"
    with pytest.raises(ValueError, match="未知字段"):
        PRESET.with_mapping({"x": "nonsense"})


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "r.csv", REGISTRY_HEADER, [ROW, [""] * 12, ROW], encoding)
    expected = {"gbk": "gb18030", "utf-8-sig": "utf-8-sig", "utf-8": "utf-8"}[encoding]
    assert detect_encoding(path) == expected
    header, rows = read_rows(path, PRESET)
    assert header.row_no == 4
    got = list(rows)
    assert [r.row_no for r in got] == [5, 7]  # the blank row 6 is skipped
    assert got[0].values["name"] == "张三" and got[0].values["township"] == "滨河镇"
    assert got[0].raw["人均纯收入（元）"] == "4800"


def test_xlsx_with_merged_title(tmp_path: Path) -> None:
    numeric = [*ROW[:11], 4800]
    path = write_xlsx(tmp_path / "r.xlsx", REGISTRY_HEADER, [numeric, ROW])
    header, rows = read_rows(path, PRESET)
    assert header.row_no == 4
    got = list(rows)
    assert [r.row_no for r in got] == [5, 6]
    assert got[0].values["income_year"] == "4800"  # no ".0" from a numeric cell
    assert estimate_rows(path) == 6


def test_tab_separated_text(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("姓名\t证件号码\n张三\t" + pid(1960, 11) + "\n", encoding="utf-8")
    _, rows = read_rows(path, PRESET)
    assert [r.values["name"] for r in rows] == ["张三"]
