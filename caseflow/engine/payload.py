"""Validate a transition's payload against its declared fields, field by field, in Chinese."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.money import check_fen, parse_yuan
from caseflow.workflow.model import PayloadField

MAX_INT = 2**31 - 1  # an INTEGER column on both databases (row ids, counts of months)


def _text(field: PayloadField, value: Any) -> str:
    text = str(value).strip()
    if len(text) > field.max_length:
        raise ValueError(f"不能超过 {field.max_length} 个字")
    return text


def _date(_field: PayloadField, value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError("日期格式应为 YYYY-MM-DD") from None


def _int(_field: PayloadField, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("应为整数")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("应为整数") from None
    if number < 0:
        raise ValueError("不能为负数")
    if number > MAX_INT:
        raise ValueError("数值过大")
    return number


def _fen(_field: PayloadField, value: Any) -> int:
    # An int is already fen (from code); text is yuan as typed by a clerk.
    fen = check_fen(
        value if isinstance(value, int) and not isinstance(value, bool) else parse_yuan(str(value))
    )
    if fen < 0:
        raise ValueError("金额不能为负数")
    return fen


def _bool(_field: PayloadField, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "on", "yes", "是"}:
        return True
    if text in {"0", "false", "off", "no", "否", ""}:
        return False
    raise ValueError("应为是或否")


def _choice(field: PayloadField, value: Any) -> str:
    text = str(value).strip()
    if text not in field.choices:
        raise ValueError("请从选项中选择：" + "、".join(field.choices))
    return text


def _list(field: PayloadField, value: Any) -> list[str]:
    if isinstance(value, str):
        items: list[Any] = value.splitlines()
    elif isinstance(value, list | tuple):
        items = list(value)
    else:  # a number or a mapping from the API is not a list of items
        raise ValueError("应为多项列表")
    cleaned = [str(i).strip() for i in items if str(i).strip()]
    unknown = [i for i in cleaned if field.choices and i not in field.choices]
    if unknown:
        raise ValueError("不在可选范围内：" + "、".join(unknown))
    return cleaned


def _members(_field: PayloadField, value: Any) -> list[int]:
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    ids: list[int] = []
    for item in items:
        text = str(item).strip()
        if not text.isdigit() or not 0 < int(text) < 2**31:
            raise ValueError("请从本户成员中选择")
        ids.append(int(text))
    if len(set(ids)) != len(ids):
        raise ValueError("同一成员不能重复选择")
    return sorted(ids)


MAX_RECORDS = 300  # lines of one household's means record; far beyond any real household
MAX_RECORD_TEXT = 300


def _records(_field: PayloadField, value: Any) -> list[dict[str, Any]]:
    # Only the shape is the engine's business (a list of flat, JSON-ready rows); what a row
    # means is checked by the transition's guard (caseflow.casework.means).
    if not isinstance(value, list | tuple):
        raise ValueError("应为多行记录")
    if len(value) > MAX_RECORDS:
        raise ValueError(f"最多 {MAX_RECORDS} 行")
    rows: list[dict[str, Any]] = []
    for row in value:
        if not isinstance(row, Mapping) or not all(isinstance(k, str) for k in row):
            raise ValueError("每一行应为字段与值的对应")
        for item in row.values():
            if item is not None and not isinstance(item, str | int | bool):
                raise ValueError("字段值应为文字、数字或是否")
            if isinstance(item, str) and len(item) > MAX_RECORD_TEXT:
                raise ValueError(f"每项不能超过 {MAX_RECORD_TEXT} 个字")
        rows.append(dict(row))
    return rows


_PARSERS: dict[str, Callable[[PayloadField, Any], Any]] = {
    "text": _text,
    "date": _date,
    "int": _int,
    "fen": _fen,
    "bool": _bool,
    "choice": _choice,
    "list": _list,
    "members": _members,
    "records": _records,
}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def validate_payload(
    fields: tuple[PayloadField, ...], raw: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Return the cleaned, JSON-ready payload or raise PayloadInvalid naming every bad field."""
    raw = dict(raw or {})
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    declared = {f.name: f for f in fields}
    for name in raw:
        if name not in declared:
            errors[name] = "本操作没有此项"
    for field in fields:
        value = raw.get(field.name)
        if isinstance(value, str):
            value = value.strip()
        if _is_blank(value):
            if field.required and field.type != "bool":
                errors[field.name] = f"请填写{field.label}"
            continue
        try:
            parsed = _PARSERS[field.type](field, value)
        except ValueError as exc:
            errors[field.name] = f"{field.label}：{exc}"
            continue
        if field.required and _is_blank(parsed):
            errors[field.name] = f"请填写{field.label}"
            continue
        cleaned[field.name] = parsed
    if errors:
        raise PayloadInvalid(errors)
    return cleaned
