"""The database engine and the units of work: the only place that commits.

A request is one unit of work: `session()` gives its session, and the app commits it once, with
`commit_unit()`, when the answer is not a refusal. A CLI command commits its unit the same way
when it ends. Three helpers cover the rest:
- `keep_despite_refusal()`: what must persist although the answer refuses (failed sign-in
  counts, the audit of a refused attempt, an advocate's saved work when approval is blocked);
- `transaction()`: a unit of work of its own (the worker's steps, an audit entry for a refusal);
- `after_commit(action)`: what may only happen once the unit is committed (removing an erased
  case's files).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Select, create_engine, event, exc, func, select
from sqlalchemy.pool import NullPool
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, pooled: bool = True) -> Engine:
    # hide_parameters: a database error in a log never carries the values (an email, a blob).
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True, **({} if pooled else {"poolclass": NullPool}))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")  # erased content is overwritten on disk
            cursor.close()

        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool, hide_parameters=True)
    engine = create_engine(url, pool_size=5, max_overflow=5, hide_parameters=True)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE = 10.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    """A pooled connection is tried before use when it has been idle for PING_AFTER_IDLE seconds
    or more (a restarted server, a dropped link); a dead one is replaced, as SQLAlchemy's
    `pool_pre_ping` does, but a connection in constant use is not pinged before every request
    (a round trip each)."""
    @event.listens_for(engine.pool, "checkin")
    def _idle_since(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:  # the pool replaces the connection and tries again
            raise exc.DisconnectionError() from error


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["voice.engine"] = engine
    app.extensions["voice.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close(_exc):
        unit = g.pop("db", None)
        if unit is not None:
            unit.rollback()
            unit.info.pop("after_commit", None)
            unit.close()


def session() -> Session:
    """The session of the current request or app context."""
    if "db" not in g:
        g.db = current_app.extensions["voice.sessionmaker"]()
    return g.db


def engine() -> Engine:
    return current_app.extensions["voice.engine"]


def commit_unit() -> None:
    """Commit the current unit of work, then do what waited for it."""
    unit = g.get("db")
    if unit is None:
        return
    unit.commit()
    for action in unit.info.pop("after_commit", []):
        action()


def keep_despite_refusal() -> None:
    """Commit the request's work now although its answer will refuse (status 400 or more)."""
    commit_unit()


def after_commit(action: Callable[[], None]) -> None:
    """Run action once the current unit of work is committed (never if it is rolled back)."""
    session().info.setdefault("after_commit", []).append(action)


@contextmanager
def transaction() -> Iterator[Session]:
    """A unit of work of its own: committed when the block ends, rolled back if it raises."""
    with current_app.extensions["voice.sessionmaker"]() as unit:
        yield unit
        unit.commit()


PAGE_SIZE = 50


@dataclass
class Page:
    """One page of a long list: its rows, its number (from 1), how many rows there are, and the
    first row of the next page (None on the last), which tells where this page's rows end."""
    items: list
    number: int
    total: int
    size: int = PAGE_SIZE
    following: object = None

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)


def page_of(query: Select, number: int, size: int = PAGE_SIZE,
            total: Select | None = None) -> Page | None:
    """Page `number` of the query's rows (the query orders them), or None past the last page.
    `total` counts the rows, when that is quicker than counting the query's."""
    if total is None:
        total = select(func.count()).select_from(query.order_by(None).subquery())
    page = Page([], number, session().scalar(total), size)
    if number < 1 or number > page.count:
        return None
    rows = list(session().scalars(query.offset((number - 1) * size).limit(size + 1)))
    page.items, page.following = rows[:size], rows[size] if len(rows) > size else None
    return page
