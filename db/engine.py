"""The database engine and sessions.

The URL is the ``database_url`` setting (``portal.settings``: the
``PQP_DATABASE_URL`` environment variable or ``database_url`` in secrets.toml)
and defaults to an embedded SQLite file under ``data/``. SQLite runs in WAL
mode with foreign keys enforced so that both back ends behave the same way for
the rules we rely on.

Faults. A locked SQLite database is waited for, then retried with a bounded,
jittered exponential back-off (:class:`BusyRetry`). PostgreSQL connections are
pre-pinged, so a connection the server dropped (a restart, or an
administrator terminating it) is replaced before it is used. Whatever still
fails reaches the pages as one plain error, :class:`DatabaseUnavailable`,
after the unit of work has been rolled back, so nothing is half-written.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from portal import metrics
from portal.settings import environment_variable, get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "portal.db"
ENV_VAR = environment_variable("database_url")

_engines: dict[str, Engine] = {}
_configured_url: str | None = None
_log = logging.getLogger("pqp.db")
T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached, or stayed locked, so nothing was saved.

    The message is plain English and safe to show. The original error is the
    ``__cause__``, for the logs.
    """

    def __init__(
        self,
        message: str = (
            "The portal could not reach its database just now, so nothing was saved. "
            "What you typed is still here. Please try again in a minute; "
            "if this keeps happening, tell your administrator."
        ),
    ) -> None:
        super().__init__(message)


# --- SQLite busy errors: a bounded, jittered exponential back-off --------------

#: How long SQLite itself waits for a lock on each attempt (its busy handler).
SQLITE_BUSY_TIMEOUT_SECONDS = 1.0


@dataclass
class BusyRetry:
    """How a statement that met a locked SQLite database is tried again.

    Each attempt already waits up to :data:`SQLITE_BUSY_TIMEOUT_SECONDS` inside
    SQLite. Between attempts we sleep ``first_delay``, doubling up to
    ``max_delay``, each sleep jittered to between half and all of that so
    competing writers spread out. We give up (and the unit of work is rolled
    back) once ``deadline`` seconds have passed since the first attempt, so the
    wait is bounded: at most about ``deadline`` plus one busy timeout.
    """

    deadline: float = 5.0
    first_delay: float = 0.05
    max_delay: float = 1.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay
        while True:
            yield random.uniform(delay / 2, delay)
            delay = min(delay * 2, self.max_delay)


RETRY = BusyRetry()


def is_sqlite_busy(error: BaseException) -> bool:
    """SQLITE_BUSY proper: another connection holds the write lock.

    Not SQLITE_BUSY_SNAPSHOT, which means this transaction read an older
    snapshot; trying the same statement again cannot help, only a new
    transaction can.
    """
    if not isinstance(error, sqlite3.OperationalError):
        return False
    name = getattr(error, "sqlite_errorname", None)
    if name is not None:
        return name in ("SQLITE_BUSY", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT")
    return "database is locked" in str(error)


def _retry_busy(connection: _RetryingConnection, attempt: Callable[[], T], what: str) -> T:
    started = time.monotonic()
    delays = RETRY.delays()
    tries = 1
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            # Safe to try again only while this transaction holds no write lock:
            # then the failed statement changed nothing and nothing is held. (In
            # WAL mode only the statement that takes the write lock can be busy.)
            if not is_sqlite_busy(error) or connection.holds_write_lock:
                raise
            pause = next(delays)
            if time.monotonic() - started + pause > RETRY.deadline:
                _log.warning("SQLite still locked after %d attempts (%s); giving up", tries, what)
                raise
            _log.info("SQLite locked (%s); attempt %d failed, retrying in %.2f s", what, tries, pause)
            metrics.DB_RETRIES.inc()
            time.sleep(pause)
            tries += 1


class _RetryingCursor(sqlite3.Cursor):
    connection: _RetryingConnection

    def execute(self, sql, parameters=(), /):
        result = _retry_busy(
            self.connection, lambda: super(_RetryingCursor, self).execute(sql, parameters), "statement"
        )
        self.connection.holds_write_lock = self.connection.in_transaction
        return result

    def executemany(self, sql, seq_of_parameters, /):
        rows = list(seq_of_parameters)  # an iterator could not be replayed
        result = _retry_busy(self.connection, lambda: super(_RetryingCursor, self).executemany(sql, rows), "statement")
        self.connection.holds_write_lock = self.connection.in_transaction
        return result


class _RetryingConnection(sqlite3.Connection):
    """A sqlite3 connection whose statements retry SQLITE_BUSY with :data:`RETRY`.

    Python's sqlite3 module (as SQLAlchemy uses it) runs reads outside a
    transaction and opens one just before the first write, so the statement
    that meets the lock is always the first write of its transaction, before
    anything has changed: trying it again is the same as having waited longer.
    """

    holds_write_lock = False

    def cursor(self, factory=_RetryingCursor):
        return super().cursor(factory)

    def commit(self):
        _retry_busy(self, super().commit, "commit")  # retrying COMMIT is always safe
        self.holds_write_lock = False

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.holds_write_lock = False


# --- which errors mean "the database is unavailable" ---------------------------

_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PROTOCOL")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database was unreachable, locked or dropped
    the connection (so trying again later may work), not a fault in the request."""
    if isinstance(error, DatabaseUnavailable | sa_exc.TimeoutError):  # TimeoutError: no pooled connection free
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):
        name = getattr(error.orig, "sqlite_errorname", "") or ""
        return name.startswith(_SQLITE_UNAVAILABLE) or "database is locked" in str(error.orig)
    # PostgreSQL (psycopg): connection refused or lost, server shutting down,
    # serialisation failures and timeouts are all OperationalError.
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)


def default_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def configure(url: str | None) -> None:
    """Pin the URL used by :func:`get_engine` over the setting (``--database-url``, tests). None unpins it."""
    global _configured_url
    _configured_url = url


def database_url() -> str:
    return _configured_url or get_settings().database_url or default_url()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _normalise(url: str) -> str:
    # "postgresql://" means psycopg2 to SQLAlchemy; we ship psycopg 3.
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    url = _normalise(url or database_url())
    engine = _engines.get(url)
    if engine is not None:
        return engine
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                "factory": _RetryingConnection,
            },
            hide_parameters=True,  # what people type never reaches an error message or the log
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # Pre-ping: a connection the server closed (restart, terminated backend)
        # is noticed and replaced when it is taken from the pool, before use.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    _engines[url] = engine
    return engine


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    An error meaning the database is unreachable or locked comes out as
    :class:`DatabaseUnavailable` (after the rollback), whatever the back end.
    """
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as error:
        try:
            session.rollback()
        except Exception:  # the connection may be gone; the server rolls back for us
            _log.debug("rollback failed after an error", exc_info=True)
        if isinstance(error, Exception) and not isinstance(error, DatabaseUnavailable) and is_unavailable(error):
            _log.warning("database unavailable: %s", error)
            raise DatabaseUnavailable() from error
        raise
    finally:
        session.close()
