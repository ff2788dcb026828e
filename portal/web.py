"""The web service around the Streamlit app: what ``portal_app.py`` hands to ``st.App``.

- :class:`PortalMiddleware`: security headers on every HTTP response, a request id, the
  browser-binding cookie on page loads, and one JSON log line per request (path only,
  never the query string, which can hold a sign-in ticket).
- Routes: ``/_pqp/session`` (the one-time ticket exchange that sets the session cookie:
  a script run cannot set one), ``/health/live``, ``/health/ready`` and ``/metrics``.
- :func:`on_script_error`: an uncaught error in a script run shows a plain apology with a
  reference number; the trace goes to the server log under that number.
- :func:`lifespan`: JSON-lines logging, and migrations at start-up under the existing lock.

The Content-Security-Policy is as strict as Streamlit's frontend allows; every relaxation
is listed, with its reason, in docs/SECURITY.md ("Security headers").
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from db import encryption
from db.engine import database_url, get_engine
from db.migrate import current_revision, head_revision, upgrade
from portal import metrics
from portal.errors import apology, log_error
from portal.settings import get_settings
from qa.access import sessions
from qa.access.sessions import BINDING_COOKIE, COOKIE, COOKIE_ROUTE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("pqp.web")
REQUEST_ID: ContextVar[str] = ContextVar("pqp_request_id", default="")


# --- logging ------------------------------------------------------------------------------------


def _script_session() -> str:
    """A short, non-reversible label for the Streamlit session running this code, if any."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:
        return ""
    if ctx is None:
        return ""
    return hashlib.sha256(ctx.session_id.encode()).hexdigest()[:12]


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id or the (hashed)
    Streamlit session, and an error's reference number and trace when there is one.

    Messages are the portal's own; nothing logs what people type. SQL parameters are kept out of
    database errors by the engine (``hide_parameters``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        session = _script_session()
        if session:
            entry["session"] = session
        for key in ("reference", "method", "path", "status", "duration_ms", "page"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["trace"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging() -> None:
    """The portal's loggers (``pqp.*``) write JSON lines to standard error."""
    logger = logging.getLogger("pqp")
    if any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


# --- security headers ---------------------------------------------------------------------------


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in Streamlit's own index.html (one line that tells
    prerenderers the page is not ready), so no 'unsafe-inline' is needed for scripts."""
    import streamlit

    index = Path(streamlit.__file__).parent / "static" / "index.html"
    try:
        html = index.read_text()
    except OSError:
        return []
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def content_security_policy() -> str:
    script_src = " ".join(["'self'", *_inline_script_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_src}",
            # Relaxation: Streamlit's frontend styles its components with CSS-in-JS (emotion), which
            # writes <style> elements and style attributes at run time.
            "style-src 'self' 'unsafe-inline'",
            # Relaxation: Streamlit draws icons and chart images as data: and blob: URLs.
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            # Relaxation: Streamlit's chart and table components start web workers from blob: URLs.
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CSP = content_security_policy()
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), display-capture=(), interest-cohort=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def is_https(scope: Scope) -> bool:
    """Whether the browser reached the portal over HTTPS (uvicorn takes X-Forwarded-Proto
    from a trusted proxy into the scheme; see docs/DEPLOY.md)."""
    return scope.get("scheme") in ("https", "wss")


def security_headers(https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def cookie_header(name: str, value: str, *, https: bool, max_age: int | None, same_site: str = "Lax") -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", f"SameSite={same_site}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if https:
        parts.append("Secure")
    return "; ".join(parts)


class PortalMiddleware:
    """Security headers, a request id, the browser-binding cookie and a log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        token = REQUEST_ID.set(request_id)
        https = is_https(scope)
        needs_binding = BINDING_COOKIE not in _cookies(scope)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in security_headers(https).items():
                    headers[name] = value
                headers["X-Request-Id"] = request_id
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Cache-Control"] = "no-store"
                    if needs_binding:
                        # Ties a sign-in ticket to this browser (qa/access/sessions.issue_ticket).
                        binding = cookie_header(BINDING_COOKIE, secrets.token_urlsafe(32), https=https, max_age=None)
                        headers.append("Set-Cookie", binding)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            path = scope.get("path", "")
            if not path.startswith(("/static/", "/_stcore/health", "/favicon")):
                _log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": path[:200],
                        "status": status["code"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            REQUEST_ID.reset(token)


# --- the session cookie -------------------------------------------------------------------------


def safe_next(raw: str | None) -> str:
    """A path on this portal to go back to; anything else (another site, a scheme) means "/"."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


async def session_cookie(request: Request) -> Response:
    """Exchange a one-time sign-in ticket for the session cookie, then go back to the page.

    The ticket is bound to this browser's binding cookie, so a link made by someone else
    cannot sign this browser in (login CSRF); the session gets a fresh id here."""
    ticket = request.query_params.get("ticket")
    binding = request.cookies.get(BINDING_COOKIE)
    back = safe_next(request.query_params.get("next"))
    raw = await anyio.to_thread.run_sync(sessions.redeem_ticket, ticket, binding)
    response = RedirectResponse(back, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if raw is None:
        _log.warning("sign-in ticket refused (unknown, used, expired or from another browser)")
        return response
    limits = await anyio.to_thread.run_sync(sessions.limits)
    max_age = int(limits.absolute.total_seconds())
    response.headers.append("Set-Cookie", cookie_header(COOKIE, raw, https=is_https(request.scope), max_age=max_age))
    return response


# --- health -------------------------------------------------------------------------------------


async def live(_request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "live"})


def _check_database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


def _check_migrations() -> None:
    if current_revision() != head_revision():
        raise RuntimeError("the database schema is not at the newest migration")


def _check_encryption() -> None:
    if encryption.decrypt(encryption.encrypt("readiness")) != "readiness":
        raise RuntimeError("the encryption key does not read back")


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "migrations": _check_migrations,
    "encryption_key": _check_encryption,
}


async def ready(_request: Request) -> Response:
    """Readiness: the database answers, its schema is at the newest migration, and the
    encryption key reads back. 503 naming the failing checks otherwise (never a secret)."""
    results: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            with anyio.fail_after(5):
                await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
            results[name] = "ok"
        except Exception as error:
            results[name] = "failing"
            _log.warning("readiness check %s failing: %s", name, type(error).__name__)
            if name == "database":  # the others need the database
                break
    ok = all(v == "ok" for v in results.values()) and len(results) == len(READINESS_CHECKS)
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": results}, status_code=200 if ok else 503)


# --- metrics ------------------------------------------------------------------------------------


def _metrics_allowed(request: Request) -> bool:
    settings = get_settings()
    token = settings.metrics_token
    offered = request.headers.get("authorization", "")
    if token and secrets.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    host = request.client.host if request.client else ""
    return host in settings.metrics_addresses


def _refresh_gauges() -> None:
    """The whole-service figures, read from the database at scrape time (no names, only counts)."""
    metrics.ACTIVE_SESSIONS.set(sessions.active_sessions())
    with get_engine().connect() as connection:
        try:
            rows = connection.execute(text("SELECT status, count(*) FROM outbox_message GROUP BY status")).all()
        except Exception:  # no outbox table (yet): nothing to report
            connection.rollback()
            return
    metrics.OUTBOX_MESSAGES.clear()
    for status, count in rows:
        metrics.OUTBOX_MESSAGES.labels(status=str(status)).set(int(count))


async def metrics_page(request: Request) -> Response:
    if not _metrics_allowed(request):
        return PlainTextResponse("Metrics are available only to the monitoring system.", status_code=403)
    try:
        await anyio.to_thread.run_sync(_refresh_gauges)
    except Exception as error:
        metrics.DB_ERRORS.inc()
        _log.warning("metrics: could not read the database: %s", type(error).__name__)
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


ROUTES = [
    Route(COOKIE_ROUTE, session_cookie, methods=["GET"]),
    Route("/health/live", live, methods=["GET"]),
    Route("/health/ready", ready, methods=["GET"]),
    Route("/metrics", metrics_page, methods=["GET"]),
]


# --- errors -------------------------------------------------------------------------------------


def on_script_error(error: Exception) -> bool:
    """st.App's hook for an error no page caught (in app.py itself or a widget callback):
    a plain apology with a reference number instead of Streamlit's trace."""
    reference = log_error(error, "a script run")
    try:
        import streamlit as st

        st.error(apology(reference), icon=":material/error:")
    except Exception:
        return False
    return True


async def server_error(request: Request, error: Exception) -> Response:
    """An error in an HTTP route: a plain apology with the reference; the trace is in the log."""
    reference = log_error(error, "a request")
    # Starlette answers an uncaught error outside every middleware, so the headers are added here.
    return PlainTextResponse(apology(reference), status_code=500, headers=security_headers(is_https(request.scope)))


# --- start-up -----------------------------------------------------------------------------------


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """JSON logs, then the migrations under the existing lock (db/migrate.py), so that two
    processes starting together cannot both migrate."""
    configure_logging()
    await anyio.to_thread.run_sync(upgrade, database_url())
    _log.info("portal process started")
    yield
    _log.info("portal process stopping")
