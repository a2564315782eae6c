"""A new password is refused when short, common, or built from the account's own names or the
demo's shared password."""

from __future__ import annotations

import pytest

from caseflow.accounts.passwords import DEMO_PASSWORD, common_passwords, password_problem
from caseflow.seed.demo import DEMO_PASSWORD as SEEDED_DEMO_PASSWORD


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("1234567", "至少 8 位"),
        ("12345678", "过于常见"),
        ("password", "过于常见"),
        ("PassWord", "过于常见"),  # the list is matched without regard to case
        ("woaini1314", "过于常见"),  # the curated part: common in Chinese leaks
        ("qwertyuiop", "过于常见"),
        ("x" * 129, "不能超过"),
        ("caseflow-demo", "演示系统"),
        ("my-caseflow-demo-2", "演示系统"),
        ("aaab1111", "过于简单"),
        ("wangfang-2026", "用户名或姓名"),  # the display name 王芳 in pinyin
        ("王芳的密码2026", "用户名或姓名"),
        ("zx_clerk7-Secret", "用户名或姓名"),
    ],
)
def test_weak_new_passwords_are_refused(password: str, message: str) -> None:
    problem = password_problem(password, "zx_clerk7", "王芳")
    assert problem is not None and message in problem


def test_a_good_password_is_accepted() -> None:
    assert password_problem("Binhe-desk-2026!", "zx_clerk7", "王芳") is None
    assert password_problem("test-pass-2026", "clerk", "clerk") is None


def test_the_shipped_list_holds_ten_thousand_and_more() -> None:
    common = common_passwords()
    assert len(common) > 10_000
    assert all(p == p.lower() and p.strip() == p for p in common)


def test_the_demo_password_is_the_one_the_seed_uses() -> None:
    assert DEMO_PASSWORD == SEEDED_DEMO_PASSWORD
