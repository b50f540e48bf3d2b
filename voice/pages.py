"""Public information pages."""
from flask import Blueprint, render_template

from . import i18n
from .policy import public, signed_in

bp = Blueprint("pages", __name__)


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("accessibility/statement.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("pages/privacy.html")


@bp.route("/languages")
@signed_in()
def languages():
    rows = []
    for code in i18n.CHILD_LANGUAGES:
        done, total = i18n.completeness(code)
        rows.append({"code": code, "name": i18n.language_name(code),
                     "english": i18n.language_name(code, "en"), "status": i18n.status(code),
                     "staff": code in i18n.STAFF_LANGUAGES, "done": done, "total": total,
                     "rtl": code in i18n.RTL})
    return render_template("pages/languages.html", rows=rows)
