"""/metrics in the Prometheus text format: requests by route and status, their durations, and
the outbox and worker figures of /healthz (counts and ages only, no personal data).

Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (see the README, "Running in
production"): each process writes its counts there and a scrape, answered by any process, adds
them up. Without it each process counts alone (fine for one process, e.g. `flask run`).
"""
from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily

from . import keys
from .alerts.service import waiting_count
from .delivery.service import outbox_health
from .policy import public
from .policy.rules import may_scrape_metrics

bp = Blueprint("metrics", __name__)


class _Outbox:
    """The outbox and the worker, read from the database when scraped."""

    def collect(self):
        try:
            health = outbox_health()
        except Exception:  # noqa: BLE001 - the database does not answer: say so, not 500
            yield GaugeMetricFamily("voice_database_up", "1 when the database answers.", value=0)
            return
        yield GaugeMetricFamily("voice_database_up", "1 when the database answers.", value=1)
        yield GaugeMetricFamily("voice_alerts_waiting", "Safety alerts nobody has acknowledged "
                                "yet.", value=waiting_count())
        for name, key, text in (
                ("voice_outbox_waiting", "waiting", "Deliveries waiting to be sent."),
                ("voice_outbox_failing", "failing", "Waiting deliveries that failed at least once."),
                ("voice_outbox_held", "held", "Deliveries held for an endpoint that is turned off."),
                ("voice_outbox_oldest_waiting_seconds", "oldest_waiting_seconds",
                 "Age of the oldest waiting delivery.")):
            yield GaugeMetricFamily(name, text, value=health[key])
        seen = health["worker_seen_seconds_ago"]
        yield GaugeMetricFamily("voice_worker_heartbeat_age_seconds",
                                "Seconds since a worker last said it was alive (NaN: never).",
                                value=float("nan") if seen is None else seen)
        yield GaugeMetricFamily("voice_worker_running", "1 when a worker said it was alive in the "
                                "last minute.", value=1 if health["worker"] == "running" else 0)


def init_app(app: Flask) -> None:
    counting = CollectorRegistry()
    requests = Counter("voice_requests", "Requests answered, by route and status.",
                       ["route", "status"], registry=counting)
    durations = Histogram("voice_request_duration_seconds", "Time to answer, by route.",
                          ["route"], registry=counting)
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        scraped = CollectorRegistry()
        multiprocess.MultiProcessCollector(scraped)
    else:
        scraped = counting
    scraped.register(_Outbox())
    app.extensions["voice.metrics"] = scraped
    app.register_blueprint(bp)

    @app.after_request
    def _count(response):
        if "request_started" in g:
            route = request.endpoint or "none"
            requests.labels(route, str(response.status_code)).inc()
            durations.labels(route).observe(time.perf_counter() - g.request_started)
        return response


@bp.route("/metrics")
@public
def metrics():
    header = request.headers.get("Authorization", "")
    bearer = header[7:] if header.startswith("Bearer ") else None
    if not may_scrape_metrics(request.remote_addr, "X-Forwarded-For" in request.headers, bearer,
                              keys.setting("METRICS_ALLOW"), keys.setting("METRICS_TOKEN")):
        abort(404)
    return Response(generate_latest(current_app.extensions["voice.metrics"]),
                    content_type=CONTENT_TYPE_LATEST)
