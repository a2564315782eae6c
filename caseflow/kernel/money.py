"""Money is integer fen; these helpers format and parse it without ever touching float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# The largest amount any form, file or API call may carry: 100 亿元. Far above every real
# payment, and small enough that a million of them still sum inside a signed 64-bit column.
MAX_FEN = 10**12
TOO_LARGE = "金额超出可处理范围（绝对值不能超过 100 亿元）"


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
    if not value.is_finite():
        raise ValueError(f"金额格式不正确：{text}")
    # Checked before quantize: 1e308 would make quantize itself fail.
    if abs(value) * 100 > MAX_FEN:
        raise ValueError(TOO_LARGE)
    if value != value.quantize(Decimal("0.01"), ROUND_HALF_UP):
        raise ValueError(f"金额最多两位小数：{text}")
    return int(value * 100)


def check_fen(fen: int) -> int:
    """`fen` itself, or ValueError (Chinese) when it lies beyond MAX_FEN either way."""
    if abs(fen) > MAX_FEN:
        raise ValueError(TOO_LARGE)
    return fen


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
