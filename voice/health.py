from flask import Blueprint
from sqlalchemy import text

from . import db
from .policy import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session().execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
