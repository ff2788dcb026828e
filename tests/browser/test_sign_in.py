"""Signing in and out through the real form, in a real browser, as each demo role.

Set ``PQP_SCREENSHOTS=/some/folder`` to also save a full-page screenshot of
each role's home page there (``home-admin.png`` and so on) for a human to look at.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from db.demo import ADMIN_EMAIL, DEMO_PASSWORD, PRACTITIONER_EMAIL, QA_LEAD_EMAIL, SPO_EMAIL
from qa.auth import WRONG_DETAILS

pytestmark = pytest.mark.browser

WAIT = 15_000  # ms: Streamlit renders asynchronously over its websocket


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


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def nav_link(page: Page, label: str):
    """The sidebar menu link whose visible label is exactly ``label`` (icons aside)."""
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(rf"(^|\s){re.escape(label)}$"))


@pytest.mark.parametrize("home", HOMES, ids=[h.slug for h in HOMES])
def test_each_demo_login_reaches_its_home(page: Page, portal_url: str, home: Home, save_screenshot):
    open_portal(page, portal_url)
    sign_in(page, home.email, DEMO_PASSWORD)

    expect(page.get_by_role("heading", level=1, name=home.title)).to_be_visible(timeout=WAIT)
    expect(nav_link(page, home.menu_entry)).to_be_visible(timeout=WAIT)
    for other in ROLE_ONLY_ENTRIES - {home.menu_entry}:
        expect(nav_link(page, other)).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    folder = os.environ.get("PQP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        save_screenshot(page, Path(folder) / f"home-{home.slug}.png")


def test_wrong_password_is_refused(page: Page, portal_url: str):
    open_portal(page, portal_url)
    sign_in(page, PRACTITIONER_EMAIL, "not-the-password")

    expect(page.get_by_text(WRONG_DETAILS.split(".")[0])).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("not right", exact=False)).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_sign_out_returns_to_the_sign_in_form(page: Page, portal_url: str):
    open_portal(page, portal_url)
    sign_in(page, SPO_EMAIL, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Team home: "))).to_be_visible(timeout=WAIT)

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()

    expect(page.get_by_text("You have signed out.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_demo_banner_is_shown(page: Page, portal_url: str):
    open_portal(page, portal_url)
    expect(page.get_by_text("Demo organisation", exact=False).first).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Every person and case here is synthetic", exact=False)).to_be_visible()
