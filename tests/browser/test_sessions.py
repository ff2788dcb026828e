"""Sessions in a real browser, through the launcher (portal_app.py): the session cookie keeps a
refresh, a new tab and a deep link signed in; the idle limit ends the session on the server, so
a replayed cookie no longer works; signing out ends every tab; "Sign out of all other sessions";
a forged sign-in link cannot sign a browser in; every response carries the security headers; and
the server's log of a whole journey holds neither the password nor a canary text typed in it.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.demo import DEMO_PASSWORD, PRACTITIONER_EMAIL, SPO_EMAIL
from db.sessions import SignInSession
from qa.access import sessions
from tests.browser.conftest import start_portal
from tests.browser.helpers import (
    WAIT,
    database,
    flash,
    idle,
    nav_link,
    services_on,
    session_cookie_for,
    sign_in,
    sign_in_fast,
)

pytestmark = pytest.mark.browser

SIGN_OUT = "Sign out"
EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@dataclass(frozen=True)
class Portal:
    url: str
    database_url: str
    log: Path


@pytest.fixture(scope="module")
def portal(chromium_executable, demo_database_url, tmp_path_factory) -> Iterator[Portal]:
    """A portal of this module's own, so that its server log holds only these tests' journeys."""
    folder = tmp_path_factory.mktemp("sessions-server")
    with start_portal(demo_database_url, folder) as url:
        yield Portal(url, demo_database_url, folder / "streamlit.log")


def signed_in_here(page: Page) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name=SIGN_OUT)).to_be_visible(timeout=WAIT)


def signed_out_here(page: Page) -> None:
    expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name=SIGN_OUT)).to_have_count(0)


def session_rows(database_url: str, user_email: str) -> int:
    from db.organisation import User

    with database(database_url) as session:
        user = session.exec(select(User).where(User.email == user_email)).one()
        return len(session.exec(select(SignInSession).where(SignInSession.user_id == user.id)).all())


# --- the cookie ---------------------------------------------------------------------------------


def test_a_refresh_a_new_tab_and_a_deep_link_stay_signed_in(page: Page, portal: Portal):
    # Signed out, a deep link shows the form at that address; signing in goes through the cookie
    # route and back to the page the link pointed to.
    page.goto(f"{portal.url}/account")
    sign_in(page, PRACTITIONER_EMAIL)
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible(timeout=WAIT)
    assert page.url == f"{portal.url}/account"
    cookie = next(c for c in page.context.cookies() if c["name"] == sessions.COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # plain HTTP here

    page.reload()
    signed_in_here(page)
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible(timeout=WAIT)

    tab = page.context.new_page()
    tab.goto(f"{portal.url}/my-supervision")
    signed_in_here(tab)
    expect(tab.get_by_role("heading", level=1, name="My supervision")).to_be_visible(timeout=WAIT)
    tab.goto(portal.url)
    expect(tab.get_by_role("heading", level=1, name=re.compile(r"^Welcome, \S"))).to_be_visible(timeout=WAIT)


def test_signing_out_ends_every_tab(page: Page, portal: Portal):
    sign_in_fast(page, portal.url, portal.database_url, SPO_EMAIL)
    other = page.context.new_page()
    other.goto(f"{portal.url}/account")
    signed_in_here(other)

    idle(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name=SIGN_OUT).click()
    expect(page.get_by_text("You have signed out.")).to_be_visible(timeout=WAIT)

    # The other tab signs out on its next click, and says why.
    idle(other)
    nav_link(other, "Team home").click()
    expect(other.get_by_text(sessions.ENDED_ELSEWHERE)).to_be_visible(timeout=WAIT)
    signed_out_here(other)
    other.reload()
    signed_out_here(other)


def test_sign_out_of_all_other_sessions(browser, portal: Portal):
    laptop = browser.new_context().new_page()
    phone = browser.new_context().new_page()
    try:
        sign_in_fast(laptop, portal.url, portal.database_url, PRACTITIONER_EMAIL, "account")
        sign_in_fast(phone, portal.url, portal.database_url, PRACTITIONER_EMAIL)
        laptop.reload()
        expect(laptop.get_by_text("Sign out of all other sessions")).to_be_visible(timeout=WAIT)
        idle(laptop)
        laptop.get_by_role("button", name="Sign out of all other sessions").click()
        # The page's message, not the toast that repeats it for a few seconds.
        expect(flash(laptop, re.compile(r"Signed out of \d+ other sessions?\."))).to_be_visible(timeout=WAIT)
        expect(laptop.get_by_text("You are not signed in anywhere else.")).to_be_visible(timeout=WAIT)

        idle(phone)
        nav_link(phone, "My account").click()
        signed_out_here(phone)
        laptop.reload()
        signed_in_here(laptop)
    finally:
        laptop.context.close()
        phone.context.close()


def test_a_sign_in_link_made_for_another_browser_signs_nobody_in(page: Page, portal: Portal):
    """Login CSRF: someone signs in themselves, then makes a victim's browser follow the cookie
    route with their own ticket. The ticket is bound to the browser it was issued to."""
    raw = session_cookie_for(portal.database_url, SPO_EMAIL)
    with services_on(portal.database_url):
        ticket = sessions.issue_ticket(raw, "the-attacker's-own-browser")
    page.goto(f"{portal.url}{sessions.COOKIE_ROUTE}?ticket={ticket}&next=/team")
    signed_out_here(page)
    assert all(c["name"] != sessions.COOKIE for c in page.context.cookies())
    # The ticket is spent, so it cannot be tried again from the right browser either.
    with services_on(portal.database_url):
        assert sessions.redeem_ticket(ticket, "the-attacker's-own-browser") is None


# --- idle expiry on the server ------------------------------------------------------------------

IDLE_SECONDS = 6


def test_an_idle_session_ends_on_the_server_and_its_replayed_cookie_is_refused(
    browser, demo_database_url, tmp_path_factory
):
    folder = tmp_path_factory.mktemp("sessions-idle")
    with start_portal(demo_database_url, folder, env={"PQP_IDLE_TIMEOUT_SECONDS": str(IDLE_SECONDS)}) as url:
        first = browser.new_context().new_page()
        try:
            page = first
            page.goto(url)
            sign_in(page, PRACTITIONER_EMAIL)
            cookie = next(c for c in page.context.cookies() if c["name"] == sessions.COOKIE)
            expect(
                page.get_by_text(f"You were signed out after {IDLE_SECONDS} seconds without activity.")
            ).to_be_visible(timeout=IDLE_SECONDS * 2000 + WAIT)
        finally:
            first.context.close()
        # The same cookie, replayed in a new browser: the session is gone on the server.
        replay = browser.new_context()
        try:
            replay.add_cookies([cookie])
            again = replay.new_page()
            again.goto(f"{url}/account")
            signed_out_here(again)
        finally:
            replay.close()
        with services_on(demo_database_url):
            assert sessions.resume(cookie["value"]).actor is None


# --- headers, errors and the log ----------------------------------------------------------------


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def test_every_response_carries_the_security_headers(portal: Portal):
    status, headers, html = fetch(portal.url + "/")
    assert status == 200
    script = re.search(r'src="\./(static/js/[^"]+\.js)"', html)
    assert script, "Streamlit's index.html names its script"
    responses = {
        "main page": (status, headers),
        "static asset": fetch(f"{portal.url}/{script.group(1)}")[:2],
        "error": fetch(f"{portal.url}{sessions.COOKIE_ROUTE}", method="POST")[:2],
        "health": fetch(f"{portal.url}/health/live")[:2],
    }
    assert responses["error"][0] == 405  # the cookie route answers GET only
    for what, (_status, got) in responses.items():
        for name, value in EXPECTED_HEADERS.items():
            assert got.get(name) == value, (what, name)
        policy = got["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, what
        assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy, what
        assert "camera=()" in got["permissions-policy"], what
        assert "strict-transport-security" not in got, what  # plain HTTP: no HSTS
    # Behind a TLS-terminating proxy on this machine (uvicorn believes X-Forwarded-Proto from it):
    _status, https_headers, _ = fetch(portal.url + "/", {"X-Forwarded-Proto": "https"})
    assert https_headers["strict-transport-security"].startswith("max-age=31536000")
    assert "Secure" in https_headers["set-cookie"]


def test_health_and_metrics(portal: Portal):
    assert fetch(f"{portal.url}/health/live")[0] == 200
    status, _headers, body = fetch(f"{portal.url}/health/ready")
    assert status == 200 and '"database":"ok"' in body and '"encryption_key":"ok"' in body
    status, _headers, body = fetch(f"{portal.url}/metrics")  # from 127.0.0.1, on the allow-list
    assert status == 200
    for name in ("pqp_active_sessions", "pqp_page_runs_total", "pqp_sign_in_failures_total", "pqp_db_errors_total"):
        assert name in body
    assert "@" not in body  # no email address, nor any other personal data


def test_the_log_of_a_journey_holds_neither_the_password_nor_what_was_typed(page: Page, portal: Portal):
    canary = "Canary-7f3a: the supervision felt difficult today"
    page.goto(portal.url)
    sign_in(page, PRACTITIONER_EMAIL)
    nav_link(page, "Quick debrief").click()
    expect(page.get_by_role("heading", level=1, name="Quick debrief")).to_be_visible(timeout=WAIT)
    idle(page)
    form = page.get_by_test_id("stForm")
    form.get_by_role("button", name="anxious", exact=True).click()
    form.get_by_text("Add more (optional)").click()
    form.get_by_label("What happened?", exact=True).fill(canary)
    form.get_by_role("button", name="Save debrief").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible(timeout=WAIT)
    page.reload()
    signed_in_here(page)
    log = portal.log.read_text()
    assert '"path": "/_pqp/session"' in log  # the journey is in the log, as JSON lines
    assert canary not in log and "Canary-7f3a" not in log
    assert DEMO_PASSWORD not in log
    assert "ticket=" not in log  # the one-time ticket stays out of the log too
