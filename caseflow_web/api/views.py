"""JSON API for other systems under /api/v1: bearer tokens, per-token rate limits, JSON errors.

Every route is registered by `operation(...)` from its declaration in caseflow_web.api.spec, which
is also what /api/v1/openapi.json is built from. Session cookies are not accepted here (the
blueprint is CSRF-exempt, so a cookie-authenticated POST would be a CSRF hole): only tokens.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from caseflow.accounts.api_tokens import TokenRejected, authenticate, count_request
from caseflow.engine.fire import fire
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import (
    CaseflowError,
    CaseNotFound,
    ConcurrencyConflict,
    DatabaseBusy,
    GuardFailed,
    PayloadInvalid,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTrigger,
)
from caseflow.kernel.roles import PERSONAL_DATA_ROLES
from caseflow.kernel.timeutil import to_local
from caseflow.ledger.classify import CATEGORIES
from caseflow.ledger.kinds import KIND_LABELS
from caseflow.ledger.registry_export import FORMATS, write_roster
from caseflow.read import api as api_read
from caseflow.read.api import CaseFilters, PageRequest
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.api.spec import (
    API_PREFIX,
    MAX_PAGE,
    MAX_PER_PAGE,
    PAGING,
    Operation,
    Param,
    build_document,
    path_id,
)
from caseflow_web.security import CASEWORK_ROLES, csrf

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
csrf.exempt(bp)

OPERATIONS: list[Operation] = []
DEFAULT_RATE_LIMIT = 120
DEFAULT_RATE_WINDOW = 60
PERSONAL = frozenset(r.value for r in PERSONAL_DATA_ROLES)
MAX_JSON_INT = 2**53
MAX_BODY_BYTES = 256 * 1024  # a transition's payload is a few fields of text
_TRIGGER = re.compile(r"[a-z][a-z0-9_]{0,39}")

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "guard_failed",
    429: "rate_limited",
    500: "internal",
}
DEFAULT_MESSAGES = {
    400: "请求有误",
    401: "缺少或无效的访问令牌",
    403: "令牌所属用户的角色无权执行此操作",
    404: "记录不存在或不在令牌的管辖范围内",
    405: "不支持此请求方法",
    409: "状态冲突",
    413: "请求体过大",
    429: "请求过于频繁，请稍后再试",
    500: "系统内部错误",
}


class ApiError(Exception):
    """An answer other than 200, raised anywhere in a view."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        fields: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        self.status = status
        self.message = message or DEFAULT_MESSAGES.get(status, "请求失败")
        self.fields = dict(fields or {})
        self.code = code or ERROR_CODES.get(status, "error")
        super().__init__(self.message)


def json_error(
    status: int,
    message: str | None = None,
    fields: Mapping[str, str] | None = None,
    code: str | None = None,
) -> Response:
    """The one error shape: {"error": code, "message": Chinese text, "fields": {...}}."""
    err = ApiError(status, message, fields, code)
    response = jsonify({"error": err.code, "message": err.message, "fields": err.fields})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="caseflow"'
    return response


# --- registration from the description -------------------------------------------------------


def operation(op: Operation) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view for `op` and record `op` for the OpenAPI document."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(op)
        bp.add_url_rule(op.flask_rule, op.operation_id, view, methods=[op.method])
        if op.public:
            _PUBLIC.add(f"{bp.name}.{op.operation_id}")
        return view

    return decorate


_PUBLIC: set[str] = set()


# --- authentication, rate limit, errors ------------------------------------------------------


def actor() -> Actor:
    """The actor of the request's token."""
    value: Actor = g.api_actor
    return value


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint in _PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return json_error(401, "缺少访问令牌：请在 Authorization 头中使用 Bearer 令牌")
    session, now = db.session(), db.now()
    try:
        token, who = authenticate(session, secret.strip(), now)
    except TokenRejected as exc:
        return json_error(401, exc.message_zh)
    limit = int(current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    window = int(current_app.config.get("API_RATE_WINDOW_SECONDS", DEFAULT_RATE_WINDOW))
    decision = count_request(session, token.id, now, limit, window)
    g.api_rate = decision
    if not decision.allowed:
        response = json_error(429, f"请求过于频繁：每 {window} 秒最多 {limit} 次")
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    g.api_token, g.api_actor = token, who
    return None


@bp.after_request
def _rate_headers(response: Response) -> Response:
    decision = g.get("api_rate")
    if decision is not None:
        response.headers["X-RateLimit-Limit"] = str(decision.limit)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return json_error(exc.status, exc.message, exc.fields, exc.code)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return json_error(exc.code or 500)


@bp.errorhandler(CaseflowError)
def _core_error(exc: CaseflowError) -> Response:
    if isinstance(exc, CaseNotFound):
        return json_error(404, exc.message_zh)
    if isinstance(exc, PermissionDenied):
        return json_error(403, exc.message_zh)
    if isinstance(exc, PayloadInvalid):
        return json_error(400, exc.message_zh, exc.fields)
    if isinstance(exc, DatabaseBusy):
        response = json_error(503, exc.message_zh, code="busy")
        response.headers["Retry-After"] = "5"
        return response
    if isinstance(exc, ConcurrencyConflict):
        return json_error(409, exc.message_zh, code="version_conflict")
    if isinstance(exc, TransitionNotAllowed):
        return json_error(409, exc.message_zh, code="transition_not_allowed")
    if isinstance(exc, UnknownTrigger):
        return json_error(400, exc.message_zh, {"trigger": exc.message_zh})
    if isinstance(exc, GuardFailed):
        return json_error(422, exc.message_zh, {"guard": exc.guard})
    return json_error(400, exc.message_zh)


def _require(roles: frozenset[str]) -> None:
    """403 unless the token's user holds one of `roles` (checked before jurisdiction, as on the
    web pages, so a 404 never tells a role-less caller whether a record exists)."""
    if not actor().roles & roles:
        raise ApiError(403)


# --- query parameters ------------------------------------------------------------------------


def _int_arg(name: str, default: int, low: int, high: int, errors: dict[str, str]) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        errors[name] = f"应为 {low} 到 {high} 之间的整数"
        return default
    return int(text)


def _paging(errors: dict[str, str]) -> PageRequest:
    page = _int_arg("page", 1, 1, MAX_PAGE, errors)
    per_page = _int_arg("per_page", 50, 1, MAX_PER_PAGE, errors)
    return PageRequest(page, per_page)


def _text_arg(name: str, errors: dict[str, str], max_len: int = 40) -> str | None:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > max_len:
        errors[name] = f"不能超过 {max_len} 个字符"
        return None
    return raw.strip()


def _bool_arg(name: str, errors: dict[str, str]) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    errors[name] = "应为 true 或 false"
    return False


def _check(errors: dict[str, str]) -> None:
    if errors:
        raise ApiError(400, "查询参数有误", errors)


ORG = Param("org", "query", {"type": "string", "maxLength": 40}, "单位代码：只看该单位及下级")


# --- households ------------------------------------------------------------------------------


@operation(
    Operation(
        "GET",
        "/households",
        "list_households",
        "管辖范围内的家庭（分页）",
        "HouseholdPage",
        (*PAGING, ORG),
        tags=("households",),
    )
)
def list_households() -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    errors: dict[str, str] = {}
    page, org = _paging(errors), _text_arg("org", errors)
    _check(errors)
    return jsonify(api_read.households_page(db.session(), actor(), page, org))


@operation(
    Operation(
        "GET",
        "/households/{household_id}",
        "get_household",
        "一户家庭及其成员（身份证号按角色显示，完整查看均记录）",
        "Household",
        (path_id("household_id", "家庭编号"),),
        errors=(401, 403, 404, 429),
        tags=("households",),
    )
)
def get_household(household_id: int) -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    purpose = f"数据接口查看家庭（令牌 {g.api_token.hint}：{g.api_token.name}）"
    body = api_read.household_detail(db.session(), actor(), household_id, db.now(), purpose)
    return jsonify(body)


# --- cases -----------------------------------------------------------------------------------


@operation(
    Operation(
        "GET",
        "/cases",
        "list_cases",
        "管辖范围内的案件（可按流程、状态、单位、是否逾期筛选；分页）",
        "CasePage",
        (
            *PAGING,
            ORG,
            Param("workflow", "query", {"type": "string", "maxLength": 40}, "流程，如 dibao"),
            Param("state", "query", {"type": "string", "maxLength": 40}, "状态，如 verifying"),
            Param("overdue", "query", {"type": "boolean"}, "只看已逾期的在办案件"),
        ),
        tags=("cases",),
    )
)
def list_cases() -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    errors: dict[str, str] = {}
    page = _paging(errors)
    filters = CaseFilters(
        workflow=_text_arg("workflow", errors),
        state=_text_arg("state", errors),
        org=_text_arg("org", errors),
        overdue=_bool_arg("overdue", errors),
    )
    _check(errors)
    return jsonify(api_read.cases_page(db.session(), actor(), filters, page, db.now()))


CASE_ID = path_id("case_id", "案件编号（数据库 id）")


@operation(
    Operation(
        "GET",
        "/cases/{case_id}",
        "get_case",
        "一件案件及其全部审计事件",
        "CaseDetail",
        (CASE_ID,),
        errors=(401, 403, 404, 429),
        tags=("cases",),
    )
)
def get_case(case_id: int) -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    return jsonify(api_read.case_detail(db.session(), actor(), case_id, db.now()))


@operation(
    Operation(
        "GET",
        "/cases/{case_id}/transitions",
        "list_transitions",
        "令牌所属用户此刻可执行的操作（与案件页的按钮相同）",
        "TransitionList",
        (CASE_ID,),
        errors=(401, 403, 404, 429),
        tags=("cases",),
    )
)
def list_transitions(case_id: int) -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    return jsonify(api_read.case_transitions(db.session(), actor(), case_id, db.now()))


def _json_value_error(value: Any) -> str | None:
    """Why a payload value cannot be passed on, or None: the core's parsers take text, numbers,
    booleans and lists of them; NUL and non-finite numbers would fail in the database."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return "不能包含空字符" if "\x00" in value else None
    if isinstance(value, int):
        return None if abs(value) < MAX_JSON_INT else "数值过大"
    if isinstance(value, float):
        return None if math.isfinite(value) else "应为有限数值"
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list | dict):
                return "列表中只能是文字或数值"
            problem = _json_value_error(item)
            if problem:
                return problem
        return None
    return "应为文字、数值、是/否或列表"


def _fire_request() -> tuple[str, int, dict[str, Any]]:
    limit = int(current_app.config.get("API_MAX_BODY_BYTES", MAX_BODY_BYTES))
    if (request.content_length or 0) > limit:
        raise ApiError(413, f"请求体过大（上限 {limit // 1024} KB）")
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:  # the parser gives up on deep nesting; no field of ours nests
        raise ApiError(400, "请求体嵌套层次过深", {"body": "请求体嵌套层次过深"}) from None
    if not isinstance(body, dict):
        raise ApiError(400, "请求体应为 JSON 对象", {"body": "请求体应为 JSON 对象"})
    errors: dict[str, str] = {}
    trigger = body.get("trigger")
    if not isinstance(trigger, str) or not trigger.strip():
        errors["trigger"] = "请填写操作名称（trigger）"
    elif not _TRIGGER.fullmatch(trigger.strip()):
        errors["trigger"] = "没有此操作"
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**31:
        errors["version"] = "请填写案件当前版本号（正整数），见案件详情的 version"
    payload = body.get("payload", {})
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        errors["payload"] = "payload 应为 JSON 对象"
        payload = {}
    for key, value in payload.items():
        problem = "字段名不能包含空字符" if "\x00" in key else _json_value_error(value)
        if problem:
            errors[f"payload.{key[:40]}"] = problem
    for key in body:
        if key not in ("trigger", "version", "payload"):
            errors[str(key)[:40]] = "不认识的字段"
    if errors:
        raise ApiError(400, "请求有误，请按字段修改", errors)
    assert isinstance(trigger, str) and isinstance(version, int)
    return trigger.strip(), version, payload


def _check_list_fields(
    workflow_key: str, state: str, trigger: str, payload: Mapping[str, Any]
) -> None:
    """List fields take a list or lines of text: a bare number is refused here, because the
    core's parser (written for form posts, which only send text) cannot take one."""
    wf = registry().workflows.get(workflow_key)
    t = wf.transition_for(state, trigger) if wf else None
    if t is None:
        return  # fire says why
    errors = {
        f"payload.{f.name}": f"{f.label}：应为列表或文字"
        for f in t.payload
        if f.type == "list"
        and payload.get(f.name) is not None
        and not isinstance(payload[f.name], str | list)
    }
    if errors:
        raise ApiError(400, "请求有误，请按字段修改", errors)


@operation(
    Operation(
        "POST",
        "/cases/{case_id}/transitions",
        "fire_transition",
        "执行一个操作（经 engine.fire：角色、管辖、职责分离、条件、版本号比对）",
        "FireResult",
        (CASE_ID,),
        body="FireRequest",
        errors=(400, 401, 403, 404, 409, 413, 422, 429),
        tags=("cases",),
    )
)
def fire_transition(case_id: int) -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    trigger, version, payload = _fire_request()
    session = db.session()
    case = api_read.case_in_scope(session, actor(), case_id)
    _check_list_fields(case.workflow_key, case.state, trigger, payload)
    try:
        result = fire(
            session, case_id, trigger, actor(), db.now(), payload, expected_version=version
        )
    except PayloadInvalid as exc:
        fields = {f"payload.{k}": v for k, v in exc.fields.items()}
        raise ApiError(400, exc.message_zh, fields) from None
    return jsonify(
        {
            "case_id": result.case_id,
            "trigger": result.trigger,
            "from_state": result.from_state,
            "to_state": result.to_state,
            "version": result.version,
            "event_id": result.event_id,
        }
    )


# --- ledger ----------------------------------------------------------------------------------


@operation(
    Operation(
        "GET",
        "/rosters",
        "list_rosters",
        "已导入的名单（建档立卡、低保/特困台账、部门名单）",
        "RosterImportPage",
        (
            *PAGING,
            Param("kind", "query", {"enum": list(KIND_LABELS)}, "名单类型"),
        ),
        tags=("ledger",),
    )
)
def list_rosters() -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    errors: dict[str, str] = {}
    page, kind = _paging(errors), _text_arg("kind", errors)
    _check(errors)
    return jsonify(api_read.rosters_page(db.session(), page, kind))


@operation(
    Operation(
        "GET",
        "/rosters/{import_id}/rows",
        "list_roster_rows",
        "一次导入的名单行（管辖范围内；身份证号隐藏）",
        "RosterRowPage",
        (path_id("import_id", "导入批次编号"), *PAGING),
        errors=(400, 401, 403, 404, 429),
        tags=("ledger",),
    )
)
def list_roster_rows(import_id: int) -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    errors: dict[str, str] = {}
    page = _paging(errors)
    _check(errors)
    return jsonify(api_read.roster_rows_page(db.session(), actor(), import_id, page))


@operation(
    Operation(
        "GET",
        "/comparisons/{run_id}/results",
        "list_comparison_results",
        "一次台账比对的逐户结果（管辖范围内；可按类别筛选）",
        "ComparisonResultPage",
        (
            path_id("run_id", "比对批次编号"),
            *PAGING,
            Param("category", "query", {"enum": list(CATEGORIES)}, "类别 C1–C8"),
        ),
        errors=(400, 401, 403, 404, 429),
        tags=("ledger",),
    )
)
def list_comparison_results(run_id: int) -> ResponseReturnValue:
    _require(CASEWORK_ROLES)
    errors: dict[str, str] = {}
    page, category = _paging(errors), _text_arg("category", errors, 2)
    _check(errors)
    return jsonify(api_read.comparison_results_page(db.session(), actor(), run_id, page, category))


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@operation(
    Operation(
        "GET",
        "/exports/registry-roster",
        "export_registry_roster",
        "按建档立卡导出格式导出管辖范围内的低保/特困名单（含完整身份证号，导出记录留痕）",
        None,
        (Param("format", "query", {"enum": list(FORMATS), "default": "csv"}, "csv 或 xlsx"),),
        files=tuple(MEDIA.values()),
        tags=("ledger",),
    )
)
def export_registry_roster() -> ResponseReturnValue:
    _require(PERSONAL)
    fmt = (request.args.get("format") or "csv").strip().lower()
    if fmt not in FORMATS:
        raise ApiError(400, "查询参数有误", {"format": "应为 csv 或 xlsx"})
    out = io.BytesIO()
    now = db.now()
    write_roster(db.session(), actor(), out, fmt, now)
    out.seek(0)
    name = f"低保特困名单-{to_local(now):%Y%m%d}.{fmt}"
    return send_file(out, mimetype=MEDIA[fmt], as_attachment=True, download_name=name)


# --- the description itself ------------------------------------------------------------------


@operation(
    Operation(
        "GET",
        "/openapi.json",
        "openapi",
        "本接口的 OpenAPI 3.1 描述（无需令牌）",
        None,
        files=("application/json",),
        errors=(),
        public=True,
        tags=("meta",),
    )
)
def openapi() -> ResponseReturnValue:
    return jsonify(build_document(OPERATIONS))
