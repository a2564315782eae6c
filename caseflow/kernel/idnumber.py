"""Citizen ID numbers (GB 11643): normalise, convert 15 → 18 digits, validate, mask."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


class InvalidIdNumber(ValueError):
    """The value is not a valid ID number; the message is Chinese, for the form field."""


@dataclass(frozen=True)
class IdNumber:
    value: str  # always 18 characters, upper-case X

    @property
    def birth_date(self) -> date:
        """Birth date encoded in positions 7–14."""
        return date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def sex(self) -> str:
        """ "M" when the sequence number is odd, else "F"."""
        return "M" if int(self.value[16]) % 2 else "F"


def check_char(first17: str) -> str:
    """The check character for 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError("check_char needs exactly 17 digits")
    # map/mul rather than a generator: this runs for every person of a 500,000-row import.
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


def _birth(text: str) -> date:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidIdNumber("身份证号中的出生日期不存在") from None


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Normalise (full-width, lower-case x, spaces) and validate; 15-digit numbers are converted."""
    if len(raw) == 18 and raw.isascii() and raw[:17].isdigit():
        text = raw.upper()  # already tidy (the common case): only a lower-case x to fix
    else:
        text = "".join(raw.translate(_FULLWIDTH).split()).upper()
    if len(text) == 15:
        if not text.isdigit():
            raise InvalidIdNumber("15 位身份证号应全部为数字")
        # Legacy numbers omit the century (always 19xx) and the check character.
        first17 = text[:6] + "19" + text[6:]
        text = first17 + check_char(first17)
    if len(text) != 18:
        raise InvalidIdNumber("身份证号应为 18 位（或旧版 15 位）")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise InvalidIdNumber("身份证号前 17 位应为数字，末位为数字或 X")
    born = _birth(text[6:14])
    if born < date(1900, 1, 1) or (today is not None and born > today):
        raise InvalidIdNumber("身份证号中的出生日期不合理")
    if check_char(text[:17]) != text[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对")
    return IdNumber(text)


def mask_id_number(value: str) -> str:
    """640502********1234: area code and last four only."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


# An ID number as a message quotes it: 15 or 18 characters, digits (also full-width) and X.
_ID_IN_TEXT = re.compile(r"[0-9０-９]{14}(?:[0-9０-９]{3})?[0-9０-９XxＸｘ]")


def mask_ids(text: str) -> str:
    """Every ID number quoted in a text masked (640502********1234): a row number is enough to
    find the row in the file, and a report is no place for personal data."""
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


def mask_account(value: str) -> str:
    """Bank account: last four digits only."""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def make_id_number(area: str, born: date, sequence: int) -> str:
    """Build a valid 18-digit number (demo data and tests)."""
    first17 = f"{area[:6]}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)
