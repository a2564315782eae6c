"""Run a ledger comparison: the registry import against 低保/特困 rosters and/or the system's
approved cases, and other departments' lists; one result row per comparison household.

Actions already taken for a household key in an earlier run are carried into the new run.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import ComparisonResult, ComparisonRun, RosterImport
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import InputError
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.ledger.bulk import insert_rows, prepare_bulk
from caseflow.ledger.classify import Classification, Figures, classify
from caseflow.ledger.kinds import ASSISTANCE_KINDS, OTHER_LISTS, REGISTRY
from caseflow.ledger.matching import group_units
from caseflow.ledger.same_name import separate_same_name
from caseflow.ledger.units import Unit, other_list_hits, roster_units, system_units
from caseflow.policy.config import NoPolicyInForce
from caseflow.policy.store import district_region, policy_table

NO_ACTION_YET = "none"
CHUNK = 2000
# Rough shares of a comparison's time, for a progress bar: reading the imports, then grouping
# persons into households; classifying and writing the results takes the rest.
LOADED_PERCENT = 25
MATCHED_PERCENT = 40


class CompareError(InputError):
    """The comparison cannot run (wrong imports); the message is Chinese."""


def household_key(units: Sequence[Unit]) -> str:
    """A stable key for a comparison household: a digest of its head's ID number (registry side
    first), so that re-runs on newer rosters find the same household without exposing the ID."""
    if len(units) == 1:  # most households are on one list only
        ident = units[0].head_id or min(units[0].ids)
    else:
        ordered = sorted(units, key=lambda u: (u.source != REGISTRY, u.source, u.key))
        head = next((u.head_id for u in ordered if u.head_id), None)
        ident = head if head is not None else min(i for u in ordered for i in u.ids)
    return "P" + hashlib.sha256(ident.encode()).hexdigest()[:24]


def _check_imports(session: Session, registry_import_id: int, roster_ids: Sequence[int]) -> None:
    found = dict(
        session.execute(
            select(RosterImport.id, RosterImport.kind).where(
                RosterImport.id.in_([registry_import_id, *roster_ids])
            )
        ).all()
    )
    if found.get(registry_import_id) != REGISTRY:
        raise CompareError(f"导入批次 {registry_import_id} 不是建档立卡名单")
    allowed = ASSISTANCE_KINDS | set(OTHER_LISTS)
    for import_id in roster_ids:
        if found.get(import_id) not in allowed:
            raise CompareError(f"导入批次 {import_id} 不存在，或不是低保/特困台账或部门比对名单")


def check_comparison(
    session: Session, registry_import_id: int, roster_import_ids: Sequence[int], now: datetime
) -> None:
    """What run_comparison refuses up front (CompareError), checked without running it: the web
    page answers these at once and runs the comparison itself in the background."""
    _check_imports(session, registry_import_id, list(dict.fromkeys(roster_import_ids)))
    _figures(session, now)


def _figures(session: Session, now: datetime) -> Figures:
    try:
        config = policy_table(session, district_region()).in_force(to_local(now).date())
    except NoPolicyInForce as exc:
        raise CompareError(f"{exc}：请先录入低保标准和建档立卡标准") from exc
    return Figures(
        config.dibao_standard_fen,
        config.registry_line_fen,
        config.effective_from.isoformat(),
        config.is_example,
    )


def _load_units(
    session: Session, registry_import_id: int, roster_ids: Sequence[int], include_system: bool
) -> list[Unit]:
    units = roster_units(session, registry_import_id, REGISTRY)
    kinds = dict(
        session.execute(
            select(RosterImport.id, RosterImport.kind).where(RosterImport.id.in_(roster_ids))
        ).all()
    )
    for import_id in roster_ids:
        if kinds[import_id] in ASSISTANCE_KINDS:
            units.extend(roster_units(session, import_id, kinds[import_id]))
    if include_system:
        units.extend(system_units(session))
    return units


def _place(units: Sequence[Unit]) -> tuple[str, str | None, str]:
    if len(units) == 1:
        unit = units[0]
        return unit.head_name or "", unit.township_code or None, unit.village or ""
    ordered = sorted(units, key=lambda u: u.source != REGISTRY)
    head = next((u.head_name for u in ordered if u.head_name), "")
    code = next((u.township_code for u in ordered if u.township_code), None)
    village = next((u.village for u in ordered if u.village), "")
    return head, code, village


def _household_id(units: Sequence[Unit]) -> int | None:
    return next((u.household_id for u in units if u.household_id is not None), None)


def _carried_actions(session: Session, keys: set[str]) -> dict[str, ComparisonResult]:
    """The latest action taken per household key in earlier runs."""
    acted = session.scalars(
        select(ComparisonResult)
        .where(ComparisonResult.action != NO_ACTION_YET)
        .order_by(ComparisonResult.action_at, ComparisonResult.id)
    )
    return {r.household_key: r for r in acted if r.household_key in keys}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a comparison allocates millions of small objects that
    live until it ends (households, persons), and the collections it would trigger keep walking
    all of them (about a fifth of the comparison's CPU time at 700,000 persons). Nothing the
    comparison builds is cyclic; the collector is restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_comparison(
    session: Session,
    registry_import_id: int,
    roster_import_ids: Sequence[int],
    actor: Actor | None,
    now: datetime,
    *,
    include_system_cases: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ComparisonRun:
    """Compare household by household and store one result per household, in one transaction.
    `progress` hears the percentage done now and then (loading, matching, classifying)."""
    with _collector_paused():
        return _run_comparison(
            session,
            registry_import_id,
            roster_import_ids,
            actor,
            now,
            include_system_cases,
            progress or _no_progress,
        )


def _no_progress(_percent: int) -> None:
    return None


def _run_comparison(
    session: Session,
    registry_import_id: int,
    roster_import_ids: Sequence[int],
    actor: Actor | None,
    now: datetime,
    include_system_cases: bool,
    progress: Callable[[int], None],
) -> ComparisonRun:
    require_aware(now, "now")
    roster_ids = list(dict.fromkeys(roster_import_ids))
    # One unit from the first read to the commit: the run and all its results appear together
    # or not at all, and they are classified from one view of the imports and earlier actions.
    with UnitOfWork(session) as uow:
        _check_imports(session, registry_import_id, roster_ids)
        figures = _figures(session, now)
        prepare_bulk(session)
        units = separate_same_name(
            _load_units(session, registry_import_id, roster_ids, include_system_cases)
        )
        progress(LOADED_PERCENT)
        hits = other_list_hits(session, roster_ids)
        groups = [[units[i] for i in group] for group in group_units(units)]
        keys = [household_key(members) for members in groups]
        carried = _carried_actions(session, set(keys))
        progress(MATCHED_PERCENT)
        run = ComparisonRun(
            registry_import_id=registry_import_id,
            roster_import_ids=roster_ids,
            include_system_cases=include_system_cases,
            policy_effective_from=date.fromisoformat(figures.effective_from),
            created_at=now,
            created_by_id=actor.user_id if actor else None,
        )
        session.add(run)
        session.flush()
        counts: Counter[str] = Counter()
        undecided = 0
        # Classified and written in chunks: the evidence of every household is never all in memory.
        for start in range(0, len(groups), CHUNK):
            values = []
            for key, members in zip(
                keys[start : start + CHUNK], groups[start : start + CHUNK], strict=True
            ):
                found = classify(members, hits, figures)
                doubts = sorted({u.doubt for u in members if u.doubt})
                if doubts:  # 人工判定: said in the evidence, flagged on the row
                    found.evidence["decision"] = doubts
                counts[found.category] += 1
                undecided += bool(doubts)
                values.append(_result_values(run.id, key, members, found, carried.get(key)))
            insert_rows(session, ComparisonResult, values)
            done = min(start + CHUNK, len(groups)) / len(groups)
            progress(MATCHED_PERCENT + int((99 - MATCHED_PERCENT) * done))
        run.counts = {cat: counts[cat] for cat in sorted(counts)}
        append_admin_event(
            session,
            actor_id=actor.user_id if actor else None,
            action="ledger.compare",
            subject=f"run:{run.id}",
            payload={
                "registry_import_id": registry_import_id,
                "roster_import_ids": roster_ids,
                "include_system_cases": include_system_cases,
                "counts": run.counts,
                "carried_actions": len(carried),
                "needs_decision": undecided,
            },
            at=now,
        )
        uow.commit()
    return run


def _result_values(
    run_id: int,
    key: str,
    units: Sequence[Unit],
    found: Classification,
    earlier: ComparisonResult | None,
) -> dict[str, Any]:
    head, code, village = _place(units)
    values: dict[str, Any] = {
        "run_id": run_id,
        "household_key": key,
        "category": found.category,
        "evidence": found.evidence,
        "needs_decision": bool(found.evidence.get("decision")),
        "head_name": head[:100],
        "township_code": code,
        "village": village[:100],
        "household_id": _household_id(units),
        "action": NO_ACTION_YET,
        "action_reason": "",
        "action_by_id": None,
        "action_at": None,
        "action_case_id": None,
        "carried_from_result_id": None,
    }
    if earlier is not None:
        values.update(
            action=earlier.action,
            action_reason=earlier.action_reason,
            action_by_id=earlier.action_by_id,
            action_at=earlier.action_at,
            action_case_id=earlier.action_case_id,
            carried_from_result_id=earlier.id,
            household_id=values["household_id"] or earlier.household_id,
        )
    return values
