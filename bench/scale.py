"""Pages with 10,000 cases against the same pages with 100, measured in one run.

Two databases (SQLite files) are built the same way, the tests' world of people plus one case
reviewed and submitted to the panel through the services, then grown in bulk (tests/scale.py) to
100 and to 10,000 cases of one provider, each with a summary submitted to the same panel, 20
answers and 3 media rows (10,000 cases: 200,000 answers, 30,000 media rows). Each
page is requested in-process, in rounds alternating between the two; the figure is the median
time per request with 10,000 cases over the median with 100.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 10_000)
ROUNDS, REQUESTS = 7, 10
FOLDERS: list[Path] = []  # removed at the end: each database is some 170 MB


def _world(size: int):
    sys.path.insert(0, str(ROOT))
    from tests.conftest import app_config, as_person, make_world
    from tests.scale import grow
    from tests.test_review import approved
    from voice import create_app
    from voice.models import Base

    folder = Path(tempfile.mkdtemp(prefix=f"voice-bench-scale-{size}-"))
    FOLDERS.append(folder)
    app = create_app({**app_config(folder, f"sqlite:///{folder}/voice.sqlite3"), "TESTING": False})
    Base.metadata.create_all(app.extensions["voice.engine"])
    world = make_world(app)
    _ids, summary_id = approved(app, app.test_client(), world)
    grow(app, world, size - 1)

    def client(who):
        return as_person(app, app.test_client(), world.people[who])

    return {"case list (provider admin)": (client("org_admin.p1"), "/cases/"),
            "case list (ICTG, names opened)": (client("ictg.p1"), "/cases/"),
            "agenda (panel member)": (client("panel_member.n1"), "/panel"),
            "case page (ICTG)": (client("ictg.p1"), f"/cases/{world.cases['p1']}"),
            "summary (panel member)": (client("panel_member.n1"), f"/summaries/{summary_id}")}


def _seconds(client, url) -> float:
    start = time.perf_counter()
    for _ in range(REQUESTS):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - start) / REQUESTS


def main() -> None:
    try:
        _measure()
    finally:
        for folder in FOLDERS:
            shutil.rmtree(folder, ignore_errors=True)


def _measure() -> None:
    started = time.perf_counter()
    targets = {size: _world(size) for size in SIZES}
    print(f"built {' and '.join(str(s) for s in SIZES)} cases in {time.perf_counter() - started:.0f} s")
    times = {size: {name: [] for name in targets[size]} for size in SIZES}
    for number in range(ROUNDS):
        for size in (SIZES if number % 2 == 0 else reversed(SIZES)):
            for name, (client, url) in targets[size].items():
                times[size][name].append(_seconds(client, url))
    small, large = SIZES
    print(f"{'page':<32} {f'{small} cases':>10} {f'{large} cases':>12} {'ratio':>6}")
    for name in targets[small]:
        a, b = statistics.median(times[small][name]), statistics.median(times[large][name])
        print(f"{name:<32} {a * 1000:>8.1f}ms {b * 1000:>10.1f}ms {b / a:>6.2f}")


if __name__ == "__main__":
    main()
