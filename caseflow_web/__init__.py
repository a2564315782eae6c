"""The caseflow web application: `create_app(config)` builds a Flask app around the core.

Views parse input, call the core, and turn its typed errors into messages and status codes.
They hold no business rules (those live in `caseflow`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map

from caseflow.bootstrap import boot
from caseflow.db.engine import database_url
from caseflow.kernel.settings import ConfigError, load_settings, production_problems
from caseflow.kernel.timeutil import utcnow

MB = 1024 * 1024


class BoundedInt(IntegerConverter):
    """`<int:...>` limited to positive 32-bit values."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _secret_key(instance: Path) -> str:
    """A key generated once and kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(key, encoding="ascii")
    return key


def blueprints() -> list[Blueprint]:
    """Every area of the app, one blueprint each (imported here: each imports the app's helpers)."""
    from caseflow_web import (
        admin,  # accounts
        audit,  # 审计 search
        auth,  # sign in / out, password
        campaigns,  # 排查摸底 (campaign progress by township)
        cases,  # case list and case page
        corrections,  # 家庭信息更正 (household and member changes, versioned)
        desk,  # 一门受理
        health,  # /healthz, /readyz for the load balancer
        inbox,  # 消息
        institutions,  # 集中供养 (供养机构, beds, occupancy, 入院 proposals)
        ledger,  # 台账比对 (roster upload, comparison worklist)
        means,  # 入户调查：家庭收入、财产和支出 (the means lines of a case's household)
        orphans,  # 孤儿 / 事实无人抚养儿童 名册 (list, Excel)
        oversight,  # 抽查, 投诉举报 (the district's supervision)
        payments,  # 发放名册 (monthly roll, risk checks, bank files)
        queue,  # 待办 (queue, claim, batch sign-off)
        reconcile,  # 发放核对 (rolls against the entitlement history)
        reports,  # 统计报表 (户1人保, C类, 分类施保, 对象变动; Excel)
        reviews,  # 复核计划
        standard_rise,  # 提标名单
        supervise,  # 督办 board
        training,  # 业务培训 (sessions, attendance, staff not trained this year)
        transfers,  # 迁移 between townships (requested by a window, decided by the district)
    )
    from caseflow_web.api import admin as api_admin  # JSON API token admin page
    from caseflow_web.api import views as api  # JSON API /api/v1 (bearer tokens)
    from caseflow_web.printouts import views as printouts  # printed notices, PDFs

    areas = (
        auth,
        desk,
        cases,
        means,
        printouts,
        admin,
        queue,
        supervise,
        inbox,
        audit,
        api,
        api_admin,
    )
    money = (payments, standard_rise, reconcile)
    return [
        area.bp
        for area in (
            *areas,
            corrections,
            ledger,
            campaigns,
            *money,
            reviews,
            institutions,
            orphans,  # 孤儿 / 事实无人抚养儿童 名册
            health,
            transfers,
            reports,  # the district's routine (统计报表, 业务培训)
            training,
            oversight,  # 抽查, 投诉举报
        )
    ]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides defaults (tests pass DATABASE_URL, NOW, TESTING…)."""
    boot()
    app = Flask(__name__, instance_relative_config=True)
    config = dict(config or {})
    instance = Path(app.instance_path)
    settings = load_settings()
    problems = production_problems(settings)
    if problems:  # any way of starting the app in production, not only `caseflow serve`
        raise ConfigError("\n".join(problems))
    app.config.update(
        DATABASE_URL=config.get("DATABASE_URL") or database_url(),
        CASEFLOW_ENV=settings.env,
        SECRET_KEY=settings.secret_key,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_lifetime_minutes),
        SESSION_COOKIE_SECURE=settings.production,  # behind the HTTPS proxy in production
        REMEMBER_COOKIE_SECURE=settings.production,
        API_RATE_LIMIT=settings.api_rate_limit,
        API_RATE_WINDOW_SECONDS=settings.api_rate_window_seconds,
        IN_PROCESS_WORKER=settings.in_process_worker,  # else only `caseflow worker` runs jobs
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=None,  # a clerk may keep a form open all morning
        UPLOAD_MAX_BYTES=10 * MB,
        ATTACHMENT_DIR=settings.upload_folder or str(instance / "attachments"),
        # Behind a proxy that ends TLS, request.is_secure may be False: the https setting (or
        # production mode, always behind the HTTPS proxy) says every request came over HTTPS
        # (Secure cookies, HSTS). Either way a secure request counts.
        HTTPS=bool(settings.https) or settings.production,
        IDLE_TIMEOUT_MINUTES=settings.idle_timeout_minutes,
    )
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    # Werkzeug refuses bodies beyond this with 413 before a view reads them.
    # Flask defines MAX_CONTENT_LENGTH as None, so setdefault would never apply: set it unless the
    # caller's config chose a value.
    if "MAX_CONTENT_LENGTH" not in config:
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["UPLOAD_MAX_BYTES"]) + MB
    now: Callable[[], datetime] = app.config.get("NOW") or utcnow
    app.config["NOW"] = now

    from caseflow_web import db, errors, requestlog, security, templating

    # Ids beyond a 32-bit column would overflow the database driver (a 500): make them 404s.
    app.url_map.converters["int"] = BoundedInt

    requestlog.init_app(app)
    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    from caseflow_web.home import home_endpoint

    @app.get("/")
    def index() -> ResponseReturnValue:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return redirect(url_for(home_endpoint(current_user.roles)))

    return app
