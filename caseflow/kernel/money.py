"""Money is integer fen; these helpers format and parse it without ever touching float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def format_yuan(fen: int) -> str:
    """12345 → "123.45" (negative amounts keep their sign)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def parse_yuan(text: str) -> int:
    """ "123.45" or "１２３" → fen; raises ValueError with a Chinese message on bad input."""
    cleaned = text.strip().translate(_FULLWIDTH).replace(",", "").replace("，", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"金额格式不正确：{text}") from exc
    if not value.is_finite() or value != value.quantize(Decimal("0.01"), ROUND_HALF_UP):
        raise ValueError(f"金额最多两位小数：{text}")
    return int(value * 100)


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
