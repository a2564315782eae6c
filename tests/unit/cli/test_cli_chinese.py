"""The `caseflow` command speaks Chinese throughout its help and click's own messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from caseflow.cli.zh import display_width
from caseflow.db.logsafe import RedactingFilter
from caseflow_web.cli import main

CJK = re.compile(r"[\u4e00-\u9fff]")
# click's English frame words, which must never reach the user.
ENGLISH_FRAME = ("Usage", "Options", "Commands", "Show this message", "Error", "Missing", "Try '")


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(group.commands.items()):
        if isinstance(sub, click.Group):
            yield from commands(sub, (*path, name))
        else:
            yield (*path, name)


def command_at(path: tuple[str, ...]) -> click.Command:
    found: click.Command = main
    for name in path:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    return found


ALL = list(commands(main))


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) or "caseflow" for p in ALL])
def test_every_command_helps_in_chinese(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="caseflow")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("用法：caseflow")
    assert "选项：" in result.output and "显示本帮助并退出。" in result.output
    assert not any(word in result.output for word in ENGLISH_FRAME), result.output
    command = command_at(path)
    assert CJK.search(command.help or ""), f"{' '.join(path)}: help text not in Chinese"
    for param in command.params:
        if isinstance(param, click.Option):
            assert CJK.search(param.help or ""), f"{' '.join(path)} {param.opts}: no Chinese help"


def test_a_mistyped_value_is_refused_in_chinese() -> None:
    result = CliRunner().invoke(
        main, ["seed", "--demo", "--households", "三百"], prog_name="caseflow"
    )
    assert result.exit_code == 2
    assert "错误：'--households' 取值无效：'三百' 不是有效的整数。" in result.output
    assert "运行“caseflow seed --help”查看帮助。" in result.output


def test_a_missing_option_and_an_unknown_command_are_refused_in_chinese() -> None:
    missing = CliRunner().invoke(main, ["roll", "prepare", "--township", "640502100"])
    assert missing.exit_code == 2 and "错误：缺少选项 '--month'" in missing.output
    unknown = CliRunner().invoke(main, ["sead"])
    assert unknown.exit_code == 2 and "错误：没有命令 'sead'。" in unknown.output


def test_option_columns_line_up_with_chinese_placeholders() -> None:
    output = CliRunner().invoke(main, ["seed", "--help"]).output
    terms = [re.match(r"(  --\S+(?: \S+)?\s+)\S", line) for line in output.splitlines()]
    columns = {display_width(m.group(1)) for m in terms if m}
    assert "--households 整数" in output and len(columns) == 1


def test_every_command_logs_through_the_filter_that_drops_quoted_values() -> None:
    result = CliRunner().invoke(main, ["workflows", "check"])
    assert result.exit_code == 0, result.output
    handlers = logging.getLogger().handlers
    assert handlers and all(
        any(isinstance(f, RedactingFilter) for f in handler.filters) for handler in handlers
    )
