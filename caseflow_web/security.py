"""Sign-in state, deny-by-default login check, idle timeout, role checks, CSRF and security
headers (HSTS over HTTPS)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, redirect, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from caseflow.accounts.signin import Identity, signed_in
from caseflow.kernel.actors import Actor
from caseflow.kernel.roles import CASEWORK_ROLES as CASEWORK_ROLE_NAMES
from caseflow.read.units import region_of_actor
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.https import HSTS, SessionInterface, https_in_use

login_manager = LoginManager()
csrf = CSRFProtect()

# The only endpoints reachable without signing in (and the load balancer's probes).
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "health.healthz", "health.readyz"})
# Everyone who works on cases; the admin manages accounts only and sees no personal data.
CASEWORK_ROLES = CASEWORK_ROLE_NAMES

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_IDLE_MINUTES = 30
SEEN = "seen"  # session key: when the signed-in user last did something (epoch seconds)
SEEN_STEP_SECONDS = 60  # refresh it at most once a minute: not a new cookie on every request


class WebUser(UserMixin):  # type: ignore[misc]
    """The signed-in user as the web layer needs it (detached from any session)."""

    def __init__(self, identity: Identity) -> None:
        self.user_id = identity.user_id
        self.username = identity.username
        self.display_name = identity.display_name
        self.roles = identity.roles
        self.org_path = identity.org_path
        self.org_name = identity.org_name
        self._active = identity.active
        self._token = identity.token
        self._actor = identity.actor

    def get_id(self) -> str:
        return f"{self.user_id}:{self._token}"

    @property
    def is_active(self) -> bool:
        return self._active

    @property
    def actor(self) -> Actor:
        """The core's view of this user."""
        return self._actor


def _load_user(user_id: str) -> WebUser | None:
    raw_id, _, token = user_id.partition(":")
    row_id = parse_row_id(raw_id)
    if row_id is None:
        return None
    identity = signed_in(db.session(), row_id, token)
    return WebUser(identity) if identity is not None else None


def start_session(user: WebUser) -> None:
    """Sign `user` in on this browser, the idle clock starting now."""
    login_user(user)
    cookie[SEEN] = int(db.now().timestamp())


def _idle_timeout() -> ResponseReturnValue | None:
    # A session left alone longer than IDLE_TIMEOUT_MINUTES ends: an unlocked office computer
    # must not stay signed in to households' records all afternoon.
    if request.endpoint == "static" or request.blueprint == "api":
        return None
    if not current_user.is_authenticated:
        return None
    now = int(db.now().timestamp())
    seen = cookie.get(SEEN)
    minutes = int(current_app.config["IDLE_TIMEOUT_MINUTES"])
    if isinstance(seen, int) and 0 <= now - seen <= minutes * 60:
        if now - seen >= SEEN_STEP_SECONDS:
            cookie[SEEN] = now
        return None
    logout_user()
    cookie.pop(SEEN, None)
    flash(f"您已超过 {minutes} 分钟未操作，为保护个人信息已自动退出，请重新登录", "info")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def current_actor() -> Actor:
    """The signed-in user as an Actor (views are only reached when signed in)."""
    actor: Actor = current_user.actor
    return actor


def roles_required(*roles: str | frozenset[str]) -> Callable[[F], F]:
    """403 unless the user holds one of `roles` (strings or sets of strings)."""
    allowed: set[str] = set()
    for r in roles:
        allowed |= {r} if isinstance(r, str) else set(r)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.roles & allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _refuse_nul() -> None:
    # NUL never belongs in form text, and PostgreSQL refuses it in any query (a 500 otherwise).
    for values in (request.args, request.form):
        if any("\x00" in v for vs in values.listvalues() for v in vs):
            abort(400)


def _require_login() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if (
        request.blueprint == "api"
    ):  # bearer tokens only, checked by the API itself (caseflow_web.api.views)
        return None
    if not current_user.is_authenticated:
        result: ResponseReturnValue = login_manager.unauthorized()
        return result
    return None


def _headers(response: Any) -> Any:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    )
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")  # personal data: never cached
    if https_in_use():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Login manager, CSRF on every POST, deny-by-default login check, headers."""
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    app.config.setdefault("IDLE_TIMEOUT_MINUTES", DEFAULT_IDLE_MINUTES)
    app.before_request(_idle_timeout)
    # Registered after CSRFProtect's own hook, so a POST without a token fails even when signed out.
    app.before_request(_require_login)
    app.before_request(_refuse_nul)
    app.after_request(_headers)


def current_region() -> str:
    """The policy region of the signed-in user's org unit (policy is set per district: the first
    six digits of its code); the demo district where the unit cannot be found."""
    return region_of_actor(db.session(), current_actor())
