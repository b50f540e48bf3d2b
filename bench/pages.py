"""Page speed under gunicorn against a bare Flask page, measured in one run.

The demo service (on PostgreSQL, as in production) and a bare Flask page (bench/_served.py)
are served by one gunicorn (gunicorn.conf.py: threaded workers, 2 of them here) on 127.0.0.1;
h2load (HTTP/1.1, keep-alive, CLIENTS connections) sends REQUESTS requests per round, in rounds
alternating between the targets: the bare page of the step's size, the same page after one
`SELECT 1` (a single round trip to the database), the floor (the same page after one session
SELECT and one audit INSERT on the same database: the least a signed-in read of a child's record
costs), a child's step GET, an answer POST. Figures are median rates and their ratios.
Then, in alternating rounds, a 25 MB recording is uploaded to a step, its bytes are sent to the
upload floor (received and sealed once into storage, with fsync: the least keeping them costs),
and they are copied on disk (with fsync); the worker's peak memory (VmHWM) growth is read. Last,
cProfile of the step GET in-process. Before any of it, while no server runs, a browser's
10-minute recording is spooled and checked in-process.
"""
from __future__ import annotations

import cProfile
import http.client
import io
import json
import logging
import os
import pstats
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ROUNDS, REQUESTS, CLIENTS, WORKERS = 5, 2000, 16, 2
CONFIG_KEYS = ("DATABASE_URL", "INSTANCE_PATH", "MEDIA_PATH", "SECRET_KEY", "KEY_ENCRYPTION_KEY",
               "SECURE_COOKIES", "DEVELOPMENT", "ARGON2_TIME_COST", "ARGON2_MEMORY_KIB")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(folder: Path, config: dict) -> tuple[subprocess.Popen, int]:
    (folder / "config.json").write_text(json.dumps(config))
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "bench._served:app"],
        cwd=ROOT, env={**os.environ, "VOICE_BENCH_CONFIG": str(folder / "config.json"),
                       "VOICE_BIND": f"127.0.0.1:{port}", "VOICE_WORKERS": str(WORKERS)},
        stdout=subprocess.DEVNULL, stderr=(folder / "gunicorn.log").open("w"))
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start: see " + str(folder / "gunicorn.log"))


def _request(port: int, method: str, path: str, cookie: str, body: bytes = b"",
             headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
    response = connection.getresponse()
    response.data = response.read()
    connection.close()
    return response


def _form(port: int, path: str, cookie: str) -> tuple[str, str]:
    """The cookies of a device with a form open at path (the device's and the form session's
    that holds its CSRF token), and the form's token."""
    page = _request(port, "GET", path, cookie)
    assert page.status == 200, (path, page.status)
    cookies = dict(c.split("=", 1) for c in cookie.split("; "))
    for set_cookie in page.headers.get_all("Set-Cookie") or []:
        name, value = set_cookie.split(";", 1)[0].split("=", 1)
        cookies[name] = value
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    return "; ".join(f"{name}={value}" for name, value in cookies.items()), token


def _post(port: int, step: str, cookie: str, form: Path) -> tuple[str, str]:
    """Answer the feelings step once, keeping the answer (form) for h2load: the device's cookies
    and the token."""
    cookie, token = _form(port, step, cookie)
    form.write_text(urlencode({"csrf_token": token, "option": "happy"}))
    answered = _request(port, "POST", step, cookie, form.read_bytes(),
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert answered.status == 302, answered.status
    return cookie, token


def _h2load(url: str, cookie: str, expect: str, body: Path | None = None) -> float:
    """Requests a second; every response must have the status class `expect` (2xx, 3xx)."""
    command = ["h2load", "--h1", "-n", str(REQUESTS), "-c", str(CLIENTS), "-H", f"cookie: {cookie}"]
    if body is not None:
        command += ["-d", str(body), "-H", "content-type: application/x-www-form-urlencoded"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    good = int(codes.group({"2xx": 1, "3xx": 2}[expect]))
    assert good == REQUESTS, f"{url}: {good} of {REQUESTS} {expect}\n{out}"
    return float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out).group(1))


def _peak_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def _workers(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _upload(port: int, step: str, cookie: str, token: str, folder: Path, workers: list[int]):
    """Median seconds, over ROUNDS alternating rounds, to upload a 25 MB recording to the step, to
    send its bytes to the floor (/bare/upload: received and sealed once), and to copy them on
    disk; and the workers' largest growth of peak memory (KiB) by the first upload (read before
    the floor's first request, which would count too)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from tests.test_capture import webm

    recording = webm(590, frame=bytes(43_500))
    source, target = folder / "recording.webm", folder / "copy.webm"
    source.write_bytes(recording)
    boundary, body = encode_multipart({"csrf_token": token, "form": "voice",
                                       "file": FileStorage(io.BytesIO(recording), filename="v.webm")})
    before = {pid: _peak_kib(pid) for pid in workers}
    times = {"upload": [], "floor": [], "copy": []}
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = _request(port, "POST", step, cookie, body, {
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        times["upload"].append(time.perf_counter() - start)
        assert response.status == 302, (response.status, response.data[:300])
        if len(times["upload"]) == 1:
            growth = max(_peak_kib(pid) - before[pid] for pid in workers)
        start = time.perf_counter()
        response = _request(port, "POST", "/bare/upload", "", recording)
        times["floor"].append(time.perf_counter() - start)
        assert response.status == 200 and response.data == str(len(recording)).encode()
        start = time.perf_counter()
        shutil.copyfile(source, target)
        with target.open("rb+") as handle:
            os.fsync(handle.fileno())
        times["copy"].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}, growth


def _browser_recording(folder: Path) -> None:
    """A browser's 10-minute recording (an Opus block every 20 ms: 30,000 blocks, about 10 MB),
    in-process: the median time to spool it (the form parser's encrypted temporary file) and to
    check it (voice.capture.webm), over ROUNDS rounds."""
    from tests.test_capture import webm as recording_of
    from voice.capture import webm
    from voice.encrypted_tempfile import EncryptedTempFile

    recording = recording_of(600, frame=b"\xfc" * 320, block_ms=20, cluster_ms=5000)
    spooled, checked = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        with EncryptedTempFile(folder) as spool:
            for at in range(0, len(recording), 256 * 1024):
                spool.write(recording[at:at + 256 * 1024])
            spooled.append(time.perf_counter() - start)
            start = time.perf_counter()
            webm.clean(spool)
            checked.append(time.perf_counter() - start)
    spool_time, check_time = statistics.median(spooled), statistics.median(checked)
    print(f"a browser's 10-minute recording ({len(recording) / 1e6:.1f} MB, 30,000 blocks), "
          f"in-process: spooled in {spool_time * 1000:.0f} ms, checked in "
          f"{check_time * 1000:.0f} ms ({check_time / spool_time:.1f}x its spool)")


def _profile(app, step: str, cookie: str) -> None:
    client = app.test_client()
    for pair in cookie.split("; "):
        client.set_cookie(*pair.split("=", 1), domain="localhost")
    assert client.get(step).status_code == 200
    logging.getLogger("voice.requests").disabled = True  # a line a request, not wanted here
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(100):
        client.get(step)
    profile.disable()
    print("cProfile of 100 child step GETs in-process (cumulative, top 20):")
    stats = pstats.Stats(profile, stream=io.StringIO())
    stats.sort_stats("cumulative").print_stats(20)
    print("\n".join(line for line in stats.stream.getvalue().splitlines()[6:] if line.strip()))


def main() -> None:
    from sqlalchemy import create_engine, text

    from accessibility.lighthouse import demo_app
    from tests.postgres import Server
    from voice import db
    from voice.capture import service
    from voice.models import CaptureSession

    folder = Path(tempfile.mkdtemp(prefix="voice-bench-pages-"))
    _browser_recording(folder)  # first, while no server runs beside it
    database = Server().start()
    admin = create_engine(database.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE voice_bench"))
    admin.dispose()
    app, pages = demo_app(folder, ("ar", "en"), database.url("voice_bench"))
    (_label, step, cookie, _options), (_label2, voice_step, voice_cookie, _o) = pages[:2]
    config = {key: app.config[key] for key in CONFIG_KEYS}
    server, port = _serve(folder, config)
    base = f"http://127.0.0.1:{port}"
    try:
        # The step GET shows an earlier answer (read, so audited); the POSTs answer the same
        # step on the other device, whose first answer creates the answer row (the rounds add
        # versions of it: the step GET is not made slower by thousands of them).
        cookie, token = _post(port, step, cookie, folder / "answer.txt")
        size = len(_request(port, "GET", step, cookie).data)
        post_cookie, _token = _post(port, voice_step, voice_cookie, folder / "answer.txt")
        targets = {
            "bare Flask page, the step's size": lambda: _h2load(
                f"{base}/bare/sized/{size}", cookie, "2xx"),
            "one SELECT 1": lambda: _h2load(f"{base}/bare/select/{size}", cookie, "2xx"),
            "floor: a session read, an audit row": lambda: _h2load(
                f"{base}/bare/floor/{size}", cookie, "2xx"),
            "child step GET (Arabic, feelings)": lambda: _h2load(base + step, cookie, "2xx"),
            "answer POST (feelings)": lambda: _h2load(base + voice_step, post_cookie, "3xx",
                                                      folder / "answer.txt"),
        }
        rates = {name: [] for name in targets}
        for _ in range(ROUNDS):
            for name, run in targets.items():
                rates[name].append(run())
        bare = statistics.median(rates["bare Flask page, the step's size"])
        print(f"gunicorn, {WORKERS} workers of 4 threads, h2load --h1 -c {CLIENTS} -n {REQUESTS}, "
              f"{ROUNDS} alternating rounds; the step is {size} bytes")
        print(f"{'target':<36} {'median req/s':>12} {'vs bare':>8}")
        for name, values in rates.items():
            median = statistics.median(values)
            print(f"{name:<36} {median:>12.0f} {median / bare:>8.2f}")

        sitting_id = voice_step.split("/")[2]
        with app.app_context():
            sitting = db.session().get(CaptureSession, sitting_id)
            voice = next(s for s in service.questionnaire_of(sitting).steps
                         if "voice" in service.answer_forms(s))
        upload_step = f"/child/{sitting_id}/step/{voice.id}"
        voice_cookie, token = _form(port, upload_step + "?form=voice", post_cookie)
        times, growth = _upload(port, upload_step, voice_cookie, token, folder, _workers(server))
        print(f"25 MB recording, median of {ROUNDS} alternating rounds: disk copy with fsync "
              f"{times['copy']:.3f} s")
        for name, label in (("upload", "upload to a step"),
                            ("floor", "floor: received and sealed once")):
            print(f"  {label:<32} {times[name]:.3f} s  {times['copy'] / times[name]:.2f}x a disk "
                  f"copy")
        print(f"  worker's peak memory grew {growth / 1024:.1f} MB")
        _profile(app, step, cookie)
    finally:
        server.terminate()
        server.wait(30)
        app.extensions["voice.engine"].dispose()
        database.stop()
        shutil.rmtree(folder, ignore_errors=True)
