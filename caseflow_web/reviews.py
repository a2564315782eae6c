"""复核计划: periodic reviews overdue or due within 30 days, for the township or the district.

The list comes from caseflow.reviews.plan (jurisdiction in its SQL); the review outcomes
themselves are ordinary transitions on the case page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local
from caseflow.reviews.plan import SHOWS, WINDOW_DAYS, review_plan
from caseflow_web import db
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
# Those who plan, carry out or decide reviews, and those who supervise them.
REVIEW_PLAN_ROLES = frozenset(
    r.value
    for r in (
        Role.TOWNSHIP_REVIEWER,
        Role.TOWNSHIP_LEADER,
        Role.INVESTIGATOR,
        Role.DISTRICT_APPROVER,
        Role.SUPERVISOR,
    )
)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_reviews": bool(roles & REVIEW_PLAN_ROLES)}


@bp.get("")
@roles_required(REVIEW_PLAN_ROLES)
def index() -> ResponseReturnValue:
    """Overdue reviews and those due within the window, soonest first."""
    show = request.args.get("show", "all")
    if show not in SHOWS:
        show = "all"
    today = to_local(db.now()).date()
    plan = review_plan(db.session(), current_actor(), today, show)
    return render_template(
        "reviews/index.html", plan=plan, show=show, today=today, window=WINDOW_DAYS
    )
