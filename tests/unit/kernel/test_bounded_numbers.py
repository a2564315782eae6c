"""Numbers a form, a file or an API call may carry: amounts beyond 100 亿元, 1e308, NaN and
Infinity, ids beyond a 32-bit column, deep YAML — each refused by name in Chinese, never passed on
to the database as a value it cannot store."""

from __future__ import annotations

import pytest

from caseflow.engine.payload import validate_payload
from caseflow.kernel.errors import DefinitionError, PayloadInvalid
from caseflow.kernel.money import MAX_FEN, check_fen, parse_yuan
from caseflow.kernel.yamlio import load_text_with_lines
from caseflow.workflow.model import PayloadField

AMOUNT = PayloadField("amount_fen", "fen", "救助金额")
ROW = PayloadField("row_id", "int", "名册行")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e308", "金额超出可处理范围"),
        ("-1e308", "金额超出可处理范围"),
        ("10000000000.01", "金额超出可处理范围"),
        ("9" * 400, "金额超出可处理范围"),
        ("NaN", "金额格式不正确"),
        ("Infinity", "金额格式不正确"),
        ("-Infinity", "金额格式不正确"),
        ("1e-400", "金额最多两位小数"),
    ],
)
def test_amount_text_beyond_the_bound_or_not_a_number_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_yuan(text)


def test_the_bound_itself_is_accepted_and_one_fen_more_is_not() -> None:
    assert parse_yuan("10000000000") == MAX_FEN
    assert check_fen(-MAX_FEN) == -MAX_FEN
    with pytest.raises(ValueError, match="金额超出可处理范围"):
        check_fen(MAX_FEN + 1)


@pytest.mark.parametrize("value", [2**63, 9 * 10**18, "1e308", "NaN", "Infinity"])
def test_a_payload_amount_beyond_the_bound_is_a_field_error(value: object) -> None:
    with pytest.raises(PayloadInvalid) as refused:
        validate_payload((AMOUNT,), {"amount_fen": value})
    assert refused.value.fields["amount_fen"].startswith("救助金额：金额")


@pytest.mark.parametrize("value", [str(2**31), str(2**63), "9" * 40])
def test_a_payload_id_beyond_a_32_bit_column_is_a_field_error(value: str) -> None:
    with pytest.raises(PayloadInvalid) as refused:
        validate_payload((ROW,), {"row_id": value})
    assert refused.value.fields["row_id"] == "名册行：数值过大"


def test_yaml_nested_beyond_the_parser_is_a_format_error() -> None:
    with pytest.raises(DefinitionError) as refused:
        load_text_with_lines("a: " + "[" * 5000 + "]" * 5000, "policy")
    assert refused.value.message_zh == "文件格式错误：policy: 嵌套层数过深"
