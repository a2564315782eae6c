"""Telephone numbers and the district's bank list as typed at a form."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.kernel.contact import (
    InvalidContact,
    check_bank,
    district_banks,
    normalise_phone,
)
from caseflow.kernel.errors import DefinitionError


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13995512345", "13995512345"),
        ("139 9551 2345", "13995512345"),
        ("139-9551-2345", "13995512345"),
        ("+86 13995512345", "13995512345"),
        ("１３９９５５１２３４５", "13995512345"),
        ("0955-7012345", "0955-7012345"),
        ("09557012345", "0955-7012345"),
        ("(0955)7012345", "0955-7012345"),
        ("（0955）7012345", "0955-7012345"),
        ("010-62345678", "010-62345678"),
        ("0955-7012345-802", "0955-7012345-802"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mobile_and_landline_numbers_are_stored_normalised(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12345678901",  # mobiles start 13–19
        "1399551234",  # ten digits
        "139955123456",  # twelve
        "0955-0123456",  # a local number never starts with 0
        "0955-123456",  # six digits
        "abc",
        "0955-70123456789",
    ],
)
def test_numbers_that_are_neither_mobile_nor_landline_are_refused(typed: str) -> None:
    with pytest.raises(InvalidContact) as refused:
        normalise_phone(typed)
    assert "11 位手机号" in refused.value.message_zh and "0955-7012345" in refused.value.message_zh


def test_a_local_number_without_its_area_code_is_refused_saying_so() -> None:
    with pytest.raises(InvalidContact) as refused:
        normalise_phone("7012345")
    assert refused.value.message_zh.startswith("固定电话请带区号")


def test_only_the_districts_banks_are_accepted() -> None:
    banks = district_banks()
    assert "中国农业银行" in banks and len(banks) == len(set(banks))
    assert check_bank(" 中国农业银行 ") == "中国农业银行"
    assert check_bank("") == ""
    with pytest.raises(InvalidContact) as refused:
        check_bank("农行")
    assert "须从本区代发银行中选择" in refused.value.message_zh


def test_an_operators_bank_file_replaces_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "banks.yaml"
    own.write_text("banks:\n  - 甲银行\n  - 乙银行\n", encoding="utf-8")
    monkeypatch.setenv("CASEFLOW_BANKS_FILE", str(own))
    assert district_banks() == ("甲银行", "乙银行")
    assert check_bank("乙银行") == "乙银行"
    with pytest.raises(InvalidContact):
        check_bank("中国农业银行")


def test_a_malformed_bank_file_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "broken.yaml"
    own.write_text("banks: 甲银行\n", encoding="utf-8")
    monkeypatch.setenv("CASEFLOW_BANKS_FILE", str(own))
    with pytest.raises(DefinitionError) as refused:
        district_banks()
    assert str(own) in refused.value.message_zh
