"""Installable and offline, the staff side: the web app manifest and the calm "You are offline"
page that the service worker (static/js/service-worker.js, served by delivery/routes.py) keeps
for when a staff page cannot be reached. Neither holds anything of anyone."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, url_for
from flask_babel import gettext as _

from . import i18n
from .policy import public, public_on_any_device

bp = Blueprint("webapp", __name__)

THEME_COLOUR = "#1d4f6e"  # as templates/base.html and static/icon.svg
ICONS = (("icons/icon-192.png", "192x192", "any"), ("icons/icon-512.png", "512x512", "any"),
         ("icons/icon-maskable-512.png", "512x512", "maskable"))


@bp.route("/manifest.webmanifest")
@public_on_any_device  # child pages link it too
def manifest():
    response = jsonify({
        "id": "/",
        "name": "voice",
        "short_name": "voice",
        "description": _("A child's views, wishes and feelings, in their own language, for the "
                         "people who decide about their life."),
        "lang": i18n.page_lang(),
        "dir": i18n.page_dir(),
        "start_url": url_for("cases.index"),  # needs sign-in
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [{"src": url_for("static", filename=f"build/{name}"), "sizes": sizes,
                   "type": "image/png", "purpose": purpose} for name, sizes, purpose in ICONS],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/offline")
@public
def offline():
    return render_template("pages/offline.html")
