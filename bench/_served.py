"""What `make bench` serves with gunicorn (bench/pages.py): voice with the configuration in the
JSON file that VOICE_BENCH_CONFIG names and, under /bare/, a bare Flask app whose page
/bare/sized/N is N bytes of HTML: the same server, workers and network for both.

/bare/floor/N is the same page after the least any signed-in read of a child's record does here,
on the same database: find the device's session by the hash of its cookie (one indexed SELECT),
write the audit entry of the read (one INSERT), commit. No ORM, no template. /bare/select/N is
the same page after one `SELECT 1` on the same pool, in autocommit (one round trip): the least
any page that reads a database costs.

POST /bare/upload is the least a recording kept here costs: the request's bytes read (1 MiB at a
time, as voice reads a form) and sealed once, as they come, into a new file of a case's storage
with its fsync (voice.storage.save); no form, no check, no second pass."""
import hashlib
import io
import json
import os
from pathlib import Path

from flask import Flask, request
from sqlalchemy import insert, select
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from voice import create_app, storage
from voice.crypto import CaseCipher, new_wrapped_key
from voice.http import BODY_READ

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


@bare.post("/upload")
def sealed_once():
    kek = os.urandom(32)
    cipher = CaseCipher(kek, "bench", new_wrapped_key(kek, "bench"))
    with service.app_context():
        file_id, size = storage.save(cipher, "bench", io.BufferedReader(request.stream, BODY_READ))
        storage.delete("bench", file_id)
    return str(size)


app = DispatcherMiddleware(service, {"/bare": bare})
