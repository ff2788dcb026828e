"""The database engine and sessions.

The URL comes from ``PQP_DATABASE_URL`` (or whatever the entrypoint passes in
from Streamlit secrets) and defaults to an embedded SQLite file under
``data/``. SQLite runs in WAL mode with foreign keys enforced so that both
back ends behave the same way for the rules we rely on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "portal.db"
ENV_VAR = "PQP_DATABASE_URL"

_engines: dict[str, Engine] = {}
_configured_url: str | None = None


def default_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def configure(url: str | None) -> None:
    """Pin the URL used by :func:`get_engine` (the entrypoint passes secrets here)."""
    global _configured_url
    _configured_url = url


def database_url() -> str:
    return _configured_url or os.environ.get(ENV_VAR) or default_url()


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
    cursor.execute("PRAGMA busy_timeout=5000")
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
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _engines[url] = engine
    return engine


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
