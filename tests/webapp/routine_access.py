"""The district-routine routes of the access matrix (tests/webapp/test_access.py): standing
publicity, reports, screening rounds, training. A scoped route names the side's township, so
staff of the other township get 404 (the unit is outside their reach); district staff see both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pdfsupport import PDF_OK
from support import World
from websupport import Side

from caseflow_web import training
from caseflow_web.campaigns import ROUND_ROLES
from caseflow_web.reports import REPORT_ROLES
from caseflow_web.security import CASEWORK_ROLES

CASEWORK = set(CASEWORK_ROLES)
REPORTS = set(REPORT_ROLES)
ROUNDS = set(ROUND_ROLES)
TRAINING_VIEW = set(training.TRAINING_VIEW)
TRAINING_RECORD = set(training.TRAINING_RECORD)


def _code(w: World, s: Side) -> str:
    return s.household.org_path.strip("/").split("/")[1]


def _fixed(url: str) -> Callable[[World, Side], str]:
    return lambda w, s: url


def _training_attendance(w: World, s: Side) -> str:
    """The attendance page of a district session (recorded once, by the supervisor)."""
    from datetime import datetime

    from sqlalchemy import select

    from caseflow.accounts.training import SessionInput, record_session
    from caseflow.accounts.training_models import TrainingSession

    found = w.session.scalar(select(TrainingSession.id).order_by(TrainingSession.id))
    if found is None:
        typed = SessionInput("2026-02-20", "政策解读", "李老师", [str(w.users["clerk"].id)])
        when = datetime.fromisoformat("2026-03-01T10:00:00+08:00")
        found = record_session(w.session, w.actor("supervisor"), typed, when).id
    return f"/training/{found}/attendance"


def routine_routes(route: Callable[..., Any]) -> list[Any]:
    """Route rows for test_access.ROUTES."""
    return [
        route("printouts.standing_index", "GET", _fixed("/print/standing"), CASEWORK, False),
        route("printouts.standing", "GET", lambda w, s: f"/print/standing/{_code(w, s)}", CASEWORK),
        route(
            "printouts.standing_pdf",
            "GET",
            lambda w, s: f"/print/standing/{_code(w, s)}.pdf",
            CASEWORK,
            ok=PDF_OK,
        ),
        route("reports.index", "GET", _fixed("/reports"), REPORTS, False),
        route("reports.single_covered", "GET", _fixed("/reports/single-covered"), REPORTS, False),
        route(
            "reports.single_covered_xlsx",
            "GET",
            _fixed("/reports/single-covered.xlsx"),
            REPORTS,
            False,
        ),
        route("reports.class_c", "GET", _fixed("/reports/class-c"), REPORTS, False),
        route("reports.class_c_xlsx", "GET", _fixed("/reports/class-c.xlsx"), REPORTS, False),
        route(
            "reports.classified",
            "GET",
            _fixed("/reports/classified?from=2026-01&to=2026-03"),
            REPORTS,
            False,
        ),
        route(
            "reports.classified_xlsx",
            "GET",
            _fixed("/reports/classified.xlsx?from=2026-01&to=2026-03"),
            REPORTS,
            False,
        ),
        route("reports.changes", "GET", _fixed("/reports/changes?month=2026-03"), REPORTS, False),
        route(
            "reports.changes_xlsx",
            "GET",
            _fixed("/reports/changes.xlsx?month=2026-03"),
            REPORTS,
            False,
        ),
        # Empty forms: refused field by field (400), nothing written.
        route("campaigns.new_round", "GET", _fixed("/campaigns/rounds/new"), ROUNDS, False),
        route("campaigns.new_round", "POST", _fixed("/campaigns/rounds/new"), ROUNDS, False),
        route("training.index", "GET", _fixed("/training?year=2026"), TRAINING_VIEW, False),
        route(
            "training.untrained_export",
            "GET",
            _fixed("/training/untrained.xlsx?year=2026"),
            TRAINING_VIEW,
            False,
        ),
        route("training.new", "GET", _fixed("/training/new"), TRAINING_RECORD, False),
        route("training.new", "POST", _fixed("/training/new"), TRAINING_RECORD, False),
        route("training.attendance", "GET", _training_attendance, TRAINING_RECORD, False),
        route("training.attendance", "POST", _training_attendance, TRAINING_RECORD, False),
    ]
