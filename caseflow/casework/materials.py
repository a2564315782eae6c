"""Checklists of required materials per case type, read from workflows/checklists/materials.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.resources import workflows_dir

MATERIALS_FILE = Path("checklists") / "materials.yaml"  # inside the workflow definitions


@dataclass(frozen=True)
class Material:
    """One item of a checklist; optional items never make a case incomplete; the written
    application (`written_request`) is what a case cannot be opened without."""

    key: str
    label: str
    required: bool = True
    written_request: bool = False


def load_checklists(path: Path | None = None) -> dict[str, tuple[Material, ...]]:
    """Parse and check the file (default: the checklists of the workflow definitions in force):
    every item has a unique key and a label."""
    path = path or workflows_dir() / MATERIALS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise DefinitionError("材料清单文件格式错误", f"{path}: top level must be a mapping")
    result: dict[str, tuple[Material, ...]] = {}
    for case_type, items in data.items():
        materials: list[Material] = []
        for item in items or []:
            if not isinstance(item, dict) or not item.get("key") or not item.get("label"):
                raise DefinitionError(
                    "材料清单条目缺少 key 或 label", f"{path}: {case_type}: {item}"
                )
            materials.append(
                Material(
                    str(item["key"]),
                    str(item["label"]),
                    bool(item.get("required", True)),
                    bool(item.get("written_request", False)),
                )
            )
        keys = [m.key for m in materials]
        if len(keys) != len(set(keys)):
            raise DefinitionError("材料清单条目重复", f"{path}: {case_type}: duplicate keys")
        result[str(case_type)] = tuple(materials)
    return result


@cache
def checklists() -> dict[str, tuple[Material, ...]]:
    """The repository's checklists, loaded once per process."""
    return load_checklists()


def checklist(case_type: str) -> tuple[Material, ...]:
    """The checklist of a case type (empty when the type needs no materials)."""
    return checklists().get(case_type, ())


def missing_items(case_type: str, supplied: Iterable[str]) -> list[Material]:
    """Required items not among the supplied keys, in checklist order (the 一次性告知 list)."""
    have = set(supplied)
    return [m for m in checklist(case_type) if m.required and m.key not in have]


def labels_for(case_type: str, keys: Iterable[str]) -> list[str]:
    """Checklist labels of the given keys, in checklist order (unknown keys are ignored)."""
    wanted = set(keys)
    return [m.label for m in checklist(case_type) if m.key in wanted]


def written_request(case_type: str) -> Material | None:
    """The written application of a case type's checklist, if it asks for one."""
    return next((m for m in checklist(case_type) if m.written_request), None)
