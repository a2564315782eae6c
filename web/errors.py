"""Error pages in Chinese, and the mapping of core errors to status codes: never a 500 for input."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from caseflow.db.logsafe import safe_text
from caseflow.kernel.errors import CaseflowError, CaseNotFound, PermissionDenied

log = logging.getLogger("caseflow.web")

MESSAGES = {
    400: "请求有误，请检查填写的内容",
    403: "您没有权限访问此页面",
    404: "页面不存在，或记录不在您的管辖范围内",
    405: "不支持此操作方式",
    413: "上传的文件过大",
    500: "系统内部错误，请稍后再试或联系管理员",
}


def _page(code: int, message: str | None = None) -> ResponseReturnValue:
    if request.path.startswith("/api/"):  # other systems get JSON, never an HTML page
        from web.api.views import json_error

        return json_error(code, message)
    text = message or MESSAGES.get(code, "请求失败")
    return render_template("error.html", code=code, message=text), code


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
        return _page(500)
