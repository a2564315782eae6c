"""Policy configuration in the database: dated, visible, changed only with an admin-log entry."""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import PolicyRecord
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.settings import load_settings
from caseflow.kernel.yamlio import load_text_with_lines
from caseflow.policy.config import (
    PolicyConfig,
    PolicyTable,
    config_to_dict,
    dump_policy_yaml,
    parse_policy,
)


def district_region() -> str:
    """The district this installation serves (the configured `district_code`, e.g. 640502)."""
    return str(load_settings().district_code)


def region_of(org_code: str) -> str:
    """Policy is set per district: the first six digits of any org code."""
    return org_code[:6]


# Parsed tables by the stored documents themselves: parsing the YAML cost more than half of an
# assessment step, and a region's records change a few times a year. Reading the documents is
# cheap; keying on their text means a changed record can never be served from an old parse.
_TABLES: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], PolicyTable] = OrderedDict()
_TABLES_MAX = 32


def policy_table(session: Session, region: str) -> PolicyTable:
    """Every configuration entered for `region`, as a dated table (parsed once per change)."""
    rows = session.execute(
        select(PolicyRecord.region, PolicyRecord.effective_from, PolicyRecord.document)
        .where(PolicyRecord.region == region)
        .order_by(PolicyRecord.effective_from)
    ).all()
    key = (region, tuple((f"{r}@{day.isoformat()}", doc) for r, day, doc in rows))
    table = _TABLES.get(key)
    if table is not None:
        _TABLES.move_to_end(key)
        return table
    configs: list[PolicyConfig] = []
    for name, document in key[1]:
        configs.extend(parse_policy(load_text_with_lines(document), f"policy:{name}").configs)
    table = _TABLES[key] = PolicyTable(region, tuple(configs))
    if len(_TABLES) > _TABLES_MAX:
        _TABLES.popitem(last=False)
    return table


def record_name(record: PolicyRecord) -> str:
    """How a stored configuration is named in error messages."""
    return f"policy:{record.region}@{record.effective_from.isoformat()}"


def enter_policy(
    session: Session, yaml_text: str, actor_id: int | None, now: datetime, source: str = "<entered>"
) -> list[PolicyRecord]:
    """Validate and store every configuration of a YAML document, one admin-log entry each.

    Raises PolicyConfigError (file:line and field) and stores nothing when any part is invalid.
    """
    table = parse_policy(load_text_with_lines(yaml_text, source), source)
    with UnitOfWork(session) as uow:
        stored = [_store(session, table.region, c, actor_id, now) for c in table.configs]
        uow.commit()
    return stored


def _store(
    session: Session, region: str, config: PolicyConfig, actor_id: int | None, now: datetime
) -> PolicyRecord:
    document = dump_policy_yaml(PolicyTable(region, (config,)))
    record = session.scalar(
        select(PolicyRecord).where(
            PolicyRecord.region == region, PolicyRecord.effective_from == config.effective_from
        )
    )
    before = None
    if record is None:
        record = PolicyRecord(
            region=region, effective_from=config.effective_from, document=document, entered_at=now
        )
        session.add(record)
    else:
        before = _jsonable(parse_policy(load_text_with_lines(record.document)).configs[0])
        record.document = document
    record.is_example = config.is_example
    record.entered_by_id, record.entered_at = actor_id, now
    record.confirmed_by_id = record.confirmed_at = None
    append_admin_event(
        session,
        actor_id=actor_id,
        action="policy.enter",
        subject=f"{region}@{config.effective_from.isoformat()}",
        payload={"before": before, "after": _jsonable(config)},
        at=now,
    )
    return record


def _jsonable(config: PolicyConfig) -> dict[str, Any]:
    # Dates and decimals as text: the admin log stores JSON.
    return cast(dict[str, Any], json.loads(json.dumps(config_to_dict(config), default=str)))


def confirm_policy(session: Session, record: PolicyRecord, actor_id: int, now: datetime) -> None:
    """An admin confirms example values as the district's own (is_example → false)."""
    config = parse_policy(load_text_with_lines(record.document)).configs[0]
    confirmed = dataclasses.replace(config, is_example=False)
    with UnitOfWork(session) as uow:
        record.document = dump_policy_yaml(PolicyTable(record.region, (confirmed,)))
        record.is_example = False
        record.confirmed_by_id, record.confirmed_at = actor_id, now
        append_admin_event(
            session,
            actor_id=actor_id,
            action="policy.confirm",
            subject=f"{record.region}@{record.effective_from.isoformat()}",
            payload={},
            at=now,
        )
        uow.commit()


def load_policy_file(
    session: Session, path: Path, actor_id: int | None, now: datetime
) -> list[PolicyRecord]:
    """Enter a policy YAML file (the demo seed's example values, or an admin's file)."""
    return enter_policy(session, path.read_text(encoding="utf-8"), actor_id, now, str(path))
