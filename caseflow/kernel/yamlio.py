"""YAML reading that remembers line numbers, so definition errors can say file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from caseflow.kernel.errors import DefinitionError

LINE = "__line__"
KEY_LINES = "__key_lines__"


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    mapping: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        key_lines[str(key)] = key_node.start_mark.line + 1
    mapping[LINE] = node.start_mark.line + 1
    mapping[KEY_LINES] = key_lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_with_lines(path: Path) -> Any:
    """Parse a YAML file; every mapping carries its own line and the line of each key."""
    return load_text_with_lines(path.read_text(encoding="utf-8"), str(path))


def load_text_with_lines(text: str, source: str = "<text>") -> Any:
    """Parse YAML text like `load_with_lines`; errors name `source` and the line."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        detail = f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}"
        raise DefinitionError(f"文件格式错误：{detail}", detail) from exc
    except ValueError as exc:  # PyYAML builds dates itself and fails on 2025-13-01 without a line
        raise DefinitionError(f"文件格式错误：{source}: {exc}", f"{source}: {exc}") from exc
    except RecursionError:  # "[[[[…": PyYAML parses nesting by recursion
        detail = f"{source}: nested too deeply"
        raise DefinitionError(f"文件格式错误：{source}: 嵌套层数过深", detail) from None


def line_of(mapping: Any, key: str | None = None) -> int:
    """The line of `key` in `mapping` (or of the mapping itself); 0 when unknown."""
    if not isinstance(mapping, dict):
        return 0
    if key is not None and key in mapping.get(KEY_LINES, {}):
        return int(mapping[KEY_LINES][key])
    return int(mapping.get(LINE, 0))


def clean(mapping: dict[str, Any]) -> dict[str, Any]:
    """The mapping without the line bookkeeping keys."""
    return {k: v for k, v in mapping.items() if k not in (LINE, KEY_LINES)}
