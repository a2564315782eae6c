"""待办 (the work queue): tabs with counts, filters, paging, claim / release, batch sign-off.

The list comes from caseflow.read.queue (one SQL query); batch sign-off from
caseflow.casework.batch (each case
through fire). This module only parses input and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.casework.batch import MAX_BATCH, fire_batch
from caseflow.casework.claims import EXCLUDED_TRIGGERS, claim, release
from caseflow.casework.intake import CASE_TYPE_LABELS
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.workcal import working_days_between
from caseflow.engine.payload import validate_payload
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, CaseNotFound, PayloadInvalid
from caseflow.read.queue import (
    ASSIGNEE_CHOICES,
    TABS,
    QueueFilters,
    QueueRow,
    actionable_pairs,
    queue_page,
)
from caseflow.read.units import units_in_reach, villages_by_township
from caseflow.workflow.model import TransitionDef
from caseflow.workflow.registry import registry
from web import db
from web.forms import parse_row_id, payload_from_form
from web.security import CASEWORK_ROLES, current_actor, roles_required

bp = Blueprint("queue", __name__, url_prefix="/queue")
PER_PAGE = 30
FILTER_KEYS = ("tab", "case_type", "state", "township", "village", "assignee", "op")


@dataclass(frozen=True)
class BatchAction:
    """A trigger offered for batch sign-off: `key` is "<workflow>:<trigger>"."""

    key: str
    label: str
    transition: TransitionDef


@dataclass(frozen=True)
class RowView:
    row: QueueRow
    state_label: str
    township_name: str
    remaining_days: int | None  # negative when overdue
    overdue: bool


def batch_actions(actor: Actor) -> list[BatchAction]:
    """Transitions the actor's roles may fire from the states in its queue (one per workflow)."""
    reg = registry()
    found: dict[str, BatchAction] = {}
    for wf_key, state in actionable_pairs(actor.roles):
        wf = reg.workflow(wf_key)
        for t in wf.transitions_from(state):
            key = f"{wf_key}:{t.trigger}"
            if t.trigger in EXCLUDED_TRIGGERS or key in found or not (t.roles & actor.roles):
                continue
            label = f"{CASE_TYPE_LABELS.get(wf.case_type, wf.label)} · {t.label}"
            found[key] = BatchAction(key, label, t)
    return sorted(found.values(), key=lambda a: a.key)


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
@roles_required(CASEWORK_ROLES)
def index() -> ResponseReturnValue:
    """The queue: tabs with counts, filters, one page of cases, claim buttons, the batch form."""
    session, actor, now = db.session(), current_actor(), db.now()
    args = _args()
    filters = _filters(args)
    page_no = parse_row_id(request.args.get("page", "1")[:9]) or 1
    page = queue_page(session, actor, now, filters, page_no, PER_PAGE)
    townships = units_in_reach(session, actor, ("township",))
    chosen_town = filters.township if any(u.code == filters.township for u in townships) else ""
    villages = villages_by_township(session, actor, chosen_town)
    actions = batch_actions(actor)
    chosen = next((a for a in actions if a.key == args["op"]), None)
    kept = {k: v for k, v in args.items() if v}

    def url(**changes: Any) -> str:
        params = {**kept, **{k: v for k, v in changes.items()}}
        return url_for("queue.index") + "?" + urlencode({k: v for k, v in params.items() if v})

    return render_template(
        "queue/index.html",
        page=page,
        rows=_row_views(page.rows, {u.code: u.name for u in townships}, now),
        args=args,
        tab=args["tab"] if args["tab"] in TABS else "all",
        townships=townships,
        villages=villages,
        case_types=CASE_TYPE_LABELS,
        state_labels=_state_labels(actor),
        actions=actions,
        chosen=chosen,
        select_all=request.args.get("select") == "all",
        url=url,
        back=request.full_path.rstrip("?"),
        me=actor.user_id,
        max_batch=MAX_BATCH,
    )


def _back() -> str:
    target = request.form.get("back", "")
    # Only back into the queue itself: never an open redirect.
    return target if target.startswith("/queue/") and "//" not in target else url_for("queue.index")


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


@bp.post("/batch")
@roles_required(CASEWORK_ROLES)
def batch() -> ResponseReturnValue:
    """Fire one transition on every ticked case; show each case as done or refused."""
    session, actor = db.session(), current_actor()
    action = next((a for a in batch_actions(actor) if a.key == request.form.get("op")), None)
    ids = [i for i in (parse_row_id(v) for v in request.form.getlist("case_id")) if i]
    if action is None:
        flash("请选择要批量办理的操作", "error")
        return redirect(_back(), 303)
    if not ids:
        flash("请先勾选要办理的案件", "error")
        return redirect(_back(), 303)
    if len(ids) > MAX_BATCH:
        flash(f"一次最多办理 {MAX_BATCH} 件", "error")
        return redirect(_back(), 303)
    payload = payload_from_form(action.transition)
    try:
        validate_payload(action.transition.payload, payload)
    except PayloadInvalid as exc:
        flash(exc.message_zh, "error")
        return redirect(_back(), 303)
    versions = {
        i: v for i in ids if (v := parse_row_id(request.form.get(f"v_{i}", "")[:12])) is not None
    }
    trigger = action.key.split(":", 1)[1]
    outcomes = fire_batch(
        session, ids, trigger, actor, db.now(), payload, expected_versions=versions
    )
    done = sum(o.ok for o in outcomes)
    return render_template(
        "queue/batch_result.html",
        action=action,
        outcomes=outcomes,
        done=done,
        refused=len(outcomes) - done,
        back=_back(),
    )
