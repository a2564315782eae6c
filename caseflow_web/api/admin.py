"""Admin page for API tokens of other systems: issue (the secret is shown once), revoke."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.accounts.api_tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    STATUS_LABELS,
    create_token,
    revoke_token,
    tokens_in_scope,
)
from caseflow.accounts.staff import users_in_scope
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.roles import Role
from caseflow.read.units import units_in_reach
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")


def _render(form: dict[str, Any], errors: dict[str, str], secret: str | None = None) -> str:
    session, actor = db.session(), current_actor()
    return render_template(
        "admin/api_tokens.html",
        tokens=tokens_in_scope(session, actor.org_path),
        users=users_in_scope(session, actor, active_only=True),
        units=units_in_reach(session, actor),
        form=form,
        errors=errors,
        secret=secret,
        now=db.now(),
        status_labels=STATUS_LABELS,
        default_days=DEFAULT_DAYS,
        max_days=MAX_DAYS,
    )


@bp.get("")
@roles_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    """Tokens of users in the admin's subtree, with status and last use."""
    return _render({}, {})


@bp.post("")
@roles_required(Role.ADMIN)
def create() -> ResponseReturnValue:
    """Issue a token; the secret appears in this response only (never in a flash or a log)."""
    f = request.form
    actor = current_actor()
    try:
        issued = create_token(
            db.session(),
            user_id=parse_row_id(f.get("user_id", "")),
            org_code=f.get("org_code", ""),
            name=f.get("name", ""),
            days=f.get("days", ""),
            now=db.now(),
            created_by_id=actor.user_id,
            admin_scope=actor.org_path,
        )
    except PayloadInvalid as exc:
        return _render(f.to_dict(), exc.fields), 400
    return _render({}, {}, secret=issued.secret)


@bp.post("/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a token at once (logged)."""
    actor = current_actor()
    token = revoke_token(db.session(), token_id, db.now(), actor.user_id, actor.org_path)
    flash(f"已吊销令牌 {token.hint}…（{token.name}）", "success")
    return redirect(url_for("api_tokens.index"), 303)
