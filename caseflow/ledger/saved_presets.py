"""Column mappings saved by users under a name, kept in the admin log.

Why the admin log: a saved mapping is configuration, the log already records who changed which
configuration when (hash-chained), and the latest entry per name is the mapping in force — so no
table of its own is needed. Saving again under the same name replaces the mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import AdminEvent
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import InputError
from caseflow.ledger.columns import FIELD_LABELS, IGNORE, PRESETS, ColumnPreset, normalise_header

ACTION = "ledger.preset_saved"
MAX_NAME = 40


class PresetInvalid(InputError):
    """A mapping or name that cannot be saved; the message is Chinese."""


@dataclass(frozen=True)
class SavedPreset:
    name: str
    kind: str  # the list kind it was saved for (shown; it may be used for any kind)
    mapping: dict[str, str]  # header text → field ("" = not imported)
    saved_at: datetime
    saved_by_id: int | None


def saved_presets(session: Session) -> dict[str, SavedPreset]:
    """Name → the latest saved mapping under that name."""
    found: dict[str, SavedPreset] = {}
    events = session.scalars(
        select(AdminEvent).where(AdminEvent.action == ACTION).order_by(AdminEvent.id)
    )
    for ev in events:
        name = str(ev.payload.get("name", ""))
        mapping = {str(k): str(v) for k, v in dict(ev.payload.get("mapping", {})).items()}
        found[name] = SavedPreset(
            name, str(ev.payload.get("kind", "")), mapping, ev.at, ev.actor_id
        )
    return found


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """Field-by-field problems of a header → field mapping (empty when it is usable)."""
    problems: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for header, name in mapping.items():
        if name == IGNORE:
            continue
        if name not in FIELD_LABELS:
            problems[header] = f"未知字段：{name}"
        elif name in chosen:
            problems[header] = (
                f"「{FIELD_LABELS[name]}」已对应到「{chosen[name]}」列，每个字段只能对应一列"
            )
        else:
            chosen[name] = header
    missing = [FIELD_LABELS[n] for n in ("id_number", "name") if n not in chosen]
    if missing:
        problems["_required"] = f"须指定以下字段对应的列：{'、'.join(missing)}"
    return problems


def preset_for(kind: str, mapping: Mapping[str, str]) -> ColumnPreset:
    """The kind's preset with the user's explicit mapping on top."""
    return PRESETS[kind].with_mapping(dict(mapping))


def save_preset(
    session: Session,
    name: str,
    kind: str,
    mapping: Mapping[str, str],
    actor: Actor,
    now: datetime,
) -> SavedPreset:
    """Record the mapping under `name` (committed); PresetInvalid with a Chinese message."""
    name = " ".join(name.split())
    if not name:
        raise PresetInvalid("请填写方案名称")
    if len(name) > MAX_NAME:
        raise PresetInvalid(f"方案名称不能超过 {MAX_NAME} 个字")
    problems = check_mapping(mapping)
    if problems:
        raise PresetInvalid("；".join(v for v in problems.values() if v))
    clean = {normalise_header(h): f for h, f in mapping.items() if normalise_header(h)}
    with UnitOfWork(session) as uow:
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action=ACTION,
            subject=f"preset:{name}"[:100],
            payload={"name": name, "kind": kind, "mapping": clean},
            at=now,
        )
        uow.commit()
    return SavedPreset(name, kind, clean, now, actor.user_id)


IGNORE_WORDS = frozenset({"忽略", "不导入", "ignore"})


def mapping_from_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`表头=字段` pairs (the CLI's --map) as a header → field mapping; the field by its code
    (income_year) or its Chinese label (人均纯收入（元/年）), 忽略 for a column not imported."""
    by_label = {label: name for name, label in FIELD_LABELS.items()}
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, target = pair.partition("=")
        header, target = header.strip(), target.strip()
        if not sep or not header:
            raise PresetInvalid(
                f"列对应「{pair}」应写作 表头=字段，例如 家庭年人均纯收入（元）=income_year"
            )
        if not target or target in IGNORE_WORDS:
            mapping[header] = IGNORE
            continue
        name = target if target in FIELD_LABELS else by_label.get(target)
        if name is None:
            known = "、".join(f"{n}（{label}）" for n, label in FIELD_LABELS.items())
            raise PresetInvalid(f"未知字段「{target}」，可用字段：{known}")
        mapping[header] = name
    return mapping


def resolve_preset(
    session: Session, kind: str, preset_name: str | None, pairs: Iterable[str]
) -> ColumnPreset:
    """The kind's preset with a saved mapping (by name) and then explicit pairs on top: what
    the upload page builds from its chosen preset and its column choices."""
    mapping: dict[str, str] = {}
    if preset_name:
        saved = saved_presets(session)
        if preset_name not in saved:
            names = "、".join(sorted(saved)) or "（尚无）"
            raise PresetInvalid(f"列对应方案「{preset_name}」不存在；已保存的方案：{names}")
        mapping.update(saved[preset_name].mapping)
    mapping.update(mapping_from_pairs(pairs))
    return preset_for(kind, mapping)
