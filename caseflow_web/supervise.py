"""督办 (the supervisors' board): overdue and escalated counts by township × state, aging
buckets, SVG bar charts, drill-down lists, and the working-day calendar's coverage warning.

The numbers come from caseflow.read.board (grouped SQL); this module only parses input and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.campaigns.rounds import missed_rounds
from caseflow.engine.fire import fire
from caseflow.inbox.supervision import SUPERVISE_TRIGGER
from caseflow.kernel.errors import CaseflowError, CaseNotFound, PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.read import board as bd
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("supervise", __name__, url_prefix="/board")
PER_PAGE = 50
# Who may write a 督办意见 (the shared transition's roles; fire() checks them again).
NOTE_ROLES = frozenset({Role.SUPERVISOR.value, Role.DISTRICT_APPROVER.value})


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
        missed_rounds=missed_rounds(db.session(), current_actor(), db.now()),
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
        may_note=bool(actor.roles & NOTE_ROLES),
        back=request.full_path.rstrip("?"),
    )


def _back_to_list() -> str:
    target = request.form.get("back", "")
    # Only back into the board's own lists: never an open redirect.
    return (
        target
        if target.startswith("/board/cases?") and "//" not in target
        else url_for("supervise.cases")
    )


@bp.post("/cases/<int:case_id>/note")
@roles_required(NOTE_ROLES)
def note(case_id: int) -> ResponseReturnValue:
    """Write a 督办意见 on an overdue case (through fire: recorded, and its holder told)."""
    session, actor = db.session(), current_actor()
    try:
        fire(
            session,
            case_id,
            SUPERVISE_TRIGGER,
            actor,
            db.now(),
            {"note": request.form.get("note", "")},
        )
    except CaseNotFound:
        abort(404)
    except PayloadInvalid as exc:
        flash("未提交：" + "；".join(exc.fields.values()), "error")
        return redirect(_back_to_list(), 303)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return redirect(_back_to_list(), 303)
    flash("督办意见已记录，并已通知当前承办人", "success")
    return redirect(_back_to_list(), 303)
