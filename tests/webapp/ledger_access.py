"""The 台账比对 routes of the access matrix (tests/webapp/test_access.py), with the comparison rows
they point at: one result in each side's township, in one run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from support import T0, World
from websupport import Side

from caseflow.db.models import ComparisonResult, ComparisonRun, RosterImport
from caseflow_web.ledger import MANAGE_ROLES, WORK_ROLES

MANAGE = set(MANAGE_ROLES)
WORK = set(WORK_ROLES)
NO_JOB = "0" * 32  # a well-formed token nobody uploaded: 404 for whoever may upload at all


def _code(side: Side) -> str:
    return side.household.org_path.strip("/").split("/")[1]


def _run(w: World) -> int:
    w.session.rollback()
    found = w.session.scalars(select(ComparisonRun.id).order_by(ComparisonRun.id)).first()
    if found is not None:
        return found
    registry = RosterImport(
        kind="registry", file_name="矩阵.csv", sha256="0" * 64, imported_at=T0, status="complete"
    )
    w.session.add(registry)
    w.session.flush()
    run = ComparisonRun(
        registry_import_id=registry.id,
        roster_import_ids=[],
        include_system_cases=True,
        policy_effective_from=date(2026, 1, 1),
        created_at=T0,
        counts={"C4": 2},
    )
    w.session.add(run)
    w.session.commit()
    return run.id


def _result(w: World, s: Side) -> int:
    """The result of the side's township (created once)."""
    run_id, code = _run(w), _code(s)
    found = w.session.scalars(
        select(ComparisonResult.id).where(
            ComparisonResult.run_id == run_id, ComparisonResult.township_code == code
        )
    ).first()
    if found is not None:
        return found
    row = ComparisonResult(
        run_id=run_id,
        household_key=f"P{code}",
        category="C4",
        evidence={"reasons": ["矩阵测试"], "registry": [], "assistance": []},
        head_name="矩阵户",
        township_code=code,
        village="示例村",
    )
    w.session.add(row)
    w.session.commit()
    return row.id


def ledger_routes(route: Callable[..., Any]) -> list[Any]:
    """The ledger rows of the matrix, built with test_access's Route class."""
    job = f"/ledger/jobs/{NO_JOB}"
    not_found = frozenset({404})
    return [
        route("ledger.index", "GET", lambda w, s: "/ledger/", WORK, scoped=False),
        route("ledger.upload", "GET", lambda w, s: "/ledger/upload", MANAGE, scoped=False),
        route("ledger.upload", "POST", lambda w, s: "/ledger/upload", MANAGE, scoped=False),
        route("ledger.mapping", "GET", lambda w, s: f"{job}/mapping", MANAGE, False, ok=not_found),
        route("ledger.mapping", "POST", lambda w, s: f"{job}/mapping", MANAGE, False, ok=not_found),
        route("ledger.job", "GET", lambda w, s: job, MANAGE, False, ok=not_found),
        route(
            "ledger.progress",
            "GET",
            lambda w, s: f"{job}/progress.json",
            MANAGE,
            False,
            ok=not_found,
        ),
        route(
            "ledger.report", "GET", lambda w, s: f"{job}/report.xlsx", MANAGE, False, ok=not_found
        ),
        route(
            "ledger.start_import", "POST", lambda w, s: f"{job}/import", MANAGE, False, ok=not_found
        ),
        route("ledger.cancel", "POST", lambda w, s: f"{job}/cancel", MANAGE, False, ok=not_found),
        route(
            "ledger.comparison",
            "GET",
            lambda w, s: f"/ledger/comparisons/{NO_JOB}",
            MANAGE,
            False,
            ok=not_found,
        ),
        route("ledger.new_run", "GET", lambda w, s: "/ledger/runs/new", MANAGE, scoped=False),
        route("ledger.new_run", "POST", lambda w, s: "/ledger/runs/new", MANAGE, scoped=False),
        route(
            "ledger.run",
            "GET",
            lambda w, s: f"/ledger/runs/{_run(w)}?township={_code(s)}&category=C4&page=1",
            WORK,
        ),
        route(
            "ledger.export", "GET", lambda w, s: f"/ledger/runs/{_run(w)}/export.xlsx", WORK, False
        ),
        route("ledger.result", "GET", lambda w, s: f"/ledger/results/{_result(w, s)}", WORK),
        # "No action" without a reason: refused (400) for everyone allowed, so nothing changes.
        route(
            "ledger.act",
            "POST",
            lambda w, s: f"/ledger/results/{_result(w, s)}/action",
            WORK,
            data=(("action", "no_action"),),
        ),
    ]
