"""The import's fast paths give exactly what the general paths give."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.kernel.idnumber import InvalidIdNumber, make_id_number, parse_id_number
from caseflow.kernel.money import parse_yuan
from caseflow.ledger.validate import monthly_fen


def _reference_fen(text: str, annual: bool) -> int:
    fen = parse_yuan(text)
    return int((Decimal(fen) / 12).quantize(Decimal(1), ROUND_HALF_UP)) if annual else fen


@given(
    whole=st.integers(min_value=0, max_value=10**9),
    cents=st.sampled_from(["", ".0", ".5", ".05", ".99", ".1", ".00"]),
    zeros=st.sampled_from(["", "0", "00"]),
    annual=st.booleans(),
)
def test_plain_yuan_fast_path_matches_decimal(
    whole: int, cents: str, zeros: str, annual: bool
) -> None:
    text = f"{zeros}{whole}{cents}"
    assert monthly_fen(text, annual=annual) == _reference_fen(text, annual)


@pytest.mark.parametrize("text", ["1,200", "１２０", " 12 ", "-5", "1.234", "abc"])
def test_other_amounts_take_the_general_path(text: str) -> None:
    try:
        expected: int | str = _reference_fen(text, True)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: int | str = monthly_fen(text, annual=True)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


def test_tidy_and_untidy_id_numbers_parse_alike() -> None:
    ident = make_id_number("640502", date(1980, 5, 17), 123)
    wide = ident.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert parse_id_number(ident).value == ident
    assert parse_id_number(f" {ident} ").value == ident
    assert parse_id_number(wide).value == ident
    x_ident = next(
        v for s in range(1000) if (v := make_id_number("640502", date(1980, 5, 17), s))[-1] == "X"
    )
    assert parse_id_number(x_ident.lower()).value == x_ident
    with pytest.raises(InvalidIdNumber, match="校验位"):
        parse_id_number(ident[:17] + ("0" if ident[17] != "0" else "1"))
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        parse_id_number(make_id_number("640502", date(1980, 5, 17), 1), today=date(1970, 1, 1))
