"""Two portal processes on one PostgreSQL behind nginx, as docs/DEPLOY.md describes: a person
signs in through nginx, saves something, and the process serving them is killed; the browser
reconnects through nginx to the other process, still signed in, with nothing saved lost, and
can go on saving there.

Needs PostgreSQL (``TEST_DATABASE_URL``) and Debian's nginx (``/usr/sbin/nginx``, installed by
.ci/install); without them it skips, except under CI, where a missing nginx fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.proxy_load import NGINX, nginx_in_front
from db import engine as db_engine
from db.migrate import upgrade
from db.organisation import FirstAdminCreate
from tests.browser.conftest import _free_port, start_portal
from tests.browser.helpers import WAIT, dismiss_page_not_found, flash, idle, nav_link, services_on, sign_in
from tests.conftest import PG_URL

pytestmark = pytest.mark.browser

ADMIN = "failover.admin@example.org"
PASSWORD = "failover-password-2026"
#: Every portal process behind one proxy shares Streamlit's cookie secret (docs/DEPLOY.md).
SHARED_ENV = {"STREAMLIT_SERVER_COOKIE_SECRET": "the-same-secret-on-every-process"}


@contextmanager
def throwaway_postgresql() -> Iterator[str]:
    name = f"pqp_failover_{uuid.uuid4().hex[:8]}"
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


@pytest.fixture
def two_processes_behind_nginx(chromium_executable, tmp_path) -> Iterator[tuple[str, dict[int, subprocess.Popen], str]]:
    if not PG_URL:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): two portal processes share one database")
    if not shutil.which(NGINX):
        if os.environ.get("CI"):
            pytest.fail("CI is set and nginx is missing (.ci/install installs nginx-light)", pytrace=False)
        pytest.skip("needs Debian's nginx")
    with ExitStack() as stack:
        url = stack.enter_context(throwaway_postgresql())
        upgrade(url)
        with services_on(url):
            from qa.access import auth

            auth.create_first_admin(
                FirstAdminCreate(full_name="Failover Admin", email=ADMIN, password=PASSWORD, confirm_password=PASSWORD)
            )
        processes: dict[int, subprocess.Popen] = {}
        for name in ("first", "second"):
            port, started = _free_port(), []
            (tmp_path / name).mkdir()
            stack.enter_context(start_portal(url, tmp_path / name, env=SHARED_ENV, port=port, started=started))
            processes[port] = started[0]
        first, second = processes
        proxy = stack.enter_context(nginx_in_front(tmp_path / "nginx", [first, second]))
        yield proxy, processes, url


def serving_port(page: Page, proxy: str) -> int:
    """Which portal process nginx sends this browser to (its X-Upstream header)."""
    response = page.request.get(f"{proxy}/health/live")
    return int(response.headers["x-upstream"].split(",")[-1].strip().rsplit(":", 1)[1])


def watch_connection(page: Page) -> None:
    """Record every connection state the page's Streamlit frontend passes through from now on
    (``data-test-connection-state`` on the app), so a reconnection is seen however fast it is."""
    page.evaluate(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            window.__connectionStates = [app.dataset.testConnectionState];
            new MutationObserver(() => window.__connectionStates.push(app.dataset.testConnectionState))
                .observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
        }"""
    )


def reconnected(page: Page) -> None:
    """Wait until the frontend has lost its connection and made a new one (``watch_connection``)."""
    page.wait_for_function(
        """() => { const seen = window.__connectionStates || [];
            return seen.some(state => state !== 'CONNECTED') && seen[seen.length - 1] === 'CONNECTED'; }""",
        timeout=60_000,
    )


def kill(process: subprocess.Popen) -> None:
    """Kill -9 a portal process and anything it started, with no chance to tidy up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def saved_target(url: str) -> str | None:
    with db_engine.get_engine(url).connect() as conn:
        row = conn.execute(text("SELECT value FROM setting WHERE key = 'observation_target'")).first()
    return row[0] if row else None


def test_killing_the_serving_process_moves_the_browser_to_the_other_still_signed_in(
    page: Page, two_processes_behind_nginx, save_screenshot, tmp_path
):
    proxy, processes, url = two_processes_behind_nginx
    page.goto(f"{proxy}/settings")
    sign_in(page, ADMIN, PASSWORD)
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible(timeout=WAIT)
    idle(page)
    dismiss_page_not_found(page)  # Streamlit's first answer on a fresh server, for a deep link
    target = page.get_by_label("Observations per practitioner per year", exact=True)
    target.fill("3")
    page.get_by_role("button", name="Save target").click()
    expect(flash(page, "The target is now 3 a year.")).to_be_visible(timeout=WAIT)
    idle(page)

    serving = serving_port(page, proxy)
    (other,) = set(processes) - {serving}
    kill(processes[serving])

    # Streamlit's frontend reconnects by itself; nginx sends it to the process still running, which
    # knows nothing of the old Streamlit session but finds the person's session from the cookie.
    # A click in the menu needs that live connection.
    nav_link(page, "My account").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible(timeout=60_000)
    idle(page)
    nav_link(page, "Settings").click()
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible(timeout=WAIT)
    page.reload()  # and a refresh is served by the other process too, still signed in
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)
    assert serving_port(page, proxy) == other
    expect(page.get_by_label("Observations per practitioner per year", exact=True)).to_have_value("3")

    # Nothing saved was lost, and saving goes on through the other process.
    idle(page)
    dismiss_page_not_found(page)
    page.get_by_label("Observations per practitioner per year", exact=True).fill("4")
    page.get_by_role("button", name="Save target").click()
    expect(flash(page, "The target is now 4 a year.")).to_be_visible(timeout=WAIT)
    save_screenshot(page, tmp_path / "after-failover.png")
    with services_on(url):
        from qa.observations import coverage

        assert coverage.target_per_year() == 4


def test_text_typed_but_not_yet_saved_survives_the_move_and_is_saved_through_the_other_process(
    page: Page, two_processes_behind_nginx
):
    """Streamlit keeps what is typed in the browser; after the move the new process receives it with
    the button press, so nothing typed has to be entered again."""
    proxy, processes, url = two_processes_behind_nginx
    page.goto(f"{proxy}/support-contacts")
    sign_in(page, ADMIN, PASSWORD)
    expect(page.get_by_role("heading", level=1, name="Support contacts")).to_be_visible(timeout=WAIT)
    idle(page)
    dismiss_page_not_found(page)
    name = f"Peer circle {uuid.uuid4().hex[:8]}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("What it offers", exact=True).fill("A monthly peer group, typed before the move.")
    page.get_by_label("How to reach it (phone, web address, or who to ask)", exact=True).fill("Ask the duty SPO")

    serving = serving_port(page, proxy)
    (other,) = set(processes) - {serving}
    # The other process has served a page before, as one does in a running deployment (a process that
    # has never run the script answers its first deep link with Streamlit's "Page not found").
    warm = page.context.new_page()
    warm.goto(f"http://127.0.0.1:{other}/support-contacts")
    expect(warm.get_by_role("heading", level=1, name="Support contacts")).to_be_visible(timeout=WAIT)
    warm.close()

    watch_connection(page)
    kill(processes[serving])
    # The browser reconnects by itself (to the other process), and the boxes still hold what was
    # typed. Wait for the reconnection before pressing the button: a click made while the browser
    # has no connection is not sent anywhere.
    reconnected(page)
    idle(page)
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    page.get_by_role("button", name="Add contact").click()
    expect(flash(page, "Contact added.")).to_be_visible(timeout=60_000)
    with services_on(url):
        from sqlmodel import select

        from db.engine import session_scope
        from db.reflection import SupportContact

        with session_scope() as session:
            saved = session.exec(select(SupportContact).where(SupportContact.name == name)).one()
            assert saved.description == "A monthly peer group, typed before the move."
