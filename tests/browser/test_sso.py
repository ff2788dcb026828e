"""Single sign-on end to end: Chromium, the portal under ``streamlit run``, and a
real local OpenID Connect provider (``oidc-provider-mock``, a test dependency).

The provider's own page lets a tester authorise as any subject; a subject it
does not know gets the claim ``email`` equal to the subject, which is what the
portal matches on. The portal runs with its own secrets file (``--secrets.files``
in a temporary folder, so the repository's ``.streamlit/`` is never touched) and
its own copy of the demo organisation, because one test here turns on "SSO only".

Set ``PQP_SCREENSHOTS=/some/folder`` to keep screenshots of each step.
"""

from __future__ import annotations

import importlib.util
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import func, select

from db.demo import ADMIN_EMAIL, SPO_EMAIL
from db.organisation import AuditTrail, User
from tests.browser.conftest import ROOT, _die_with_parent, _free_port, _stop, load_demo_database, start_portal
from tests.browser.helpers import database

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms; a sign-in here is three hops: portal, provider, portal
SSO_BUTTON = "Sign in with single sign-on"
NOT_YET = "You are signed in with your organisation account, but you do not have access to the portal yet."


@dataclass(frozen=True)
class SsoPortal:
    url: str
    database_url: str
    provider_url: str


@contextmanager
def oidc_provider(folder) -> Iterator[str]:
    """``python -m oidc_provider_mock`` on a free port until the block ends; yields its URL."""
    if importlib.util.find_spec("oidc_provider_mock") is None:
        pytest.fail("oidc-provider-mock is missing: pip install -e '.[test]' installs it", pytrace=False)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "oidc-provider.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the OIDC provider did not start:\n{log_path.read_text()}", pytrace=False)
            time.sleep(0.25)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def sso_portal(chromium_executable, tmp_path_factory) -> Iterator[SsoPortal]:
    folder = tmp_path_factory.mktemp("sso")
    database_url = load_demo_database(folder / "portal.db")
    with oidc_provider(folder) as provider_url:
        port = _free_port()
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            'client_id = "practice-quality-portal"\n'
            f'client_secret = "{secrets.token_urlsafe(16)}"\n'
            f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
        )
        with start_portal(database_url, folder, args=["--secrets.files", str(secrets_file)], port=port) as url:
            yield SsoPortal(url, database_url, provider_url)


def sign_in_with_sso(page: Page, portal: SsoPortal, email: str, review_screenshot=None) -> None:
    """From the portal's sign-in page through the provider's page and back."""
    page.goto(portal.url)
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible(timeout=WAIT)
    if review_screenshot:
        review_screenshot(page, "sso-1-sign-in-page")
    page.get_by_role("button", name=SSO_BUTTON).click()
    page.wait_for_url(re.compile(re.escape(portal.provider_url) + r"/oauth2/authorize"), timeout=WAIT)
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(portal.url) + r"/?(\?.*)?$"), timeout=WAIT)


def sidebar_sign_out(page: Page):
    return page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")


def test_a_known_user_signs_in_through_the_provider_and_lands_on_their_home(
    page: Page, sso_portal: SsoPortal, review_screenshot
):
    sign_in_with_sso(page, sso_portal, SPO_EMAIL, review_screenshot)

    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Team home: \S"))).to_be_visible(timeout=WAIT)
    expect(sidebar_sign_out(page)).to_be_visible()
    review_screenshot(page, "sso-2-signed-in-home")
    with database(sso_portal.database_url) as session:
        spo = session.exec(select(User).where(User.email == SPO_EMAIL)).one()
        assert spo.last_login_at is not None
        assert session.exec(
            select(AuditTrail).where(AuditTrail.action == "signed_in_sso", AuditTrail.entity_id == str(spo.id))
        ).first(), "an SSO sign-in is in the audit trail"

    # Signing out of the portal ends the SSO identity too: the provider's end-session page, then back.
    sidebar_sign_out(page).click()
    page.wait_for_url(re.compile(re.escape(sso_portal.provider_url) + r"/oauth2/end_session"), timeout=WAIT)
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible(timeout=WAIT)
    expect(sidebar_sign_out(page)).to_have_count(0)
    # A fresh visit does not sign back in from a leftover cookie.
    page.goto(f"{sso_portal.url}/team")
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Team home"))).to_have_count(0)
    expect(sidebar_sign_out(page)).to_have_count(0)


def test_an_unknown_user_is_refused_and_no_account_is_created(page: Page, sso_portal: SsoPortal, review_screenshot):
    stranger = "stranger@elsewhere.example"
    with database(sso_portal.database_url) as session:
        people_before = session.exec(select(func.count()).select_from(User)).one()

    sign_in_with_sso(page, sso_portal, stranger)

    expect(page.get_by_text(NOT_YET)).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Ask your administrator to add you.")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(sidebar_sign_out(page)).to_have_count(0)
    review_screenshot(page, "sso-3-unknown-user-refused")
    # A deep link does not get past the refusal either.
    page.goto(f"{sso_portal.url}/my-supervision")
    expect(page.get_by_text(NOT_YET)).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    with database(sso_portal.database_url) as session:
        assert session.exec(select(User).where(User.email == stranger)).first() is None
        assert session.exec(select(func.count()).select_from(User)).one() == people_before


def test_sso_only_turns_off_passwords_and_the_break_glass_command_turns_them_back_on(
    page: Page, browser, sso_portal: SsoPortal, review_screenshot
):
    # An administrator signed in with SSO turns passwords off on Settings.
    sign_in_with_sso(page, sso_portal, ADMIN_EMAIL)
    expect(sidebar_sign_out(page)).to_be_visible(timeout=WAIT)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(r"(^|\s)Settings$")).click()
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible(timeout=WAIT)
    page.get_by_text("Single sign-on only: turn off portal passwords").click()
    page.get_by_role("button", name="Save sign-in setting").click()
    expect(page.get_by_text("Single sign-on only is on: portal passwords are turned off.").first).to_be_visible(
        timeout=WAIT
    )
    review_screenshot(page, "sso-4-settings-sso-only-on")

    # Someone else now sees no password form at all.
    other = browser.new_context(viewport=page.viewport_size, locale="en-GB", timezone_id="Europe/London").new_page()
    try:
        other.goto(sso_portal.url)
        expect(other.get_by_role("button", name=SSO_BUTTON)).to_be_visible(timeout=WAIT)
        expect(other.get_by_label("Password", exact=True)).to_have_count(0)
        expect(other.get_by_label("Email", exact=True)).to_have_count(0)
        expect(other.get_by_text("Signing in with a portal password is turned off")).to_be_visible()
        review_screenshot(other, "sso-5-sign-in-sso-only")

        # Break-glass, from a shell on the server.
        result = subprocess.run(
            [sys.executable, "-m", "portal", "--database-url", sso_portal.database_url, "sso-only", "off"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "portal passwords can be used again" in result.stdout
        other.reload()
        expect(other.get_by_label("Password", exact=True)).to_be_visible(timeout=WAIT)
    finally:
        other.context.close()
