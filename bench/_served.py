"""What `make bench` serves with gunicorn (bench/pages.py): voice with the configuration in the
JSON file that VOICE_BENCH_CONFIG names and, under /bare/, a bare Flask app whose page
/bare/sized/N is N bytes of HTML: the same server, workers and network for both."""
import json
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from voice import create_app

bare = Flask("bare")


@bare.route("/sized/<int:size>")
def sized(size: int):
    head = "<!DOCTYPE html><title>bare</title><p>"
    return head + "x" * max(size - len(head), 0)


app = DispatcherMiddleware(
    create_app(json.loads(Path(os.environ["VOICE_BENCH_CONFIG"]).read_text())), {"/bare": bare})
