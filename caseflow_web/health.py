"""Probes for the load balancer, reachable without signing in: `/healthz` (the process answers)
and `/readyz` (caseflow.read.readiness: database, schema version, calendar) — 200 or 503, JSON."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from caseflow.read.readiness import readiness
from caseflow_web import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks = readiness(current_app.extensions["caseflow_engine"], db.now())
    ready = all(c.ok for c in checks)
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return jsonify(body), 200 if ready else 503
