"""gunicorn's settings for voice (read from the working folder): see README, "Running in
production". `gunicorn 'voice:create_app()'` with PROMETHEUS_MULTIPROC_DIR set."""
import os
import shutil

from prometheus_client import multiprocess

bind = os.environ.get("VOICE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("VOICE_WORKERS", 4))
# Threads in each worker: while one request waits on the database, another uses the processor
# (and kept-alive connections are served, which the default synchronous worker closes).
worker_class = "gthread"
threads = int(os.environ.get("VOICE_THREADS", 4))
# A worker holds at most twice as many connections as it has threads. Without a bound, the first
# worker to wake takes every kept-alive connection (1,000 by default) and serves them all on one
# processor while the others idle; the rest wait in the listen queue for a worker with room.
worker_connections = 2 * threads
# On SIGTERM, requests and uploads in flight have this long to finish before workers are killed.
graceful_timeout = 60
timeout = 120
# No access log: its lines hold URLs (ids, query strings). voice writes its own JSON line.
accesslog = None


def on_starting(_server):
    """Start each run with empty metric files (counts of exited processes would linger)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, mode=0o700)


def child_exit(_server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
