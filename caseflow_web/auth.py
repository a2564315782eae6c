"""Sign in, sign out, change one's own password."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from caseflow.accounts.signin import (
    TooManyFailures,
    WrongPassword,
    end_sessions,
    identity_of,
    sign_in,
)
from caseflow.accounts.staff import PasswordChecksThrottled, PasswordRejected, change_password
from caseflow_web import db, devices
from caseflow_web.redirects import local_target
from caseflow_web.security import WebUser, start_session

bp = Blueprint("auth", __name__)
log = logging.getLogger("caseflow.security")


def _form_next() -> str:
    return local_target(request.form.get("next")) or ""


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("index"))
        next_target = local_target(request.args.get("next")) or ""
        return render_template("auth/login.html", next=next_target)
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    if not username or not password:
        flash("请输入用户名和密码", "error")
        return render_template("auth/login.html", username=username, next=_form_next()), 400
    try:
        identity = sign_in(
            db.session(),
            username,
            password,
            request.remote_addr or "",
            db.now(),
            device=devices.trusted_device(username[:64]),
        )
    except TooManyFailures as exc:
        log.warning("sign-in refused for %r: backing off %d s", username, exc.seconds)
        flash(exc.message_zh, "error")
        page = render_template("auth/login.html", username=username, next=_form_next())
        return page, 429, {"Retry-After": str(exc.seconds)}
    except WrongPassword as exc:
        flash(exc.message_zh, "error")
        return render_template("auth/login.html", username=username, next=_form_next()), 401
    start_session(WebUser(identity))
    response = make_response(redirect(_form_next() or url_for("index")))
    devices.remember(response, identity.username)
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (POST, so a link on another site cannot do it): every session of the account
    ends, so a copy of this cookie is worthless from now on."""
    if current_user.is_authenticated:
        end_sessions(db.session(), current_user.user_id)
    logout_user()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change one's own password."""
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    session = db.session()
    try:
        user = change_password(
            session,
            current_user.user_id,
            request.form.get("current", ""),
            request.form.get("new", ""),
            request.form.get("confirm", ""),
            db.now(),
        )
    except PasswordChecksThrottled as exc:
        page = render_template("auth/password.html", errors=exc.fields)
        return page, 429, {"Retry-After": str(exc.seconds)}
    except PasswordRejected as exc:
        return render_template("auth/password.html", errors=exc.fields), 400
    # The generation moved on (every other session ended): this one goes on under the new one.
    login_user(WebUser(identity_of(user, session)))
    flash("密码已修改", "success")
    return redirect(url_for("index"))
