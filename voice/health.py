from flask import Blueprint
from sqlalchemy import text

from . import db
from .delivery.service import outbox_health
from .policy import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    """The service answers and reaches its database; the outbox's counts and the worker's
    last heartbeat (no personal data)."""
    try:
        db.session().execute(text("SELECT 1"))
        outbox = outbox_health()
    except Exception:  # any failure to reach the database
        return {"status": "unavailable"}, 503
    return {"status": "ok", "outbox": outbox}, 200
