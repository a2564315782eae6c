"""What a new password must not be: short, one of the common passwords (the list shipped beside
this module), or built from the account's own username, name (in characters or pinyin) or the
demo's shared password."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pypinyin import lazy_pinyin

MIN_LENGTH = 8
MAX_LENGTH = 128  # hashing a megabyte would be a cheap way to burn the server's CPU
MIN_DISTINCT = 4  # "aaaa1111" has two
# The demo seed's shared password (caseflow.seed.demo.DEMO_PASSWORD; a test keeps them equal):
# printed in the README, so no real account may use it.
DEMO_PASSWORD = "caseflow-demo"
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
# A username or pinyin shorter than this is too likely to occur by chance in a good password;
# a name in characters (two of them, mostly) is not.
MIN_NAME_PART = 3
MIN_NAME_CHARS = 2


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case (read once)."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(s.strip() for s in lines if s.strip() and not s.startswith("#"))


def _own_words(username: str, display_name: str) -> list[str]:
    name = display_name.strip()
    words = [username, "".join(lazy_pinyin(name)) if name else ""]
    own = [w.lower() for w in words if len(w) >= MIN_NAME_PART]
    return [*own, name.lower()] if len(name) >= MIN_NAME_CHARS else own


def password_problem(password: str, username: str = "", display_name: str = "") -> str | None:
    """Why `password` is refused, in Chinese, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    if len(password) > MAX_LENGTH:
        return f"密码不能超过 {MAX_LENGTH} 位"
    lowered = password.lower()
    if DEMO_PASSWORD in lowered:
        return "不能使用演示系统的公用密码"
    if lowered in common_passwords():
        return "该密码过于常见，容易被猜中，请换一个"
    if len(set(lowered)) < MIN_DISTINCT:
        return "密码过于简单（重复的字符太多），请换一个"
    if any(word in lowered for word in _own_words(username, display_name)):
        return "密码不能包含用户名或姓名（含拼音）"
    return None
