"""Row validation: normalisation, ID problems, duplicates, households, the .xlsx report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ledger_support import fifteen, fullwidth, pid
from openpyxl import load_workbook

from caseflow.kernel.idnumber import check_char
from caseflow.ledger.columns import PRESETS
from caseflow.ledger.reader import SourceRow
from caseflow.ledger.validate import (
    ERROR,
    NOTICE,
    CleanRow,
    ReportEntry,
    RowValidator,
    write_report_xlsx,
)

TODAY = date(2026, 3, 2)
FIELDS = frozenset({"household_no", "name", "id_number", "relation", "township", "income_year"})


def validator(kind: str = "registry", fields: frozenset[str] = FIELDS) -> RowValidator:
    return RowValidator(PRESETS[kind], kind, TODAY, {"滨河镇": "640502100"}, fields)


def row(n: int, **values: str) -> SourceRow:
    base = {"township": "滨河镇", "relation": "户主"}
    return SourceRow(n, {**base, **values}, {})


def check(v: RowValidator, r: SourceRow) -> tuple[CleanRow | None, list[ReportEntry]]:
    return v.check(r)


def test_a_clean_row() -> None:
    ident = pid(1960, 11)
    clean, issues = check(
        validator(), row(5, household_no="A1", name="张三", id_number=ident, income_year="4800")
    )
    assert issues == []
    assert clean is not None
    assert (clean.household_key, clean.id_number, clean.township_code) == (
        "no:A1",
        ident,
        "640502100",
    )
    assert clean.income_fen == 40000  # 4,800 yuan a year = 400.00 yuan a month


def test_lowercase_x_fullwidth_digits_and_spaces_are_notices() -> None:
    first17 = "64050219600301" + "001"
    while check_char(first17) != "X":
        first17 = first17[:14] + f"{int(first17[14:]) + 1:03d}"
    ident = first17 + "X"
    v = validator()
    clean, issues = check(v, row(5, household_no="A1", name=" 张 三 ", id_number=ident.lower()))
    assert clean is not None and clean.id_number == ident and clean.name == "张三"
    assert {i.severity for i in issues} == {NOTICE}
    assert any("小写 x" in i.message for i in issues)
    assert any("全角字符或多余空格" in i.message for i in issues)
    other = pid(1962, 13)
    clean, issues = check(v, row(6, household_no="A1", name="李四", id_number=fullwidth(other)))
    assert clean is not None and clean.id_number == other
    assert [i.severity for i in issues] == [NOTICE]


def test_fifteen_digit_numbers_are_converted_with_a_notice() -> None:
    old, new = fifteen(1955, 21)
    clean, issues = check(validator(), row(5, household_no="A1", name="王五", id_number=old))
    assert clean is not None and clean.id_number == new
    assert [(i.severity, i.field) for i in issues] == [(NOTICE, "证件号码")]
    assert new in issues[0].message


def test_bad_checksum_impossible_date_and_missing_fields_are_errors() -> None:
    good = pid(1960, 11)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    bad_date = "640502" + "19600231" + "001"
    bad_date += check_char(bad_date)
    v = validator()
    for n, ident, words in [(5, bad_check, "校验位"), (6, bad_date, "出生日期")]:
        clean, issues = check(v, row(n, household_no="A1", name="甲", id_number=ident))
        assert clean is None
        assert [i.severity for i in issues] == [ERROR] and words in issues[0].message
    clean, issues = check(v, SourceRow(7, {"id_number": good}, {}))
    assert clean is None
    messages = {i.message for i in issues}
    assert {"缺少必填项「姓名」", "缺少必填项「乡（镇）」"} <= messages


def test_duplicates_and_one_person_in_two_households() -> None:
    v = validator()
    a, b = pid(1960, 11), pid(1990, 12)
    assert check(v, row(5, household_no="A1", name="张三", id_number=a))[0] is not None
    assert check(v, row(6, household_no="A1", name="张小", id_number=b))[0] is not None
    clean, issues = check(v, row(7, household_no="A1", name="张小", id_number=b))
    assert clean is None and "与第 6 行为同一人" in issues[0].message
    clean, issues = check(v, row(8, household_no="B2", name="张小", id_number=b))
    assert clean is None and "同一人出现在两个家庭：第 6 行" in issues[0].message


def test_members_follow_their_head_when_the_file_has_no_household_number() -> None:
    v = validator(fields=frozenset({"name", "id_number", "relation", "township"}))
    head, child = pid(1960, 11), pid(1990, 12)
    first, _ = check(v, row(5, name="张三", id_number=head))
    second, _ = check(v, row(6, name="张小", id_number=child, relation="之子"))
    assert first is not None and second is not None
    assert first.household_key == second.household_key == f"head:{head}"
    assert second.head_name == "张三"


def test_head_name_key_with_township_and_village() -> None:
    fields = frozenset({"name", "id_number", "relation", "township", "village", "head_name"})
    v = validator(fields=fields)
    clean, _ = check(
        v,
        row(
            5,
            name="张小",
            id_number=pid(1990, 12),
            relation="之子",
            head_name="张三",
            village="示例村",
        ),
    )
    assert clean is not None and clean.household_key == "name:张三|滨河镇|示例村"


def test_income_and_size_errors() -> None:
    v = validator()
    clean, issues = check(
        v, row(5, household_no="A1", name="甲", id_number=pid(1960, 11), income_year="四千")
    )
    assert clean is None and "金额格式不正确" in issues[0].message
    clean, issues = check(
        v, row(6, household_no="A1", name="乙", id_number=pid(1960, 12), household_size="0")
    )
    assert clean is None and "家庭人口数" in issues[0].message


def test_unknown_township_is_a_notice() -> None:
    clean, issues = check(
        validator(), row(5, household_no="A1", name="甲", id_number=pid(1960, 11), township="某镇")
    )
    assert clean is not None and clean.township_code is None
    assert [i.severity for i in issues] == [NOTICE]


def test_other_lists_need_no_household() -> None:
    v = RowValidator(PRESETS["deaths"], "deaths", TODAY)
    clean, issues = v.check(SourceRow(3, {"name": "甲", "id_number": pid(1930, 1)}, {}))
    assert clean is not None and issues == []


def test_report_xlsx(tmp_path: Path) -> None:
    entries = [ReportEntry(5, "证件号码", ERROR, "身份证号校验位不正确，请核对")]
    path = write_report_xlsx(entries, tmp_path / "report.xlsx", title="校验报告")
    ws = load_workbook(path).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1] == ("行号", "字段", "类型", "说明")
    assert rows[2] == (5, "证件号码", "错误", "身份证号校验位不正确，请核对")
