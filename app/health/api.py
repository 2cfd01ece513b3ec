"""GET /healthz (the process answers) and GET /readyz (it can serve: database and Redis reachable)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from app.health.service import readiness

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: answers without touching the database, so a slow database restarts nothing."""
    return jsonify({"status": "ok"})


@blp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Readiness: 200 when the database and the rate-limit storage answer, else 503 with which not."""
    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
