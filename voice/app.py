"""The app factory: configuration, the extensions, every blueprint, and the request's path
through the policy and the unit of work."""
from __future__ import annotations

from flask import Flask, abort, g, request
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from . import (ROOT, admin, auth, cases, cli, compression, db, health, http, i18n, keys, logs,
               metrics, pages, policy, settings, subscribers, webapp)
from .alerts import routes as alerts
from .alerts import service as alert_service
from .auth import sessions
from .capture import routes as capture
from .child import routes as child
from .consent import routes as consent
from .decision import routes as decision
from .delivery import routes as delivery
from .delivery import worker
from .panel import routes as panel
from .readaloud import routes as readaloud
from .retention import routes as retention
from .review import routes as review


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask("voice", instance_relative_config=True, static_folder=str(ROOT / "static"),
                template_folder=str(ROOT / "templates"))
    app.config.update(settings.from_environment(app.instance_path))
    app.config.update(overrides or {})
    app.config["SESSION_COOKIE_NAME"] = "__Host-voice-form" if app.config["SECURE_COOKIES"] else "voice-form"
    app.config.update(SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"], SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/")
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(ROOT / "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                      "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                      "accessibility": FileSystemLoader(str(ROOT / "accessibility"))}),
    ])
    logs.init_app(app)
    metrics.init_app(app)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    keys.init_app(app)
    subscribers.connect()
    db.init_app(app)
    i18n.init_app(app)
    http.init_app(app)

    for blueprint in (auth.bp, cases.bp, admin.bp, health.bp, pages.bp, capture.bp, child.bp, consent.bp,
                      delivery.bp, retention.bp, review.bp, panel.bp, readaloud.bp, decision.bp,
                      alerts.bp, webapp.bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    app.extensions[worker.JOBS] = (alert_service.escalate_due,)
    app.jinja_env.globals.update(may=policy.may, navigation=policy.navigation)

    @app.before_request
    def _who_and_may_they():
        if request.endpoint == "static":
            return None
        sessions.load()
        if g.get("locked_out"):
            return auth.routes.locked_out(g.locked_out_child)
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is None:
            return None  # 404/405 by routing
        if not hasattr(view, "access"):
            app.logger.error("route without a policy declaration: %s", request.endpoint)
            abort(404)
        if g.auth_session is not None and g.auth_session.child_session_id:
            # The device is in a child's hands: only that child's session pages exist.
            g.child_mode = True
            if view.access != "child" and not view.access_details.get("child_mode"):
                abort(404)
        return None

    # After the person and the child-mode lock are known, so that a refused form in a child's
    # hands gets the child's error page.
    compression.protect_forms(app)

    @app.after_request
    def _commit_and_cookie(response):
        # One unit of work per request: what a successful request did (including the audit
        # entries of what it read) is committed before the response leaves.
        if response.status_code < 400:
            db.commit_unit()
        return sessions.set_cookie(response)

    return app
