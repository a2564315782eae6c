"""The supervision routes of the access matrix (tests/webapp/test_access.py): spot checks,
complaints and recoveries. Lists are filtered in SQL (township staff see their own township's
rows: tests/webapp/test_oversight_web.py); forms are posted with bad input, refused with 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caseflow_web.oversight import (
    ACCOUNTABILITY_ROLES,
    COMPLAINT_VIEW_ROLES,
    INTAKE_ROLES,
    RECOVERY_ROLES,
    RECOVERY_VIEW_ROLES,
    SPOT_VIEW_ROLES,
)
from caseflow_web.oversight import DRAW_ROLES as DRAW


def oversight_routes(route: Callable[..., Any]) -> list[Any]:
    """Route rows for test_access.ROUTES."""
    bad_rate = (("rate", "120"), ("seed", ""))
    return [
        route(
            "oversight.spot_checks", "GET", lambda w, s: "/spot-checks", set(SPOT_VIEW_ROLES), False
        ),
        route("oversight.draw", "GET", lambda w, s: "/spot-checks/draw", set(DRAW), False),
        route(
            "oversight.draw", "POST", lambda w, s: "/spot-checks/draw", set(DRAW), False, bad_rate
        ),
        route(
            "oversight.complaints",
            "GET",
            lambda w, s: "/complaints",
            set(COMPLAINT_VIEW_ROLES),
            False,
        ),
        route(
            "oversight.new_complaint",
            "GET",
            lambda w, s: "/complaints/new",
            set(INTAKE_ROLES),
            False,
        ),
        route(
            "oversight.new_complaint",
            "POST",
            lambda w, s: "/complaints/new",
            set(INTAKE_ROLES),
            False,
        ),
        route(
            "oversight.recoveries",
            "GET",
            lambda w, s: "/recoveries",
            set(RECOVERY_VIEW_ROLES),
            False,
        ),
        route(
            "oversight.new_recovery",
            "GET",
            lambda w, s: "/recoveries/new",
            set(RECOVERY_ROLES),
            False,
        ),
        route(
            "oversight.new_recovery",
            "POST",
            lambda w, s: "/recoveries/new",
            set(RECOVERY_ROLES),
            False,
        ),
        route(
            "oversight.accountability_report",
            "GET",
            lambda w, s: "/accountability?from=2026-01-01&to=2026-12-31",
            set(ACCOUNTABILITY_ROLES),
            False,
        ),
    ]
