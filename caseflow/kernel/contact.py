"""Contact details typed at a form: Chinese telephone numbers and the district's list of banks.

Telephones: a mobile number is 11 digits starting 13–19 (an optional +86 / 86 in front is
dropped); a landline carries its area code (0 + 2 or 3 digits: 010 and 02x are three digits
long, every other code four) and a local number of 7 or 8 digits not starting with 0 or 1, with
an optional extension. Stored normalised: mobiles as 11 digits, landlines as 0955-7012345[-12].

Banks: the names the district pays through, from caseflow/config/banks.yaml or the file named
by CASEFLOW_BANKS_FILE (an operator's own list, same shape).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import yaml

from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.resources import bundled

FULLWIDTH = str.maketrans("０１２３４５６７８９（）－＋　", "0123456789()-+ ")
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
# Area code, then the local number, then an extension; separators are optional.
_LANDLINE = re.compile(r"^\(?(0(?:10|2\d|[3-9]\d{2}))\)?-?([2-9]\d{6,7})(?:-(\d{1,6}))?$")
PHONE_HINT = "请填写 11 位手机号（如 13995512345）或带区号的固定电话（如 0955-7012345）"
BANKS_FILE = bundled("config", "banks.yaml")
BANKS_ENV = "CASEFLOW_BANKS_FILE"


class InvalidContact(ValueError):
    """A typed contact detail that is not one; `message_zh` says what is expected."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def normalise_phone(text: str) -> str:
    """The number as stored ("" for none), or InvalidContact with the expected forms."""
    typed = text.translate(FULLWIDTH).strip()
    if not typed:
        return ""
    compact = re.sub(r"[\s.]", "", typed)
    mobile = _MOBILE.match(compact.replace("-", ""))
    if mobile:
        return mobile.group(1)
    landline = _LANDLINE.match(compact)
    if landline:
        area, local, extension = landline.groups()
        return f"{area}-{local}" + (f"-{extension}" if extension else "")
    if compact.replace("-", "").isdigit() and len(compact.replace("-", "")) in (7, 8):
        raise InvalidContact(f"固定电话请带区号，{PHONE_HINT}")
    raise InvalidContact(f"电话号码格式不正确，{PHONE_HINT}")


def banks_file() -> Path:
    """The bank list in force: the operator's file when CASEFLOW_BANKS_FILE names one."""
    configured = os.environ.get(BANKS_ENV)
    return Path(configured) if configured else BANKS_FILE


@lru_cache(maxsize=4)
def _read_banks(path: Path) -> tuple[str, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"开户银行名单无法读取：{path}", str(exc)) from exc
    names = data.get("banks") if isinstance(data, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DefinitionError(
            f"开户银行名单格式不正确：{path}（应为 banks: 下的银行名称列表）",
            f"{path}: expected a non-empty list of names under banks:",
        )
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def district_banks() -> tuple[str, ...]:
    """The banks the district pays through, in the file's order."""
    return _read_banks(banks_file())


def check_bank(name: str, banks: tuple[str, ...] | None = None) -> str:
    """The bank as stored ("" for none), or InvalidContact when it is not on the list."""
    typed = name.strip()
    if not typed:
        return ""
    allowed = district_banks() if banks is None else banks
    if typed not in allowed:
        raise InvalidContact(f"开户银行须从本区代发银行中选择（{'、'.join(allowed)}）")
    return typed
