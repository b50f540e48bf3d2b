"""A reference receiver for voice's webhooks, using only Python's standard library.

Run it with `flask --app voice receiver --secret whsec_... --port 8080 --folder ./received`, or
copy this file into your own system: it shows everything a receiver must do.

1. Verify the Standard Webhooks signature: HMAC-SHA256 with the endpoint's secret over
   `webhook-id.webhook-timestamp.body`, base64, in `webhook-signature` as `v1,<signature>`
   (several, space-separated, while a secret is being rotated: accept the message when any one
   matches any secret you hold). Refuse a timestamp more than 5 minutes from your clock.
2. Dedupe on `webhook-id`: voice sends an event again until it gets a 2xx answer, always with
   the same id, so an event may arrive more than once. Keep it once.
3. Store it, then answer 2xx. Answer 4xx to what is not from voice (bad or missing signature,
   not JSON); a 410 tells voice to stop sending to this endpoint for good.

`fail_first` (`--fail-first N`) is a test aid: the first N signed requests get a 500 answer, to
see voice retry.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .. import signing

TOLERANCE_SECONDS = 5 * 60
MAX_BODY = 5 * 1024 * 1024
ID = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


class Rejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def verify(keys: list[bytes], headers, body: bytes, tolerance: int = TOLERANCE_SECONDS,
           clock=time.time) -> str:
    """The webhook-id of a correctly signed, fresh message; else Rejected."""
    webhook_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    signatures = headers.get("webhook-signature") or ""
    if not (webhook_id and timestamp and signatures):
        raise Rejected(400, "missing webhook headers")
    if not ID.match(webhook_id) or not timestamp.isdigit():
        raise Rejected(400, "malformed webhook headers")
    if abs(clock() - int(timestamp)) > tolerance:
        raise Rejected(401, "timestamp too far from now")
    if signing.webhook_verified(keys, webhook_id, timestamp, body, signatures):
        return webhook_id
    raise Rejected(401, "no matching signature")


class Receiver(ThreadingHTTPServer):
    """Receives voice's webhooks into a folder: one `<webhook-id>.json` file per event."""

    daemon_threads = True

    def __init__(self, secrets: list[str], folder: str | os.PathLike, host: str = "127.0.0.1",
                 port: int = 0, fail_first: int = 0, tolerance: int = TOLERANCE_SECONDS):
        self.keys = [signing.webhook_key(s) for s in secrets]
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fail_left = fail_first
        self.tolerance = tolerance
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def handle_verified(self, webhook_id: str, headers, body: bytes) -> tuple[int, dict]:
        """A correctly signed request: (status, answer). Override to add behaviour in tests."""
        with self.lock:
            if self.fail_left > 0:
                self.fail_left -= 1
                return 500, {"error": "failing on purpose (--fail-first)"}
        try:
            json.loads(body)
        except ValueError:
            return 400, {"error": "the body is not JSON"}
        return (200, {"received": webhook_id}) if self.store(webhook_id, body) else \
            (200, {"received": webhook_id, "duplicate": True})

    def store(self, webhook_id: str, body: bytes) -> bool:
        """Keep the body once: False when this webhook-id was kept already."""
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, self.folder / f"{webhook_id}.json")  # atomic: fails if kept
            except FileExistsError:
                return False
            return True
        finally:
            os.unlink(temporary)

    def start(self) -> "Receiver":
        """Serve in a background thread (for tests)."""
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self.thread:
            self.thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: do not wait for an ACK
    server: Receiver

    def do_POST(self):  # noqa: N802
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            return self._answer(411, {"error": "length required"})
        if int(length) > MAX_BODY:
            return self._answer(413, {"error": "too large"}, close=True)
        body = self.rfile.read(int(length))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            webhook_id = verify(self.server.keys, headers, body, self.server.tolerance)
        except Rejected as rejected:
            return self._answer(rejected.status, {"error": rejected.reason})
        status, answer = self.server.handle_verified(webhook_id, headers, body)
        return self._answer(status, answer)

    def do_GET(self):  # noqa: N802
        self._answer(405, {"error": "POST only"})

    def _answer(self, status: int, answer: dict, close: bool = False):
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002
        # The request line and status only: never a body.
        if os.environ.get("VOICE_RECEIVER_QUIET") != "1":
            super().log_message(format, *args)
