"""Sign in, sign out, change one's own password."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from caseflow.accounts import throttle
from caseflow.accounts.staff import PasswordRejected, change_password
from caseflow.accounts.users import password_matches
from caseflow.db.models import User
from web import db
from web.security import WebUser

bp = Blueprint("auth", __name__)
log = logging.getLogger("caseflow.security")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil" or "https://evil" would turn sign-in into an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("index"))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    session, now = db.session(), db.now()
    addr = request.remote_addr or ""
    if not username or not password:
        flash("请输入用户名和密码", "error")
        return render_template("auth/login.html", username=username), 400
    if throttle.is_locked(session, username, now):
        log.warning("sign-in refused for %r: too many failures", username)
        flash("登录失败次数过多，请 15 分钟后再试", "error")
        return render_template("auth/login.html", username=username), 429
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not password_matches(user, password):
        throttle.record(session, username, addr, False, now)
        flash("用户名或密码不正确", "error")
        return render_template("auth/login.html", username=username), 401
    web_user = WebUser(user)
    throttle.record(session, username, addr, True, now)
    login_user(web_user)
    return redirect(_safe_next(request.form.get("next")))


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
    login_user(WebUser(user))  # the session token changed with the hash
    flash("密码已修改", "success")
    return redirect(url_for("index"))
