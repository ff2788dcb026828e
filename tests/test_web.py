"""The web layer around the app (portal/web.py), tested without a browser: readiness that fails
while PostgreSQL cannot be reached and recovers when it can, who may read the metrics, the
apology with a reference number for an unexpected error (its trace in the log under that number),
JSON-lines logs, and where the cookie route may send the browser back to."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from db import engine as db_engine
from db.migrate import upgrade
from portal import web
from portal.settings import get_settings
from tests.conftest import PG_URL


def client() -> TestClient:
    app = Starlette(
        routes=web.ROUTES,
        middleware=[Middleware(web.PortalMiddleware)],
        exception_handlers={Exception: web.server_error},
    )
    return TestClient(app, raise_server_exceptions=False)


# --- readiness ----------------------------------------------------------------------------------


class Forwarder:
    """A TCP port that forwards to PostgreSQL while open: closing it is PostgreSQL "stopped" for
    whoever connects through it (the machine's shared PostgreSQL itself is never stopped)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._links: list[socket.socket] = []

    def open(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            try:  # wakes the thread waiting in accept(), which otherwise keeps the port listening
                self._server.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._server.close()
            self._server = None
        for link in self._links:
            try:
                link.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            link.close()
        self._links.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                near, _ = server.accept()
            except OSError:
                return
            far = socket.create_connection(self.target)
            self._links += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


@contextmanager
def through(forwarder: Forwarder, url: str) -> Iterator[str]:
    proxied = make_url(url).set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
    db_engine.configure(proxied)
    try:
        yield proxied
    finally:
        db_engine.get_engine(proxied).dispose()
        db_engine.configure(None)


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_readiness_fails_while_postgresql_is_unreachable_and_recovers_when_it_is_back(db_url):
    if db_engine.is_sqlite(db_url):
        pytest.skip("PostgreSQL only")
    real = make_url(db_url)
    forwarder = Forwarder((real.host or "127.0.0.1", real.port or 5432))
    forwarder.open()
    with through(forwarder, db_url):
        upgrade(db_engine.database_url())
        ready = client().get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "encryption_key": "ok"}

        forwarder.close()  # PostgreSQL is gone
        down = client().get("/health/ready")
        assert down.status_code == 503
        assert down.json() == {"status": "not ready", "checks": {"database": "failing"}}
        assert client().get("/health/live").status_code == 200  # the process itself is alive

        forwarder.open()  # and back
        assert client().get("/health/ready").status_code == 200
    forwarder.close()


def test_readiness_fails_when_the_schema_is_behind(db_url, monkeypatch):
    monkeypatch.setattr(web, "head_revision", lambda: "9999")
    response = client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failing"


# --- metrics ------------------------------------------------------------------------------------


def test_metrics_are_for_the_allow_list_or_the_token(db_url, monkeypatch):
    # The test client connects from "testclient", which is on no allow-list.
    assert client().get("/metrics").status_code == 403
    monkeypatch.setenv("PQP_METRICS_TOKEN", "a-long-random-token")
    get_settings.cache_clear()
    assert client().get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    allowed = client().get("/metrics", headers={"Authorization": "Bearer a-long-random-token"})
    assert allowed.status_code == 200
    assert "pqp_active_sessions" in allowed.text
    monkeypatch.delenv("PQP_METRICS_TOKEN")
    monkeypatch.setenv("PQP_METRICS_ADDRESSES", "testclient")
    get_settings.cache_clear()
    assert client().get("/metrics").status_code == 200
    get_settings.cache_clear()


# --- errors and logs ----------------------------------------------------------------------------


def test_an_unexpected_script_error_shows_an_apology_and_logs_the_trace_under_its_reference(caplog):
    from streamlit.testing.v1 import AppTest

    def script():
        from portal import web

        try:
            raise ValueError("something private went wrong")
        except ValueError as error:
            web.on_script_error(error)

    at = AppTest.from_function(script).run()
    assert not at.exception
    (shown,) = [e.value for e in at.error]
    assert shown.startswith("Sorry, something went wrong on our side")
    reference = shown.rsplit("reference ", 1)[1].rstrip(".")
    assert "something private" not in shown and "Traceback" not in shown
    logged = [r for r in caplog.records if getattr(r, "reference", None) == reference]
    assert logged and logged[0].exc_info is not None


def test_an_error_in_a_route_is_an_apology_with_a_reference(monkeypatch):
    def broken(_request):
        raise RuntimeError("boom")

    app = Starlette(
        routes=[], middleware=[Middleware(web.PortalMiddleware)], exception_handlers={Exception: web.server_error}
    )
    app.add_route("/broken", broken)
    response = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert response.status_code == 500
    assert "tell your administrator the reference" in response.text and "boom" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"  # errors carry the headers too


def test_log_lines_are_json_with_the_request_id_and_reference():
    formatter = web.JsonLines()
    token = web.REQUEST_ID.set("abc123")
    try:
        record = logging.LogRecord("pqp.web", logging.INFO, __file__, 1, "request", None, None)
        record.path = "/health/live"
        line = json.loads(formatter.format(record))
    finally:
        web.REQUEST_ID.reset(token)
    assert line["request_id"] == "abc123" and line["path"] == "/health/live" and line["level"] == "INFO"


# --- where the cookie route sends the browser back to -------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("/account", "/account"),
        ("/audit?audit=12", "/audit?audit=12"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        (None, "/"),
    ],
)
def test_the_cookie_route_only_goes_back_to_a_page_of_the_portal(raw, expected):
    assert web.safe_next(raw) == expected


def test_the_cookie_route_without_a_valid_ticket_sets_no_cookie(db_url):
    response = client().get("/_pqp/session?ticket=made-up&next=/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert "pqp_session" not in response.headers.get("set-cookie", "")
