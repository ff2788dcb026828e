"""Test fixtures.

Engines: every test that uses ``db_url`` (itself, or through ``org`` or another
fixture) runs on SQLite, and again on PostgreSQL when ``TEST_DATABASE_URL`` is
set (CI sets it). Screen tests run once, on SQLite: a test that uses the
``app`` fixture (AppTest) gets only the SQLite database, because the pages sit
on the services that are tested on both engines. Mark a screen test
``@pytest.mark.both_engines`` when it is about PostgreSQL itself.

Parallel runs: ``addopts`` in pyproject.toml runs the suite with pytest-xdist,
so every worker (gw0, gw1, ...) has databases of its own: SQLite files in its
own temporary folder, and on PostgreSQL the database named in
``TEST_DATABASE_URL`` plus the worker's id (``test_gw0``, ``test_gw1``; ``test_main``
without xdist), dropped and created afresh at the start of the session through
the server's ``postgres`` maintenance database. The database named in
``TEST_DATABASE_URL`` itself is never used, so a run cannot disturb another.
``PG_URL`` is this worker's database.

Long mode: ``PQP_LONG_TESTS=1`` runs the property tests, fuzzers and load runs
at full size (``examples``); by default, and in CI, they run small.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db import engine as db_engine
from db.audits import DEFAULT_LEARNING_THEMES
from db.migrate import upgrade

#: PQP_LONG_TESTS=1: property tests, fuzzers and load runs at full size.
LONG_TESTS = os.environ.get("PQP_LONG_TESTS", "") not in ("", "0")


def examples(full: int) -> int:
    """How many examples a Hypothesis test tries: ``full`` in the long mode,
    a fifth of it (at least 10) otherwise. Examples that once failed are kept
    in ``.hypothesis/`` and tried first either way."""
    return full if LONG_TESTS else max(full // 5, 10)


#: This process's pytest-xdist worker ("gw0", "gw1", ...), or "main" without xdist.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _worker_database(url: str | None) -> str | None:
    """TEST_DATABASE_URL with the worker's id added to the database name."""
    if not url:
        return None
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


#: This worker's own PostgreSQL database (None when TEST_DATABASE_URL is not set).
PG_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
# One throwaway key for the whole run, so private text is really encrypted in tests.
os.environ.setdefault("PQP_ENCRYPTION_KEYS", Fernet.generate_key().decode())
# Tests need no durability: PostgreSQL may answer a commit before its log reaches the
# disk (libpq reads PGOPTIONS, here and in the commands the tests start).
os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _cheap_password_hashing() -> None:
    """Hash and check passwords in this test process with argon2-cffi's CHEAPEST profile, the one
    it provides for tests. The production cost (argon2id at the library's defaults, about 0.2 s of
    CPU a check, on purpose) bought nothing in hundreds of sign-ins but a slower suite. The portals
    the browser tests start, and the demo loader, keep the production cost, and
    tests/test_auth.py checks that the portal itself hashes at it."""
    from argon2 import PasswordHasher, profiles

    from qa.access import passwords

    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    passwords._DUMMY_HASH = passwords._hasher.hash(passwords._DUMMY_PASSWORD)


_cheap_password_hashing()


def _scan_for_components_once() -> None:
    """Every new AppTest has Streamlit scan the metadata of every installed package for custom
    components (half a second here, with about 160 packages), and the suite starts hundreds of
    them. Nothing is installed during a run, so the first scan's answer serves every AppTest in
    this process. A portal started for real (the browser tests) still scans once at start-up."""
    from streamlit.components.v2 import manifest_scanner

    scan = functools.cache(manifest_scanner.scan_component_manifests)
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(scan(max_workers))


_scan_for_components_once()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_engines: a screen (AppTest) test that runs on PostgreSQL too, not only on SQLite"
    )


def pytest_generate_tests(metafunc):
    """Give ``db_url`` its engines: both, or SQLite alone for screen tests (see the module docstring)."""
    if "db_url" not in metafunc.fixturenames:
        return
    screens_only = "app" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("both_engines")
    metafunc.parametrize("db_url", ["sqlite"] if screens_only else BACKENDS, indirect=True)


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


def _recreate_postgres_database(url: str) -> None:
    """Drop and create ``url``'s database, through the server's maintenance database."""
    name = make_url(url).database
    admin = create_engine(
        db_engine._normalise(make_url(url).set(database="postgres").render_as_string(hide_password=False)),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _postgres_database():
    """This worker's PostgreSQL database, new and empty for the session (see the module docstring)."""
    if PG_URL:
        _recreate_postgres_database(PG_URL)
    return PG_URL


@pytest.fixture(scope="session")
def _postgres_ready(_postgres_database):
    upgrade(_postgres_database)
    _SEEDED[_postgres_database] = _seed_state(_postgres_database)
    return _postgres_database


#: The tables the migrations put rows in, and the only rows they put there.
SEED_ROWS = {"learning_theme": [{"name": name, "active": True} for name in DEFAULT_LEARNING_THEMES]}
#: Per database: each seeded table's contents (a digest) and id sequence right after migrating.
_SEEDED: dict[str, dict[str, tuple]] = {}


def _sequences(conn) -> list[tuple[str, str]]:
    """(sequence, table) for every id sequence in the public schema."""
    return conn.execute(
        text(
            "SELECT s.relname, t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
            "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE s.relkind = 'S' AND n.nspname = 'public' AND d.deptype IN ('a', 'i')"
        )
    ).all()


def _seed_state(url: str) -> dict[str, tuple]:
    with db_engine.get_engine(url).connect() as conn:
        sequences = dict((table, seq) for seq, table in _sequences(conn))
        return {
            table: conn.execute(
                text(
                    f"SELECT (SELECT md5(string_agg(r::text, ',' ORDER BY r::text)) FROM \"{table}\" r), "
                    f'last_value, is_called FROM "{sequences[table]}"'
                )
            ).one()
            for table in SEED_ROWS
        }


@functools.cache
def _superuser(url: str) -> bool:
    """Whether the tests' role on ``url`` is a superuser (it does not change during a run)."""
    with db_engine.get_engine(url).connect() as conn:
        return bool(conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


def _empty_postgres(url: str) -> None:
    """Empty every table a test wrote to (restarting its ids), and put back the
    rows the migrations seed, so PostgreSQL starts where SQLite does. Only the
    tables that hold rows, whose id sequence moved, or (seeded ones) that
    differ from just after migrating are emptied.

    With a superuser (as in CI) the rows are deleted with foreign-key triggers
    off for the transaction (``session_replication_role = replica``), safe
    because every table that holds a row is emptied, and sequences restarted:
    about a tenth of what ``TRUNCATE`` costs on a handful of small tables
    (110 ms against 10 ms a test, over 700 tests). Without one, ``TRUNCATE``."""
    engine = db_engine.get_engine(url)
    seeded = _SEEDED.get(url) or _seed_state(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
            )
            .scalars()
            .all()
        )
        sequences = _sequences(conn)
        checks = [f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables if t not in seeded]
        checks += [f"SELECT '{t}' FROM \"{s}\" WHERE is_called" for s, t in sequences if t not in seeded]
        used = set(conn.execute(text(" UNION ALL ".join(checks))).scalars().all()) if checks else set()
        state = _seed_state(url) if seeded else {}
        used |= {table for table in seeded if table in tables and state.get(table) != seeded[table]}
        if used and _superuser(url):
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in sorted(used):
                conn.execute(text(f'DELETE FROM "{table}"'))
            for sequence, table in sequences:
                if table in used:
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            conn.execute(text("SET LOCAL session_replication_role = origin"))
        elif used:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in sorted(used)) + " RESTART IDENTITY CASCADE"))
        for table in used & SEED_ROWS.keys():
            columns = list(SEED_ROWS[table][0])
            conn.execute(
                text(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join(":" + c for c in columns)})'),
                SEED_ROWS[table],
            )


@pytest.fixture
def db_url(request, tmp_path, monkeypatch):
    """A migrated, empty database; the portal's engine points at it.
    Parametrised by ``pytest_generate_tests`` (above)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "portal.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_postgres_ready")
        _empty_postgres(url)
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


# --------------------------------------------------------------------- AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _streamlit_navigation_v2(monkeypatch):
    """AppTest resets Streamlit's "uses a pages/ directory" flag before every
    run, so from the second run on it would run our page files directly in
    legacy multipage mode and skip app.py. The live server sets the flag once
    per process, so force what the live server sees after its first run."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def app(db_url):
    """``app()``: a fresh portal session (AppTest) on the test database. A test
    that uses it runs on SQLite only, unless marked ``both_engines``."""
    from streamlit.testing.v1 import AppTest

    def start():
        return AppTest.from_file(APP, default_timeout=30).run()

    return start


def sign_in(at, email: str, password: str):
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button(key="FormSubmitter:sign_in-Sign in").click().run()
    return at


def menu_pages(at) -> set[str]:
    """The page files the app registered with ``st.navigation`` on its last run
    (the signed-in user's menu, hidden screens included), as registry paths.

    Asked through AppTest's public ``switch_page``, which refuses a page that
    ``st.navigation`` did not register; it runs nothing, but leaves ``at``
    pointing at the last screen asked about, so make this a test's last look."""
    from pages import _registry as screens

    registered = set()
    for screen in screens.every_screen():
        try:
            at.switch_page(screen.file)
        except ValueError:
            continue
        registered.add(screen.file)
    return registered
