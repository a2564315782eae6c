"""HTTPS: whether this request came over it (or the deployment says every request does, behind
a proxy that ends TLS), and the session cookie that is then sent only over HTTPS."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

HSTS = "max-age=31536000"  # a year; no includeSubDomains: other services may share the domain


def https_in_use() -> bool:
    """True when the request came over HTTPS or the HTTPS setting is on."""
    if current_app.config.get("HTTPS"):
        return True
    return has_request_context() and request.is_secure


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever HTTPS is in use."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or https_in_use()
