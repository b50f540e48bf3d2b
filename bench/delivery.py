"""Webhook events delivered per second by one worker and by two, on PostgreSQL, against the
reference receiver (`flask --app voice receiver`) on 127.0.0.1.

Rounds alternate between one and two workers; each round queues EVENTS sealed events spread over
CASES cases (a case's events are sent one after another, in order) and
runs the workers (`flask --app voice worker --until-idle`) until the outbox is empty. The rate is
events over the time from the round's first attempt to its last (process start-up excluded).
"""
from __future__ import annotations

import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
EVENTS = 400
CASES = 40
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "voice", *args], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _round(app, env, world, workers: int) -> float:
    from voice import db
    from voice.delivery import service
    from voice.models import DeliveryAttempt, OutboxDelivery, now

    with app.app_context():
        session = db.session()
        started = now()
        for n in range(EVENTS):
            service.emit("summary.submitted", world["panel"], world["cases"][n % CASES],
                         {"views": "benchmark", "n": n})
        session.commit()
    processes = [_flask(env, "worker", "--until-idle", "--batch", "10") for _ in range(workers)]
    for process in processes:
        _, errors = process.communicate(timeout=600)
        if process.returncode != 0:
            raise RuntimeError(errors)
    with app.app_context():
        session = db.session()
        left = session.scalar(select(func.count()).select_from(OutboxDelivery).where(
            OutboxDelivery.status != "delivered"))
        first, last, count = session.execute(select(
            func.min(DeliveryAttempt.at), func.max(DeliveryAttempt.at), func.count())
            .where(DeliveryAttempt.at >= started)).one()
    if left or count != EVENTS:
        raise RuntimeError(f"{left} not delivered, {count} attempts for {EVENTS} events")
    return EVENTS / max((last - first).total_seconds(), 1e-6)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.postgres import Server
    from voice import create_app, db
    from voice.cases import service as cases
    from voice.delivery import service
    from voice.models import Base, Organisation

    server = Server().start()
    folder = Path(tempfile.mkdtemp(prefix="voice-bench-delivery-"))
    receiver = None
    try:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE voice_bench"))
        admin.dispose()
        url = server.url("voice_bench")
        config = {"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"),
                  "MEDIA_PATH": str(folder / "media"), "DEVELOPMENT": True,
                  "SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
                  "KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode()}
        app = create_app(config)
        Base.metadata.create_all(app.extensions["voice.engine"])
        port = _free_port()
        with app.app_context():
            session = db.session()
            provider = Organisation(name="Provider", kind="provider")
            panel = Organisation(name="Panel", kind="panel")
            session.add_all([provider, panel])
            session.flush()
            made = [cases.create(provider, panel, "Bench", "12-15", ["en"], None, None, None).id
                    for _ in range(CASES)]
            _, secret = service.create_endpoint(panel.id, "Receiver", f"http://127.0.0.1:{port}/",
                                                ["summary.submitted"])
            session.commit()
            world = {"panel": panel.id, "cases": made}
        env = {**os.environ, "DATABASE_URL": url, "VOICE_INSTANCE_PATH": config["INSTANCE_PATH"],
               "VOICE_MEDIA_PATH": config["MEDIA_PATH"], "VOICE_KEK": config["KEY_ENCRYPTION_KEY"],
               "VOICE_SECRET_KEY": config["SECRET_KEY"], "VOICE_DEVELOPMENT": "1",
               "VOICE_RECEIVER_QUIET": "1"}
        receiver = _flask(env, "receiver", "--secret", secret, "--port", str(port),
                          "--folder", str(folder / "received"))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or receiver.poll() is not None:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.05)
        rates: dict[int, list[float]] = {1: [], 2: []}
        for number in range(ROUNDS):
            for workers in ((1, 2) if number % 2 == 0 else (2, 1)):
                rate = _round(app, env, world, workers)
                rates[workers].append(rate)
                print(f"round {number + 1}, {workers} worker(s): {rate:.0f} events/s", flush=True)
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        print(f"delivery: one worker {one:.0f} events/s, two workers {two:.0f} events/s "
              f"(medians of {ROUNDS} rounds of {EVENTS} events, {os.cpu_count()} CPUs); "
              f"two/one = {two / one:.2f}")
        app.extensions["voice.engine"].dispose()
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait(10)
        server.stop()


if __name__ == "__main__":
    main()
