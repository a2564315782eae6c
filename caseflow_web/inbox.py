"""消息 (the notifications inbox): the signed-in user's reminders, escalations and returned
cases, and the unread count in the header of every page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseflow.inbox.read import (
    inbox_page,
    mark_all_read,
    mark_case_read,
    mark_read,
    notification_case,
    unread_count,
)
from caseflow.kernel.roles import Role
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import CASEWORK_ROLES, roles_required

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PER_PAGE = 30
INBOX_ROLES = CASEWORK_ROLES | {Role.ADMIN.value}


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {"inbox_unread": 0}
    return {"inbox_unread": unread_count(db.session(), current_user.user_id)}


@bp.get("")
@roles_required(INBOX_ROLES)
def index() -> ResponseReturnValue:
    """The user's notifications, newest first; `unread=1` lists only the unread ones."""
    unread_only = request.args.get("unread") == "1"
    page_no = min(parse_row_id(request.args.get("page", "1")[:9]) or 1, 100_000)
    page = inbox_page(
        db.session(), current_user.user_id, unread_only=unread_only, page=page_no, per_page=PER_PAGE
    )
    return render_template("inbox/index.html", page=page, unread_only=unread_only)


@bp.post("/<int:record_id>/read")
@roles_required(INBOX_ROLES)
def read(record_id: int) -> ResponseReturnValue:
    """Mark one of one's own notifications read; `open=1` goes on to its case."""
    session, me = db.session(), current_user.user_id
    case_id = notification_case(session, me, record_id)
    if not mark_read(session, me, record_id, db.now()):
        abort(404)  # another user's notification is no different from a missing one
    if request.form.get("open") == "1" and case_id is not None:
        return redirect(url_for("cases.show", case_id=case_id), 303)
    return redirect(url_for("inbox.index"), 303)


@bp.post("/cases/<int:case_id>/read")
@roles_required(INBOX_ROLES)
def read_case(case_id: int) -> ResponseReturnValue:
    """Mark all of one's notifications about a case read; `open=1` goes on to the case."""
    if mark_case_read(db.session(), current_user.user_id, case_id, db.now()) is None:
        abort(404)
    if request.form.get("open") == "1":
        return redirect(url_for("cases.show", case_id=case_id), 303)
    return redirect(url_for("inbox.index"), 303)


@bp.post("/read-all")
@roles_required(INBOX_ROLES)
def read_all() -> ResponseReturnValue:
    """Mark all of one's own notifications read."""
    changed = mark_all_read(db.session(), current_user.user_id, db.now())
    flash(f"已将 {changed} 条消息标为已读", "success")
    return redirect(url_for("inbox.index"), 303)
