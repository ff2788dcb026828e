"""Test fixtures: every database test runs on SQLite, and on PostgreSQL too
when ``TEST_DATABASE_URL`` is set (CI sets it)."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import text

from db import engine as db_engine
from db.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = db_engine.get_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_ready():
    engine = db_engine.get_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(PG_URL)
    return PG_URL


def _truncate_postgres(url: str) -> None:
    engine = db_engine.get_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch):
    """A migrated, empty database; the portal's engine points at it."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "portal.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_postgres_ready")
        _truncate_postgres(url)
    monkeypatch.setenv(db_engine.ENV_VAR, url)
    db_engine.configure(url)
    yield url
    db_engine.configure(None)
    if request.param == "sqlite":
        db_engine.get_engine(url).dispose()


@pytest.fixture
def org(db_url):
    """A small organisation: one region, two PDUs, three teams and a few people."""
    from tests.factories import small_org

    return small_org()
