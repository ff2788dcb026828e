"""Alembic owns the schema: empty to head on SQLite and PostgreSQL, matching the models,
and safe when two processes start together."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import db.schema  # noqa: F401
from db import engine as db_engine
from db.migrate import current_revision, head_revision, upgrade
from tests.conftest import PG_URL  # this worker's own database, used here only to create throwaway ones

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def empty_url(request, tmp_path):
    """A brand-new, empty database (a throwaway PostgreSQL database on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"pqp_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(db_engine._normalise(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db_engine._normalise(PG_URL)).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        db_engine.get_engine(url).dispose()
        db_engine._engines.pop(url, None)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_reaches_head(empty_url):
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert current_revision(empty_url) == head_revision()
    tables = set(inspect(db_engine.get_engine(empty_url)).get_table_names())
    assert {"user", "team", "pdu", "region", "userrole", "probation_case", "audit_trail", "setting"} <= tables


def test_the_migrated_schema_matches_the_models(empty_url):
    upgrade(empty_url)
    with db_engine.get_engine(empty_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_upgrading_twice_is_harmless(empty_url):
    upgrade(empty_url)
    upgrade(empty_url)
    assert current_revision(empty_url) == head_revision()


def test_two_processes_migrating_together_both_succeed(empty_url):
    script = "import sys; from db.migrate import upgrade; upgrade(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, empty_url], cwd=ROOT, env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert current_revision(empty_url) == head_revision()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    with db_engine.get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db_engine.get_engine(url).dispose()


def test_the_production_path_never_calls_create_all():
    for folder in ("app.py", "pages", "qa", "db"):
        path = ROOT / folder
        files = [path] if path.is_file() else list(path.rglob("*.py"))
        for file in files:
            assert "create_all(" not in file.read_text(), file
