"""Test fixtures: every database test runs on SQLite, and on PostgreSQL too
when ``TEST_DATABASE_URL`` is set (CI sets it)."""

from __future__ import annotations

import os
import shutil

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from db import engine as db_engine
from db.audits import DEFAULT_LEARNING_THEMES
from db.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")
# One throwaway key for the whole run, so private text is really encrypted in tests.
os.environ.setdefault("PQP_ENCRYPTION_KEYS", Fernet.generate_key().decode())
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
        tables = (
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
            )
            .scalars()
            .all()
        )
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        # Put back the rows the migrations seed, so PostgreSQL starts where SQLite does.
        for name in DEFAULT_LEARNING_THEMES:
            conn.execute(text("INSERT INTO learning_theme (name, active) VALUES (:n, true)"), {"n": name})


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


# --------------------------------------------------------------------- AppTest

APP = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "app.py")


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
    """A fresh portal session on the test database."""
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
    """The page files in the signed-in user's menu (relative to the project)."""
    root = __import__("pathlib").Path(APP).parent
    return {
        str(__import__("pathlib").Path(info["script_path"]).resolve().relative_to(root))
        for info in at._registered_pages.values()  # AppTest keeps the st.navigation registry here
        if info.get("script_path")
    }
