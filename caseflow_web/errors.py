"""Error pages in Chinese, and the mapping of core errors to status codes: never a 500 for input."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from caseflow.db.failures import Failure, database_failure
from caseflow.db.logsafe import safe_text
from caseflow.kernel.errors import CaseflowError, CaseNotFound, DatabaseBusy, PermissionDenied

log = logging.getLogger("caseflow.web")

MESSAGES = {
    400: "请求有误，请检查填写的内容",
    403: "您没有权限访问此页面",
    404: "页面不存在，或记录不在您的管辖范围内",
    405: "不支持此操作方式",
    413: "上传的文件过大",
    500: "系统内部错误，请稍后再试或联系管理员",
    503: "服务暂时不可用，请稍后再试",
}
BUSY = "系统繁忙，请稍后再试"
OUT_OF_RANGE = "填写的数值或编号超出允许范围，请检查后重试"
RETRY_AFTER_SECONDS = 5


def _page(code: int, message: str | None = None) -> ResponseReturnValue:
    if request.path.startswith("/api/"):  # other systems get JSON, never an HTML page
        from caseflow_web.api.views import json_error

        return json_error(code, message)
    text = message or MESSAGES.get(code, "请求失败")
    return render_template("error.html", code=code, message=text), code


def _bare_page(code: int, message: str) -> ResponseReturnValue:
    """The error page without the signed-in frame: it renders when the database itself is the
    problem (the frame loads the user and the unread count from it)."""
    if request.path.startswith("/api/"):
        from caseflow_web.api.views import json_error

        response = json_error(code, message)
    else:
        html = current_app.jinja_env.get_template("unavailable.html").render(
            code=code, message=message
        )
        response = current_app.response_class(html, code, mimetype="text/html")
    if code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_error(exc: Exception) -> ResponseReturnValue | None:
    """Unreachable or locked database → 503 (nothing was written); a value the database cannot
    store → 400. Views bound what they parse; this is the net under them."""
    failure = database_failure(exc)
    if failure is None:
        return None
    log.warning("database %s: %s", failure.value, safe_text(exc))
    if failure is Failure.OUT_OF_RANGE:
        return _bare_page(400, OUT_OF_RANGE)
    return _bare_page(503, BUSY if failure is Failure.BUSY else MESSAGES[503])


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> ResponseReturnValue:
        return _page(400, "页面已过期或表单来源无效（CSRF 校验失败），请刷新页面后重试")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        if code == 413:
            limit = int(app.config["UPLOAD_MAX_BYTES"]) // (1024 * 1024)
            return _page(413, f"上传的文件过大（上限 {limit} MB）")
        return _page(code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        # Whatever no other handler took: a database failure gets its own page; anything else
        # goes on as unhandled (the 500 page below, or the test's traceback).
        page = _database_error(exc)
        if page is None:
            raise exc
        return page

    # Busy is a CaseflowError too: this more specific handler wins over core_error below.
    app.register_error_handler(DatabaseBusy, unexpected)

    @app.errorhandler(CaseflowError)
    def core_error(exc: CaseflowError) -> ResponseReturnValue:
        # Views catch what they can explain in place; whatever escapes still gets a clear page.
        if isinstance(exc, CaseNotFound):
            return _page(404, exc.message_zh)
        if isinstance(exc, PermissionDenied):
            return _page(403, exc.message_zh)
        return _page(400, exc.message_zh)

    @app.errorhandler(500)
    def server_error(exc: Exception) -> ResponseReturnValue:
        log.error("unhandled error on %s %s: %s", request.method, request.path, safe_text(exc))
        try:
            return _page(500)
        except Exception:  # the frame itself failed (the database, say): never a bare page
            log.exception("error page failed")
            return _bare_page(500, MESSAGES[500])
