"""The registry's income headers in their common spellings (年/月, 人均/家庭人均, 纯收入/可支配收入,
units in brackets) are read with the conversion said out loud; anything that names an income
but is not per person in yuan is not read as one; every column left out is reported."""

from __future__ import annotations

import pytest

from caseflow.ledger.columns import PRESETS, HeaderMap, match_header
from caseflow.ledger.validate import NOTICE, header_findings, monthly_fen

REGISTRY = PRESETS["registry"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("家庭年人均纯收入（元）", "income_year"),
        ("人均纯收入（元）", "income_year"),
        ("年人均可支配收入", "income_year"),
        ("家庭人均纯收入(元/年)", "income_year"),
        ("人均可支配收入（元/月）", "income_month"),
        ("人均纯收入(元/月)", "income_month"),
        ("家庭人均月纯收入", "income_month"),
        ("月人均收入（元）", "income_month"),
        ("人均纯收入（万元）", None),  # not yuan: never read as yuan
        ("家庭年纯收入（元）", None),  # the household's total, not per person
        ("家庭年收入", None),
    ],
)
def test_income_header_variants(header: str, field: str | None) -> None:
    assert match_header(header, REGISTRY) == field


def test_the_report_lists_every_unmapped_column_and_each_conversion() -> None:
    headers = (
        "姓名",
        "证件号码",
        "家庭年人均纯收入（元）",
        "人均纯收入（万元）",
        "家庭年纯收入",
        "备注",
    )
    header = HeaderMap(4, headers, {0: "name", 1: "id_number", 2: "income_year"})
    found = {e.field: e.message for e in header_findings(header)}
    assert all(e.severity == NOTICE and e.row_no == 4 for e in header_findings(header))
    assert found["家庭年人均纯收入（元）"] == (
        "第 3 列按人均年收入（元/年）读取，除以 12 折算为人均月收入（四舍五入到分）"
    )
    assert "不是元" in found["人均纯收入（万元）"]
    assert "家庭总收入" in found["家庭年纯收入"]
    assert found["备注"].startswith("第 6 列未对应任何字段")
    assert set(found) == set(headers[2:])
    assert monthly_fen("3600", annual=True) == 30000
