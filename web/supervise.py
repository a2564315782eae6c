"""督办 (the supervisors' board): overdue and escalated counts by township × state, aging
buckets, SVG bar charts, drill-down lists, and the working-day calendar's coverage warning.

The numbers come from caseflow.read.board (grouped SQL); this module only parses input and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.read import board as bd
from web import db
from web.forms import parse_row_id
from web.security import current_actor, roles_required

bp = Blueprint("supervise", __name__, url_prefix="/board")
PER_PAGE = 50


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_board": bool(roles & bd.BOARD_ROLES)}


def drill_url(measure: str, township: str = "", state: str = "") -> str:
    """The drill-down link behind one number of the board."""
    params = {
        k: v for k, v in (("measure", measure), ("township", township), ("state", state)) if v
    }
    return url_for("supervise.cases") + "?" + urlencode(params)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    url: str
    css: str = ""


def _chart_scale(bars: list[Bar]) -> int:
    return max([b.value for b in bars] + [1])


@bp.get("")
@roles_required(bd.BOARD_ROLES)
def index() -> ResponseReturnValue:
    """The board: warnings, totals, charts and the township × state tables."""
    page = bd.board(db.session(), current_actor(), db.now())
    t = page.totals
    buckets = [Bar(bd.MEASURE_LABELS[m], t.total[m], drill_url(m), m) for m in bd.BUCKETS]
    by_township = [
        Bar(r.name, r.total[bd.OVERDUE], drill_url(bd.OVERDUE, r.code)) for r in t.townships
    ]
    return render_template(
        "board/index.html",
        board=page,
        t=t,
        bd=bd,
        labels=bd.MEASURE_LABELS,
        state_labels=page.state_labels,
        drill_url=drill_url,
        bucket_bars=buckets,
        bucket_max=_chart_scale(buckets),
        township_bars=by_township,
        township_max=_chart_scale(by_township),
    )


@bp.get("/cases")
@roles_required(bd.BOARD_ROLES)
def cases() -> ResponseReturnValue:
    """The cases behind one number: measure, optionally township and state, paged."""
    session, actor, now = db.session(), current_actor(), db.now()
    measure = request.args.get("measure", bd.OVERDUE)[:20]
    township = request.args.get("township", "")[:20]
    state = request.args.get("state", "")[:40]
    if measure not in bd.MEASURES:
        abort(400)
    page_no = min(parse_row_id(request.args.get("page", "1")[:9]) or 1, 100_000)
    try:
        page = bd.drill_down(
            session,
            actor,
            now,
            measure=measure,
            township=township or None,
            state=state or None,
            page=page_no,
            per_page=PER_PAGE,
        )
    except bd.UnknownFilter:
        abort(404)  # a township outside the jurisdiction looks like no township at all
    labels = bd.state_labels()
    township_name = ""
    if township:
        township_name = next(
            (r.township_name for r in page.rows),
            bd.township_name(session, township),
        )

    def url(**changes: Any) -> str:
        params = {"measure": measure, "township": township, "state": state, **changes}
        return url_for("supervise.cases") + "?" + urlencode({k: v for k, v in params.items() if v})

    return render_template(
        "board/cases.html",
        page=page,
        measure=measure,
        measure_label=bd.MEASURE_LABELS[measure],
        township_name=township_name,
        state_label=labels.get(state, state) if state else "",
        url=url,
    )
