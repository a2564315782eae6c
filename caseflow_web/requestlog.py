"""A request id for every request (the caller's X-Request-Id when it is a plain token, else a new
one), put on the response and on every log line written while serving it; one access line per
request naming method, path (never the query string: a search may hold a name), status,
duration and the user's id."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from caseflow.kernel.logjson import request_id

log = logging.getLogger("caseflow.access")
HEADER = "X-Request-Id"
_PLAIN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _begin() -> None:
    given = request.headers.get(HEADER, "")
    rid = given if _PLAIN.match(given) else uuid.uuid4().hex
    g.request_id = rid
    g.request_started = time.monotonic()
    g.request_id_token = request_id.set(rid)


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid is None:
        return response
    response.headers[HEADER] = rid
    # The user as already loaded (never load it here: with the database down that would fail
    # again, after the error page was made).
    user_id = getattr(g.get("_login_user"), "user_id", None)
    elapsed = round((time.monotonic() - g.request_started) * 1000, 1)
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": elapsed,
            "user_id": user_id,
            "request_id": rid,
        },
    )
    return response


def _end(_exc: Any) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


def init_app(app: Flask) -> None:
    """Registered first, so the id exists before any other hook may log."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
    app.teardown_request(_end)
