"""Template helpers: local time, money, masking, Chinese labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user

from caseflow.casework.assessments import KIND_LABELS
from caseflow.casework.intake import CASE_TYPE_LABELS
from caseflow.clock.remaining import time_left_text
from caseflow.kernel.contact import district_banks
from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.idnumber import mask_account, mask_id_number
from caseflow.kernel.money import format_yuan
from caseflow.kernel.roles import ROLE_LABELS, Role
from caseflow.kernel.timeutil import local_minute, to_local
from caseflow.workflow.registry import registry

fmt_dt = local_minute


def fmt_date(value: datetime | date | None) -> str:
    """A local date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def yuan(fen: int | None) -> str:
    """Integer fen as yuan text."""
    return "—" if fen is None else format_yuan(int(fen))


def role_label(role: str) -> str:
    """Chinese label of a role name."""
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def case_type_label(case_type: str) -> str:
    """The short Chinese name of a case type; types without one (the payment roll, the 提标 list)
    are named by their workflow's label, never by their code."""
    short = CASE_TYPE_LABELS.get(case_type)
    if short is not None:
        return short
    try:
        return registry().by_case_type(case_type).label
    except DefinitionError:
        return case_type


def time_left(due_at: datetime, working_days: int | None, unit: str = "") -> str:
    """How long a deadline has left (hours when days would read 0), by the app's clock read once
    per request, so every row of a page is measured from the same instant."""
    if "time_left_now" not in g:
        g.time_left_now = current_app.config["NOW"]()
    return time_left_text(g.time_left_now, due_at, working_days, unit)


def init_app(app: Flask) -> None:
    """Filters and globals for every template."""
    app.jinja_env.filters.update(
        dt=fmt_dt,
        d=fmt_date,
        yuan=yuan,
        mask_id=mask_id_number,
        mask_account=mask_account,
        role_label=role_label,
        case_type_label=case_type_label,
        assessment_kind=lambda k: KIND_LABELS.get(k, k),
    )
    app.jinja_env.globals["time_left"] = time_left
    # The district's banks, for every form that asks for one (the list is one config file).
    app.jinja_env.globals["district_banks"] = district_banks
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def globals_() -> dict[str, Any]:
        roles = current_user.roles if current_user.is_authenticated else frozenset()
        return {
            "user_roles": roles,
            "ADMIN_ONLY": frozenset({"admin"}),
            # Roles without casework pages (desk, cases, publicity lists, inbox).
            "NO_CASEWORK": frozenset({"admin", "institution_staff"}),
            "app_title": "沙坡头区社会救助一门受理系统",
        }
