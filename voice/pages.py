"""Public information pages."""
from flask import Blueprint, render_template

from .policy import public

bp = Blueprint("pages", __name__)


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("pages/privacy.html")
