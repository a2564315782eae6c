"""待办 (the work queue): tabs with counts, filters, paging, claim / release, batch sign-off.

The list comes from caseflow.read.queue (one SQL query). Batch sign-off has its own page: the
planner (caseflow.read.batch_plan) lists the cases one action applies to, each with its own
values; caseflow.casework.batch fires each through fire with those values. This module only
parses input and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.casework.batch import fire_batch
from caseflow.casework.claims import claim, release
from caseflow.casework.intake import CASE_TYPE_LABELS
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.workcal import working_days_between
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, CaseNotFound
from caseflow.kernel.roles import Role
from caseflow.read.batch_plan import (
    MAX_PLAN,
    Confirmed,
    batch_actions,
    find_action,
    payloads_to_fire,
    plan,
)
from caseflow.read.queue import (
    ASSIGNEE_CHOICES,
    TABS,
    QueueFilters,
    QueueRow,
    actionable_pairs,
    queue_page,
)
from caseflow.read.registry_status import registry_statuses
from caseflow.read.units import units_in_reach, villages_by_township
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.redirects import local_target
from caseflow_web.security import CASEWORK_ROLES, current_actor, roles_required

bp = Blueprint("queue", __name__, url_prefix="/queue")
PER_PAGE = 30
FILTER_KEYS = ("tab", "case_type", "state", "township", "village", "assignee")


@dataclass(frozen=True)
class RowView:
    row: QueueRow
    state_label: str
    township_name: str
    remaining_days: int | None  # negative when overdue
    overdue: bool


def _args() -> dict[str, str]:
    return {k: request.args.get(k, "")[:40] for k in FILTER_KEYS}


def _filters(args: dict[str, str]) -> QueueFilters:
    assignee = args["assignee"] if args["assignee"] in ASSIGNEE_CHOICES else ""
    return QueueFilters.for_tab(
        args["tab"] if args["tab"] in TABS else "all",
        case_type=args["case_type"] if args["case_type"] in CASE_TYPE_LABELS else "",
        state=args["state"],
        township=args["township"],
        village=args["village"],
        assignee=assignee,
    )


def _state_labels(actor: Actor) -> dict[str, str]:
    reg = registry()
    labels: dict[str, str] = {}
    for wf_key, state in actionable_pairs(actor.roles):
        labels.setdefault(state, reg.workflow(wf_key).states[state].label)
    return labels


def _row_views(rows: list[QueueRow], names: dict[str, str], now: datetime) -> list[RowView]:
    reg = registry()
    cal = load_calendar(db.session())
    views = []
    for r in rows:
        remaining = None if r.due_at is None else working_days_between(cal, now, r.due_at)
        label = reg.workflow(r.workflow_key).states[r.state].label
        views.append(RowView(r, label, names.get(r.township_code, ""), remaining, r.overdue(now)))
    return views


@bp.get("/")
@roles_required(CASEWORK_ROLES, Role.INSTITUTION_STAFF.value)
def index() -> ResponseReturnValue:
    """The queue: tabs with counts, filters, one page of cases, claim buttons."""
    session, actor, now = db.session(), current_actor(), db.now()
    args = _args()
    filters = _filters(args)
    page_no = parse_row_id(request.args.get("page", "1")[:9]) or 1
    page = queue_page(session, actor, now, filters, page_no, PER_PAGE)
    townships = units_in_reach(session, actor, ("township",))
    chosen_town = filters.township if any(u.code == filters.township for u in townships) else ""
    villages = villages_by_township(session, actor, chosen_town)
    kept = {k: v for k, v in args.items() if v}

    def url(**changes: Any) -> str:
        params = {**kept, **{k: v for k, v in changes.items()}}
        return url_for("queue.index") + "?" + urlencode({k: v for k, v in params.items() if v})

    return render_template(
        "queue/index.html",
        page=page,
        rows=_row_views(page.rows, {u.code: u.name for u in townships}, now),
        # An institution's staff read no household's registry status, nor its head's name.
        registry={}
        if actor.institution_id is not None
        else registry_statuses(session, [r.household_id for r in page.rows if r.household_id]),
        institution_id=actor.institution_id,
        args=args,
        tab=args["tab"] if args["tab"] in TABS else "all",
        townships=townships,
        villages=villages,
        case_types=CASE_TYPE_LABELS,
        state_labels=_state_labels(actor),
        has_batch=bool(batch_actions(actor)),
        url=url,
        back=request.full_path.rstrip("?"),
        me=actor.user_id,
    )


def _back() -> str:
    # Only back into the queue itself: never an open redirect.
    return local_target(request.form.get("back"), "/queue/") or url_for("queue.index")


def _claim_or_release(case_id: int, claiming: bool) -> ResponseReturnValue:
    session, actor = db.session(), current_actor()
    try:
        case = (claim if claiming else release)(session, case_id, actor, db.now())
    except CaseNotFound:
        abort(404)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return redirect(_back(), 303)
    flash(f"{'已认领' if claiming else '已释放'}：{case.case_no}", "success")
    return redirect(_back(), 303)


@bp.post("/<int:case_id>/claim")
@roles_required(CASEWORK_ROLES)
def claim_view(case_id: int) -> ResponseReturnValue:
    """Claim a case so colleagues see it is being worked on."""
    return _claim_or_release(case_id, claiming=True)


@bp.post("/<int:case_id>/release")
@roles_required(CASEWORK_ROLES)
def release_view(case_id: int) -> ResponseReturnValue:
    """Give a claimed case back to the queue."""
    return _claim_or_release(case_id, claiming=False)


@bp.get("/batch")
@roles_required(CASEWORK_ROLES)
def batch_plan() -> ResponseReturnValue:
    """Batch sign-off: pick one action; the cases it applies to now, each with its own values."""
    session, actor = db.session(), current_actor()
    actions = batch_actions(actor)
    chosen = find_action(actor, request.args.get("op", "")[:60])
    current = plan(session, actor, db.now(), chosen) if chosen else None
    return render_template(
        "queue/batch.html", actions=actions, chosen=chosen, plan=current, max_plan=MAX_PLAN
    )


def _confirmed() -> dict[int, Confirmed]:
    """The ticked cases with the version and amount the approver saw beside each."""
    f = request.form
    ids = [i for i in (parse_row_id(v) for v in f.getlist("case_id")[:MAX_PLAN]) if i]
    return {
        i: Confirmed(parse_row_id(f.get(f"v_{i}", "")[:12]), _fen(f.get(f"a_{i}", ""))) for i in ids
    }


def _fen(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 13 else None


@bp.post("/batch")
@roles_required(CASEWORK_ROLES)
def batch() -> ResponseReturnValue:
    """Fire the action on every ticked case with that case's own values, recomputed now and
    checked against what the approver confirmed; show each case as done or refused."""
    session, actor, now = db.session(), current_actor(), db.now()
    action = find_action(actor, request.form.get("op", "")[:60])
    if action is None:
        flash("请选择要批量办理的操作", "error")
        return redirect(url_for("queue.batch_plan"), 303)
    back = url_for("queue.batch_plan", op=action.key)
    confirmed = _confirmed()
    if not confirmed:
        flash("请先勾选要办理的案件", "error")
        return redirect(back, 303)
    current = plan(session, actor, now, action, confirmed)
    payloads, refused = payloads_to_fire(current, confirmed)
    versions = {i: c.version for i, c in confirmed.items() if c.version is not None}
    outcomes = fire_batch(
        session,
        list(confirmed),
        action.trigger,
        actor,
        now,
        payloads,
        expected_versions=versions,
        refused=refused,
    )
    done = sum(o.ok for o in outcomes)
    return render_template(
        "queue/batch_result.html",
        action=action,
        outcomes=outcomes,
        done=done,
        refused=len(outcomes) - done,
        back=back,
    )
