"""Signing in and out through the real form, in a real browser, as each demo role;
and sessions end to end: signing out (Back, refresh and deep links then show
nothing), the lockout after five wrong passwords, and the idle timeout (on a
second portal started with ``PQP_IDLE_TIMEOUT_SECONDS``, so the test need not
wait half an hour), which also clears an unattended screen by itself. Single
sign-on is in ``test_sso.py``.

Set ``PQP_SCREENSHOTS=/some/folder`` to also save a full-page screenshot of
each role's home page there (``home-admin.png`` and so on) for a human to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.demo import ADMIN_EMAIL, DEMO_LOGINS, DEMO_PASSWORD, PRACTITIONER_EMAIL, QA_LEAD_EMAIL, SPO_EMAIL
from db.organisation import User
from qa.access.auth import WRONG_DETAILS
from tests.browser.conftest import start_portal
from tests.browser.helpers import database, idle, nav_link, sign_in

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: Streamlit renders asynchronously over its websocket (and CI machines are busy)


@dataclass(frozen=True)
class Home:
    slug: str
    email: str
    title: re.Pattern[str]
    menu_entry: str  # a sidebar menu entry that only this role has


HOMES = [
    Home("admin", ADMIN_EMAIL, re.compile(r"^Administration$"), "Users"),
    Home("qa-lead", QA_LEAD_EMAIL, re.compile(r"^PDU overview: \S"), "PDU overview"),
    Home("spo", SPO_EMAIL, re.compile(r"^Team home: \S"), "Team home"),
    Home("practitioner", PRACTITIONER_EMAIL, re.compile(r"^Welcome, \S"), "My home"),
]
ROLE_ONLY_ENTRIES = {home.menu_entry for home in HOMES}


def open_portal(page: Page, base_url: str) -> None:
    page.goto(base_url)
    expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)


@pytest.mark.parametrize("home", HOMES, ids=[h.slug for h in HOMES])
def test_each_demo_login_reaches_its_home(page: Page, portal_url: str, home: Home, save_screenshot):
    open_portal(page, portal_url)
    sign_in(page, home.email, DEMO_PASSWORD)

    expect(page.get_by_role("heading", level=1, name=home.title)).to_be_visible(timeout=WAIT)
    expect(nav_link(page, home.menu_entry)).to_be_visible(timeout=WAIT)
    for other in ROLE_ONLY_ENTRIES - {home.menu_entry}:
        expect(nav_link(page, other)).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)

    folder = os.environ.get("PQP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        save_screenshot(page, Path(folder) / f"home-{home.slug}.png")


def test_wrong_password_is_refused(page: Page, portal_url: str):
    open_portal(page, portal_url)
    sign_in(page, PRACTITIONER_EMAIL, "not-the-password", expect_signed_in=False)

    expect(page.get_by_text(WRONG_DETAILS.split(".")[0])).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("not right", exact=False)).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def expect_signed_out(page: Page) -> None:
    """The sign-in form and nothing else: no menu, no protected page."""
    expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(["Practice Quality Portal"])


def test_sign_out_returns_to_the_sign_in_form(page: Page, portal_url: str):
    open_portal(page, portal_url)
    sign_in(page, SPO_EMAIL, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Team home: "))).to_be_visible(timeout=WAIT)
    nav_link(page, "Team audit feedback").click()
    expect(page.get_by_role("heading", level=1, name="Team audit feedback")).to_be_visible(timeout=WAIT)
    assert page.url.endswith("/team-feedback")

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()

    expect(page.get_by_text("You have signed out.")).to_be_visible(timeout=WAIT)
    expect_signed_out(page)

    # Back (to the team home's address, still in the history) shows no protected page ...
    page.go_back()
    assert page.url.rstrip("/") == portal_url
    expect_signed_out(page)
    # ... nor does a refresh, nor a link straight to a page.
    page.reload()
    expect_signed_out(page)
    page.goto(f"{portal_url}/team-feedback")
    expect_signed_out(page)
    page.goto(f"{portal_url}/team")
    expect_signed_out(page)


def test_demo_banner_is_shown(page: Page, portal_url: str):
    open_portal(page, portal_url)
    expect(page.get_by_text("Demo organisation", exact=False).first).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Every person and case here is synthetic", exact=False)).to_be_visible()


# --- lockout ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def lockout_email(demo_database_url) -> str:
    """A demo practitioner no other browser test signs in as (this test locks them out)."""
    with database(demo_database_url) as session:
        return session.exec(
            select(User.email)
            .where(User.email.not_in(list(DEMO_LOGINS)), User.supervisor_id.is_not(None), User.is_active.is_(True))
            .order_by(User.id.desc())
        ).first()


def locked_state(database_url: str, email: str) -> User:
    with database(database_url) as session:
        return session.exec(select(User).where(User.email == email)).one()


def test_five_wrong_passwords_lock_the_account_and_then_even_the_right_one_is_refused(
    page: Page, portal_url: str, demo_database_url: str, lockout_email: str, review_screenshot
):
    open_portal(page, portal_url)
    for attempt in range(1, 5):
        sign_in(page, lockout_email, f"wrong-password-{attempt}", expect_signed_in=False)
        # The message is the same each time (no countdown), so wait for this attempt to be counted.
        for _ in range(100):
            if locked_state(demo_database_url, lockout_email).failed_logins >= attempt:
                break
            page.wait_for_timeout(200)
        idle(page)
        expect(page.get_by_text(WRONG_DETAILS.split(". ")[0])).to_be_visible(timeout=WAIT)

    sign_in(page, lockout_email, "wrong-password-5", expect_signed_in=False)
    locked = page.get_by_text(
        re.compile(r"This account is locked for 15 minutes after 5 failed sign-in attempts\. Try again after \d\d:\d\d")
    )
    expect(locked).to_be_visible(timeout=WAIT)

    # The right password, during the lockout: still refused, with the same plain message.
    sign_in(page, lockout_email, DEMO_PASSWORD, expect_signed_in=False)
    page.wait_for_timeout(1_500)
    idle(page)
    expect(locked).to_be_visible()
    expect_signed_out(page)
    review_screenshot(page, "sign-in-locked")
    user = locked_state(demo_database_url, lockout_email)
    assert user.locked_until is not None and user.failed_logins >= 5
    assert user.last_login_at is None, "the right password during the lockout did not sign in"


# --- idle timeout -------------------------------------------------------------------

IDLE_SECONDS = 10


@pytest.fixture(scope="module")
def short_idle_portal(chromium_executable, demo_database_url, tmp_path_factory) -> Iterator[str]:
    """A second portal on the demo database that signs out after 10 idle seconds."""
    folder = tmp_path_factory.mktemp("idle-server")
    with start_portal(demo_database_url, folder, env={"PQP_IDLE_TIMEOUT_SECONDS": str(IDLE_SECONDS)}) as url:
        yield url


def test_an_idle_session_is_signed_out_and_activity_keeps_it_alive(
    page: Page, short_idle_portal: str, review_screenshot
):
    open_portal(page, short_idle_portal)
    sign_in(page, PRACTITIONER_EMAIL, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Welcome, \S"))).to_be_visible(timeout=WAIT)

    # Clicks less than the idle time apart keep the session, even past the idle time in total.
    for label in ("My account", "My home"):
        page.wait_for_timeout(IDLE_SECONDS * 1000 * 0.6)
        nav_link(page, label).click()
        title = "My account" if label == "My account" else re.compile(r"^Welcome, \S")
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=WAIT)
        expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()

    # Then nothing at all: the screen clears itself once the idle time has passed
    # (app.py checks every half idle time), without waiting for a click.
    signed_out = page.get_by_text(f"You were signed out after {IDLE_SECONDS} seconds without activity.")
    page.wait_for_timeout(IDLE_SECONDS * 1000 * 0.8)
    expect(signed_out).to_have_count(0)
    expect(signed_out).to_be_visible(timeout=IDLE_SECONDS * 1000 + WAIT)
    expect_signed_out(page)
    review_screenshot(page, "sign-in-idle-timeout")
    page.goto(f"{short_idle_portal}/account")
    expect_signed_out(page)
