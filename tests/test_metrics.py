"""/metrics: Prometheus text for a monitoring system on an allowed address or with the token,
and a plain 404 for everyone else."""
from __future__ import annotations

import ipaddress

from prometheus_client.parser import text_string_to_metric_families

from voice import create_app, db
from voice.delivery import service as delivery
from voice.models import WorkerHeartbeat, now

from .conftest import app_config
from .test_review import endpoint_for


def _samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_requests_durations_and_the_outbox_are_counted(app, client, world):
    endpoint_for(app, world)
    with app.app_context():
        delivery.emit(delivery.CASE_ERASED, world.orgs["n1"], world.cases["p1"],
                      {"case_id": world.cases["p1"], "erased_at": "2026-01-01T00:00:00Z"})
        db.session().add(WorkerHeartbeat(name="worker-1", seen_at=now()))
        db.session().commit()
    for _ in range(3):
        assert client.get("/sign-in").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    samples = _samples(response.text)
    assert samples[("voice_requests_total", (("route", "auth.sign_in"), ("status", "200")))] == 3
    assert samples[("voice_requests_total", (("route", "none"), ("status", "404")))] == 1
    assert samples[("voice_request_duration_seconds_count", (("route", "auth.sign_in"),))] == 3
    assert samples[("voice_database_up", ())] == 1 and samples[("voice_outbox_waiting", ())] == 1
    assert samples[("voice_outbox_failing", ())] == 0
    assert samples[("voice_outbox_oldest_waiting_seconds", ())] >= 0
    assert samples[("voice_worker_running", ())] == 1
    assert 0 <= samples[("voice_worker_heartbeat_age_seconds", ())] < 60
    assert "Child of" not in response.text and "example.org" not in response.text


def test_only_allowed_addresses_or_the_token_reach_it(tmp_path, database_url):
    app = create_app(app_config(tmp_path, database_url, METRICS_TOKEN="scrape-secret-1",
                                METRICS_ALLOW=(ipaddress.ip_network("10.1.0.0/16"),)))
    client = app.test_client()
    try:
        inside = {"REMOTE_ADDR": "10.1.2.3"}
        assert client.get("/metrics", environ_base=inside).status_code == 200
        # Not on the list, or forwarded by the proxy (whose own address would be on it): 404.
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 404
        assert client.get("/metrics", environ_base=inside,
                          headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        for wrong in ("Bearer scrape-secret-2", "scrape-secret-1", "Bearer "):
            assert client.get("/metrics", headers={"Authorization": wrong}).status_code == 404
        answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1",
                                                 "X-Forwarded-For": "203.0.113.9"})
        assert answer.status_code == 200 and "voice_outbox_waiting" in answer.text
    finally:
        app.extensions["voice.engine"].dispose()
