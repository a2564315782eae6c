"""业务培训 (staff training): the year's sessions, the form district staff record a session and
its attendance with, and the report of staff not trained this year (page and Excel). The lists
come from caseflow.accounts.training, limited to the reader's jurisdiction in SQL."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.accounts.training import (
    RECORD_ROLES,
    VIEW_ROLES,
    SessionInput,
    add_attendance,
    may_record,
    record_session,
    session_in_reach,
    sessions_of,
    staff_in_reach,
    untrained,
)
from caseflow.clock.workcal import local_date
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.spreadsheet import XLSX_TYPE
from caseflow.read.report_sheets import untrained_xlsx
from caseflow_web import db
from caseflow_web.printouts.pdf import download
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("training", __name__, url_prefix="/training")
TRAINING_VIEW = frozenset(r.value for r in VIEW_ROLES)
TRAINING_RECORD = frozenset(r.value for r in RECORD_ROLES)
FIELDS = ("held_on", "topic", "trainer")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_training": bool(roles & TRAINING_VIEW)}


def _year() -> int:
    this = local_date(db.now()).year
    raw = request.args.get("year", "").strip()[:4]
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this:
        return int(raw)
    return this


@bp.get("")
@roles_required(TRAINING_VIEW)
def index() -> ResponseReturnValue:
    """The year's sessions and the staff not trained yet."""
    session, actor, year = db.session(), current_actor(), _year()
    return render_template(
        "training/index.html",
        year=year,
        sessions=sessions_of(session, actor, year),
        untrained=untrained(session, actor, year),
        may_record=may_record(actor),
    )


@bp.get("/untrained.xlsx")
@roles_required(TRAINING_VIEW)
def untrained_export() -> ResponseReturnValue:
    """Staff not trained in the year, as a workbook."""
    year = _year()
    data = untrained_xlsx(untrained(db.session(), current_actor(), year), year)
    name = f"{year}年未参加业务培训人员.xlsx"
    return download(data, XLSX_TYPE, name, f"untrained-{year}.xlsx")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(TRAINING_RECORD)
def new() -> ResponseReturnValue:
    """Record a session and who attended; every wrong field is shown next to it."""
    session, actor = db.session(), current_actor()
    if not may_record(actor):
        abort(403)
    staff = staff_in_reach(session, actor)
    if request.method == "GET":
        form = {"held_on": local_date(db.now()).isoformat(), "topic": "", "trainer": ""}
        return render_template("training/new.html", form=form, chosen=set(), staff=staff, errors={})
    form = {k: request.form.get(k, "")[:300] for k in FIELDS}
    chosen = request.form.getlist("attendees")[:2000]
    try:
        row = record_session(session, actor, SessionInput(attendee_ids=chosen, **form), db.now())
    except PayloadInvalid as exc:
        page = render_template(
            "training/new.html", form=form, chosen=set(chosen), staff=staff, errors=exc.fields
        )
        return page, 400
    except PermissionDenied:
        abort(403)
    flash(f"已登记业务培训「{row.topic}」", "success")
    return redirect(url_for("training.index", year=row.held_on.year), 303)


@bp.route("/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required(TRAINING_RECORD)
def attendance(session_id: int) -> ResponseReturnValue:
    """Add attendees someone left off a session already recorded; those recorded are shown
    ticked and cannot be added twice."""
    session, actor = db.session(), current_actor()
    if not may_record(actor):
        abort(403)
    found = session_in_reach(session, actor, session_id)
    if found is None:
        abort(404)
    row, attended = found
    staff = staff_in_reach(session, actor)
    chosen = request.form.getlist("attendees")[:2000] if request.method == "POST" else []

    def page(errors: dict[str, str]) -> str:
        return render_template(
            "training/attendance.html",
            row=row,
            staff=staff,
            attended=attended,
            chosen=set(chosen),
            errors=errors,
        )

    if request.method == "GET":
        return page({})
    try:
        added = add_attendance(session, actor, row.id, chosen, db.now())
    except PayloadInvalid as exc:
        return page(exc.fields), 400
    except PermissionDenied:
        abort(403)
    flash(f"已为「{row.topic}」补登参训人员 {len(added)} 人", "success")
    return redirect(url_for("training.index", year=row.held_on.year), 303)
