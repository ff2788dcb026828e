"""Helpers shared by the browser tests: finding and using the portal's widgets
the way a person would, and reading the server's database from the test.

Fixtures (the live portal, the browser, ``signed_in``, screenshots) are in
``conftest.py``; these are plain functions, imported by the test modules.

Streamlit draws asynchronously and reruns the whole script after each click,
so most helpers wait for what they did to show before returning (``WAIT``).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from db.demo import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS, full_screenshot

WAIT = 20_000  # ms: Streamlit renders asynchronously and reruns after each click (and CI machines are busy)
PAGE_NOT_FOUND = "Page not found"


# ------------------------------------------------------------- script runs


def idle(page: Page) -> None:
    """Wait until no script run is in progress (a rerun redraws the page, and
    closes an open list or loses a click made meanwhile)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT)


class RunWatcher:
    """Counts the script runs the server reports finished for one page, read
    from the websocket through a Chrome DevTools session (which also sees a
    websocket opened before it started watching, such as ``signed_in``'s)."""

    def __init__(self, page: Page):
        self.finished = 0
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.on("Network.webSocketFrameReceived", self._frame)
        self._cdp.send("Network.enable")

    def _frame(self, event) -> None:
        response = event["response"]
        if response.get("opcode") != 2:  # Streamlit's messages are binary protobufs
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(base64.b64decode(response["payloadData"]))
        except Exception:
            return
        # A run cut short by st.rerun or st.switch_page is followed by another: wait for that one.
        if (
            message.WhichOneof("type") == "script_finished"
            and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            self.finished += 1


_watchers: dict[Page, RunWatcher] = {}


def watch(page: Page) -> RunWatcher:
    """The page's ``RunWatcher``, started on first use."""
    if page not in _watchers:
        _watchers[page] = RunWatcher(page)
    return _watchers[page]


def after_run(page: Page, action: Callable[[], object]) -> None:
    """Do ``action`` and wait until the script run it causes has finished and been drawn.

    ``idle`` alone can look before the run has even started; a test that checks
    what a page does *not* show must know the page is complete, or it passes
    on a half-drawn page."""
    watcher = watch(page)
    before = watcher.finished
    action()
    deadline = time.monotonic() + WAIT / 1000
    while watcher.finished == before:
        if time.monotonic() > deadline:
            pytest.fail(f"no script run finished within {WAIT} ms at {page.url}")
        page.wait_for_timeout(25)  # lets Playwright deliver the websocket events
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    idle(page)


# ------------------------------------------------------------- signing in


def dismiss_page_not_found(page: Page) -> bool:
    """Close Streamlit's "Page not found" dialog if it is showing; say whether it was."""
    dialog = page.get_by_role("dialog").filter(has_text=PAGE_NOT_FOUND)
    if dialog.count() == 0:
        return False
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0, timeout=WAIT)
    return True


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD, *, expect_signed_in: bool = True) -> None:
    """Sign in through the real form on whatever page shows it (a deep link
    opened while signed out shows the form at that address, with Streamlit's
    "Page not found" dialog over it, which is closed first).

    Waits until the sidebar's "Sign out" shows and the run has finished; pass
    ``expect_signed_in=False`` when the test expects a refusal and checks it itself."""
    expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)
    idle(page)
    dismiss_page_not_found(page)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    if expect_signed_in:
        expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)
        idle(page)


# ------------------------------------------------------------- finding things


def nav_link(page: Page, label: str) -> Locator:
    """The sidebar menu link whose visible label is exactly ``label`` (icons aside:
    Streamlit puts a menu entry's icon in the link's name, before the label)."""
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(rf"(^|\s){re.escape(label)}$"))


def heading(page: Page, text: str | re.Pattern[str]) -> Locator:
    """The page title (the one h1): exactly ``text``, or matching a pattern."""
    if isinstance(text, str):
        return page.get_by_role("heading", level=1, name=text, exact=True)
    return page.get_by_role("heading", level=1, name=text)


def main_title(page: Page) -> Locator:
    """The title (h1) of the main column, whatever it says."""
    return page.get_by_test_id("stMain").get_by_role("heading", level=1)


def flash(page: Page, text: str | re.Pattern[str]) -> Locator:
    """The green confirmation shown after a save (the flash message)."""
    return page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)


# ------------------------------------------------------------- doing things


def open_menu(page: Page, label: str, title: str | re.Pattern[str] | None = None, *, whole_run: bool = False) -> None:
    """Follow a sidebar menu entry and wait for its page, titled ``title`` or like the entry.

    A long menu (a QA lead's, say) shows only its first entries until "View N
    more" is clicked: open it first when the entry is among the hidden ones.
    With ``whole_run=True`` the click also waits for the script run it causes
    to finish (``after_run``): use it before checking what a page does not show."""
    link = nav_link(page, label)
    more = page.get_by_test_id("stSidebarNav").get_by_text(re.compile(r"^View \d+ more$"))
    expect(link.or_(more).filter(visible=True).first).to_be_visible(timeout=WAIT)
    if not link.is_visible():
        more.click()
    if whole_run:
        after_run(page, link.click)
    else:
        link.click()
    expect(heading(page, title or label)).to_be_visible(timeout=WAIT)


def choose(page: Page, combobox: str, option: str, scope: Page | Locator | None = None) -> None:
    """Pick ``option`` in the select box labelled ``combobox`` (within ``scope``
    when two boxes share a label).

    The option is typed, not scrolled to: a long list only draws the options in
    view. The list can close before the option is clicked (a rerun starts just
    after the click when the box that had the focus, a date say, is left; or
    the panel holding the box is still opening), so open it again, up to three
    times, waiting for the run to finish before each try."""
    box = (scope or page).get_by_role("combobox", name=combobox, exact=True)
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        idle(page)
        box.click()
        page.keyboard.type(option)
        try:
            expect(choice).to_be_visible(timeout=3_000 if attempt < 2 else WAIT)
            choice.click(timeout=3_000)
            break
        except (AssertionError, PlaywrightError):
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    expect(box).to_have_value(option, timeout=WAIT)


def tick(scope: Locator, label: str) -> None:
    """Tick a Streamlit checkbox and check that it is ticked. The visible box is
    drawn over a hidden input, which Playwright will not click: click the label."""
    scope.get_by_text(label, exact=True).click()
    expect(scope.get_by_role("checkbox", name=label, exact=True)).to_be_checked(timeout=WAIT)


def shot(page: Page, name: str) -> Path:
    """Always save a whole-page screenshot as ``test-artifacts/browser/<name>.png``
    (for a person to look at after the run, pass or fail); returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    full_screenshot(page, path)
    return path


# ------------------------------------------------------------- the server's database


@contextmanager
def database(url: str) -> Iterator[Session]:
    """A session on the server's database, for the test to read what the pages did.

    Uses the portal's own engine settings (WAL and a busy timeout: a read while
    the server writes waits rather than fails) without pointing ``db.engine``'s
    default at it; the connections are closed afterwards."""
    from db.engine import get_engine

    engine = get_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def services_on(url: str) -> Iterator[None]:
    """Point this process's portal services (``qa.*``) at the server's database
    for a while, to set up what a journey needs faster than through the pages.

    The server was started with this process's environment, so both share
    ``PQP_ENCRYPTION_KEYS`` (tests/conftest.py sets one for the whole run)."""
    from db import engine as db_engine

    db_engine.configure(url)
    try:
        yield
    finally:
        db_engine.get_engine(url).dispose()
        db_engine.configure(None)


# ------------------------------------------------------------- signing in without the form


def session_cookie_for(database_url: str, email: str) -> str:
    """A new sign-in session for ``email``, made straight in the server's database (as a password
    sign-in would make it: qa/access/sessions.start); returns the id the session cookie holds."""
    from sqlmodel import select

    from db.engine import session_scope
    from db.organisation import User
    from db.sessions import SignInMethod
    from qa.access import sessions

    with services_on(database_url), session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        assert user.id is not None
        return sessions.start(session, user.id, SignInMethod.PASSWORD, "Playwright")


def sign_in_fast(page: Page, portal_url: str, database_url: str, email: str, path: str = "") -> None:
    """Open ``portal_url/path`` already signed in as ``email``: the session cookie is set in the
    browser from a session made in the database, so the form is skipped. Much faster than
    :func:`sign_in`; use that one for tests about the form itself."""
    from qa.access.sessions import COOKIE

    raw = session_cookie_for(database_url, email)
    page.context.add_cookies([{"name": COOKIE, "value": raw, "url": portal_url, "httpOnly": True, "sameSite": "Lax"}])
    page.goto(f"{portal_url}/{path.lstrip('/')}")
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)
