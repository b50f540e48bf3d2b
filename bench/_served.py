"""What `make bench` serves with gunicorn (bench/pages.py): voice with the configuration in the
JSON file that VOICE_BENCH_CONFIG names and, under /bare/, a bare Flask app whose page
/bare/sized/N is N bytes of HTML: the same server, workers and network for both.

/bare/floor/N is the same page after the least any signed-in read of a child's record does here,
on the same database: find the device's session by the hash of its cookie (one indexed SELECT),
write the audit entry of the read (one INSERT), commit. No ORM, no template. /bare/select/N is
the same page after one `SELECT 1` on the same pool, in autocommit (one round trip): the least
any page that reads a database costs."""
import hashlib
import json
import os
from pathlib import Path

from flask import Flask, request
from sqlalchemy import insert, select
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from voice import create_app

bare = Flask("bare")


@bare.route("/sized/<int:size>")
def sized(size: int):
    head = "<!DOCTYPE html><title>bare</title><p>"
    return head + "x" * max(size - len(head), 0)


service = create_app(json.loads(Path(os.environ["VOICE_BENCH_CONFIG"]).read_text()))


@bare.route("/select/<int:size>")
def one_select(size: int):
    engine = service.extensions["voice.engine"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("SELECT 1").scalar()  # one round trip: no BEGIN, no ROLLBACK
    return sized(size)


@bare.route("/floor/<int:size>")
def floor(size: int):
    from voice.models import AuditEvent, AuthSession, now

    token = request.cookies.get("voice", "")  # the cookie of SECURE_COOKIES = False
    with service.extensions["voice.engine"].begin() as connection:
        user = connection.scalar(select(AuthSession.user_id).where(
            AuthSession.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        connection.execute(insert(AuditEvent).values(
            at=now(), actor_id=user, action="bench.read", outcome="ok"))
    return sized(size)


app = DispatcherMiddleware(service, {"/bare": bare})
