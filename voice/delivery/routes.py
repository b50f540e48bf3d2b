"""Pages: a panel's case record endpoints; a person's notifications; the push service worker."""
from __future__ import annotations

from flask import (Blueprint, abort, flash, g, jsonify, redirect, render_template,
                   request, send_file, url_for)
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from .. import ROOT
from ..auth.forms import ConfirmForm
from ..models import Notification, WebhookEndpoint
from ..policy import guard, public, public_on_any_device, signed_in
from . import push, service
from .forms import EndpointForm, PickForm

bp = Blueprint("delivery", __name__, cli_group=None)

# static/js/service-worker.js as scripts/build_assets.py bundled it, with its precache list.
SERVICE_WORKER = ROOT / "static" / "build" / "sw" / "service-worker.js"


@bp.app_context_processor
def _labels():
    return {"delivery_status_label": lambda status: service.STATUS_LABELS.get(status, status),
            "delivery_status_colour": lambda status: service.STATUS_COLOURS.get(status, "grey"),
            "delivery_event_label": lambda event: service.EVENT_LABELS.get(event, event)}


# --- a panel's endpoints ---------------------------------------------------------------------

@bp.route("/organisation/endpoints")
@signed_in("endpoints.manage")
def endpoints():
    return render_template("delivery/endpoints.html", endpoints=[
        (endpoint, service.endpoint_state(endpoint)) for endpoint in service.endpoints_of(g.user.org_id)])


# Secrets and addresses change only after the person confirmed it is them, recently (fresh=).
@bp.route("/organisation/endpoints/new", methods=["GET", "POST"])
@signed_in("endpoints.manage", fresh="delivery.new_endpoint")
def new_endpoint():
    form = EndpointForm()
    if form.validate_on_submit():
        problem = service.url_problem(form.url.data)
        if problem:
            form.url.errors.append(problem)
        else:
            endpoint, secret = service.create_endpoint(g.user.org_id, form.name.data,
                                                       form.url.data, form.events.data)
            return render_template("delivery/secret.html", endpoint=endpoint, secret=secret,
                                   rotated=False)
    return render_template("delivery/new.html", form=form), 400 if form.errors else 200


@bp.route("/organisation/endpoints/<endpoint_id>")
@guard("endpoint.manage", WebhookEndpoint, arg="endpoint_id", as_="endpoint")
def endpoint(endpoint):
    deliveries = service.recent_deliveries(endpoint)
    return render_template("delivery/endpoint.html", endpoint=endpoint, deliveries=deliveries,
                           attempts=service.recent_attempts(endpoint),
                           can_send_again=service.can_send_again, explain=service.explain,
                           state=service.endpoint_state(endpoint),
                           confirm=ConfirmForm(), pick=PickForm(),
                           rotating=service.signing_secrets(endpoint)[1:] != [])


@bp.route("/organisation/endpoints/<endpoint_id>/rotate", methods=["POST"])
@guard("endpoint.manage", WebhookEndpoint, arg="endpoint_id", as_="endpoint",
       fresh="delivery.endpoint")
def rotate(endpoint):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    secret = service.rotate_secret(endpoint)
    return render_template("delivery/secret.html", endpoint=endpoint, secret=secret, rotated=True,
                           overlap_hours=int(service.ROTATION_OVERLAP.total_seconds() // 3600))


@bp.route("/organisation/endpoints/<endpoint_id>/turn-off", methods=["POST"])
@guard("endpoint.manage", WebhookEndpoint, arg="endpoint_id", as_="endpoint")
def turn_off(endpoint):
    return _set_active(endpoint, False)


@bp.route("/organisation/endpoints/<endpoint_id>/turn-on", methods=["POST"])
@guard("endpoint.manage", WebhookEndpoint, arg="endpoint_id", as_="endpoint",
       fresh="delivery.endpoint")
def turn_on(endpoint):
    return _set_active(endpoint, True)


def _set_active(endpoint, active: bool):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if endpoint.active != active:
        service.set_active(endpoint, active)
    flash(_("Endpoint turned on") if active else _("Endpoint turned off"), "success")
    return redirect(url_for("delivery.endpoint", endpoint_id=endpoint.id))


@bp.route("/organisation/endpoints/<endpoint_id>/send-again", methods=["POST"])
@guard("endpoint.manage", WebhookEndpoint, arg="endpoint_id", as_="endpoint")
def send_again(endpoint):
    form = PickForm()
    if not form.validate_on_submit() or not service.send_again(endpoint, form.item.data):
        abort(400)
    flash(_("The event will be sent again in a moment"), "success")
    return redirect(url_for("delivery.endpoint", endpoint_id=endpoint.id))


# --- a person's notifications ----------------------------------------------------------------

@bp.route("/account/notifications")
@signed_in()
def notifications():
    return render_template("delivery/notifications.html", vapid_key=push.public_key(),
                           devices=push.devices(g.user), known=push.device_hashes(g.user),
                           notices=push.recent_notices(g.user), kinds=push.KINDS, pick=PickForm())


@bp.route("/account/notifications/subscribe", methods=["POST"])
@signed_in()
def subscribe():
    data = request.get_json(silent=True) or {}
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    if not push.configured():
        return jsonify({"ok": False, "reason": _("Notifications are not set up on this service "
                                                 "yet. Ask your administrator.")}), 503
    subscription = push.subscribe(g.user, data.get("endpoint"), keys.get("p256dh") or "",
                                  keys.get("auth") or "", str(data.get("device") or ""))
    if subscription is None:
        return jsonify({"ok": False, "reason": _("This browser's notification details could "
                                                 "not be used.")}), 400
    return jsonify({"ok": True}), 201


@bp.route("/account/notifications/unsubscribe", methods=["POST"])
@signed_in()
def unsubscribe():
    data = request.get_json(silent=True) or {}
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str):
        return jsonify({"ok": False}), 400
    push.unsubscribe(g.user, endpoint=endpoint)
    return jsonify({"ok": True})


@bp.route("/account/notifications/remove", methods=["POST"])
@signed_in()
def remove_device():
    form = PickForm()
    if form.validate_on_submit() and push.unsubscribe(g.user, subscription_id=form.item.data):
        flash(_("Notifications turned off for that device"), "success")
    return redirect(url_for("delivery.notifications"))


@bp.route("/notifications/<notification_id>")
@guard("notification.open", Notification, arg="notification_id", as_="notice")
def open_notification(notice):
    push.open_notice(notice)
    try:
        target = url_for(notice.target, **(notice.target_args or {}))
    except BuildError:
        target = url_for("cases.index")
    return redirect(target)


@bp.route("/service-worker.js")
@public_on_any_device  # a device in child mode checks for updates too
def service_worker():
    response = send_file(SERVICE_WORKER, mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-store"
    return response
