"""A roster's telephones are judged by the rule the desk uses (caseflow.kernel.contact): a number
that is neither a mobile nor a landline with its area code is reported with the desk's own
words, as a notice — the row is still imported, on the fast path as on the general one."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_support import pid

from caseflow.kernel.contact import InvalidContact, normalise_phone
from caseflow.ledger.columns import PRESETS, header_of
from caseflow.ledger.validate import NOTICE, RowValidator

HEADER = ["户主身份证号", "户主姓名", "乡镇", "村", "姓名", "身份证号", "与户主关系", "联系电话"]


def _check(phone: str) -> tuple[bool, list[tuple[str, str, str]]]:
    header = header_of(3, HEADER, PRESETS["registry"])
    assert header is not None
    validator = RowValidator(
        PRESETS["registry"], "registry", date(2026, 3, 2), {"滨河镇": "640502100"}, header=header
    )
    ident = pid(1960, 7)
    cells = [ident, "张三", "滨河镇", "示例村", "张三", ident, "户主", phone]
    row, issues = validator.check_cells(4, cells)
    return row is not None, [(i.field, i.severity, i.message) for i in issues]


def _desk_says(phone: str) -> str:
    with pytest.raises(InvalidContact) as refused:
        normalise_phone(phone)
    return refused.value.message_zh


@pytest.mark.parametrize("phone", ["12345", "7012345", "2345678901234"])
def test_a_telephone_the_desk_would_refuse_is_noted_in_the_desks_words(phone: str) -> None:
    kept, issues = _check(phone)
    assert kept
    assert issues == [("联系电话", NOTICE, _desk_says(phone))]


@pytest.mark.parametrize("phone", ["13995512345", "0955-7012345", "+86 139 9551 2345", ""])
def test_a_telephone_the_desk_accepts_raises_nothing(phone: str) -> None:
    kept, issues = _check(phone)
    assert kept and not [i for i in issues if i[0] == "联系电话"]
