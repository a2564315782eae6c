"""Sign in, sign out, change one's own password."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from caseflow.accounts.signin import TooManyFailures, WrongPassword, identity_of, sign_in
from caseflow.accounts.staff import PasswordRejected, change_password
from web import db
from web.redirects import local_target
from web.security import WebUser

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
        identity = sign_in(db.session(), username, password, request.remote_addr or "", db.now())
    except TooManyFailures as exc:
        log.warning("sign-in refused for %r: too many failures", username)
        flash(exc.message_zh, "error")
        return render_template("auth/login.html", username=username, next=_form_next()), 429
    except WrongPassword as exc:
        flash(exc.message_zh, "error")
        return render_template("auth/login.html", username=username, next=_form_next()), 401
    login_user(WebUser(identity))
    return redirect(_form_next() or url_for("index"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (POST, so a link on another site cannot do it)."""
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
    except PasswordRejected as exc:
        return render_template("auth/password.html", errors=exc.fields), 400
    login_user(WebUser(identity_of(user)))  # the session token changed with the hash
    flash("密码已修改", "success")
    return redirect(url_for("index"))
