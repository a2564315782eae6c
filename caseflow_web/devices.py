"""The browsers an account has signed in on: a long-lived signed cookie naming a random browser
id and the usernames that signed in there. A sign-in from such a browser backs off on its own
failures only (caseflow.accounts.signin.sign_in_keys), so nobody elsewhere — another clerk
behind the same office router included — can make the owner wait."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from caseflow_web.https import https_in_use

COOKIE = "caseflow_device"
MAX_AGE_SECONDS = 180 * 24 * 3600
MAX_USERS = 10  # a shared office computer: the latest few accounts are enough
_SALT = "caseflow-sign-in-device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _read() -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE, "")
    if not raw or len(raw) > 4096:
        return None
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    users = data.get("users")
    if not isinstance(users, list):
        return None
    return {"id": data["id"], "users": [u for u in users if isinstance(u, str)]}


def trusted_device(username: str) -> str | None:
    """This browser's id when `username` signed in on it before, else None."""
    data = _read()
    if data is None or username not in data["users"]:
        return None
    device_id: str = data["id"]
    return device_id


def remember(response: Response, username: str) -> None:
    """Add `username` to this browser's cookie (made on the first sign-in)."""
    data = _read() or {"id": secrets.token_hex(16), "users": []}
    others = [u for u in data["users"] if u != username][-(MAX_USERS - 1) :]
    users = [*others, username]
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"id": data["id"], "users": users}),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=https_in_use(),
    )
