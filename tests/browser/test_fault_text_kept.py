"""Real browser: what a person typed survives a database fault.

The portal runs on its own SQLite file; the test holds that file's write lock
from another connection (as another process writing would), so every save the
server tries meets a locked database and, after its bounded retry, fails. Reads
still work (WAL mode), so the pages keep drawing.

- Journal autosave runs in a widget callback, before app.py's database guard:
  the page must say plainly that the note is not saved yet, keep the text in
  its box, and save it once the database is back.
- The quick debrief used to clear itself in the browser on submit: its text
  must still be there after a failed save, and the form must empty only after
  the save goes through (the AppTest versions in tests/test_faults.py cannot
  see the browser's own clearing).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from db.demo import PRACTITIONER_EMAIL
from db.encryption import decrypt
from tests.browser.conftest import VIEWPORT, load_demo_database, start_portal
from tests.browser.helpers import idle, open_menu, shot, sign_in

pytestmark = pytest.mark.browser

WAIT = 30_000  # ms: a save that meets the lock waits about 6 s before it gives up
DATABASE_MESSAGE = "The portal could not reach its database just now, so nothing was saved."
NOT_SAVED = "Not saved yet: the portal could not reach its database."
NOTE_TEXT = "After the home visit I doubted my own judgement about the risk to the children."
DEBRIEF_TEXT = "Shouting on the landing; I left early and called the police from the car."


@pytest.fixture(scope="module")
def portal(chromium_executable, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A live portal on a demo database of its own: (its address, the database URL)."""
    folder = tmp_path_factory.mktemp("fault-portal")
    url = load_demo_database(folder / "portal.db")
    with start_portal(url, folder) as base_url:
        yield base_url, url


@pytest.fixture
def practitioner(browser, portal) -> Iterator[Page]:
    """The demo practitioner, signed in through the real form in a new session."""
    base_url, _ = portal
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    try:
        page.goto(base_url)
        sign_in(page, PRACTITIONER_EMAIL)
        yield page
    finally:
        context.close()


@contextmanager
def write_lock(url: str) -> Iterator[None]:
    """Another connection holds the database's write lock until the block ends."""
    holder = sqlite3.connect(make_url(url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO setting (key, value) VALUES ('held-by-another-process', 'x')")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def query(url: str, sql: str, *args):
    with sqlite3.connect(make_url(url).database) as conn:
        return conn.execute(sql, args).fetchall()


def no_trace(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def eventually(check, what: str, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_journal_note_typed_while_the_database_is_locked_stays_and_is_saved_later(
    practitioner: Page, portal, review_screenshot
):
    _, url = portal
    page = practitioner
    open_menu(page, "My reflective journal", whole_run=True)
    page.get_by_role("button", name="New note").click()
    expect(page.get_by_test_id("stMain").get_by_role("heading", level=1)).to_have_text("New note", timeout=WAIT)
    idle(page)
    note_id = int(parse_qs(urlparse(page.url).query)["note"][0])

    first_prompt = page.get_by_test_id("stMain").locator("textarea").first
    first_prompt.fill(NOTE_TEXT)
    with write_lock(url):
        # Leaving the box runs the autosave callback, which meets the lock.
        first_prompt.press("Tab")
        warning = page.get_by_test_id("stAlertContentWarning").filter(has_text=NOT_SAVED)
        expect(warning).to_be_visible(timeout=WAIT)
        expect(warning).to_contain_text(
            "Your text is still here; it will be saved when you next type or press Finish note."
        )
        no_trace(page)
        expect(first_prompt).to_have_value(NOTE_TEXT)
        page.wait_for_timeout(500)  # let the toast settle for the picture
        path = shot(page, "fault-journal-not-saved-yet")
        review_screenshot(page, "fault-journal-not-saved-yet")
        assert Path(path).exists()
    stored = query(url, "SELECT content FROM journal_entry WHERE id = ?", note_id)[0][0]
    assert NOTE_TEXT not in decrypt(stored)

    # The lock has gone: Finish note saves what is still in the box.
    page.get_by_role("button", name="Finish note").click()
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="Note saved to your journal.")).to_be_visible(
        timeout=WAIT
    )
    no_trace(page)
    eventually(
        lambda: NOTE_TEXT in decrypt(query(url, "SELECT content FROM journal_entry WHERE id = ?", note_id)[0][0]),
        "the note to be saved",
    )


def test_a_debrief_submitted_while_the_database_is_locked_keeps_its_text_then_empties_once_saved(
    practitioner: Page, portal
):
    _, url = portal
    page = practitioner
    before = query(url, "SELECT COUNT(*) FROM debrief")[0][0]
    open_menu(page, "Quick debrief", whole_run=True)
    form = page.get_by_test_id("stForm")
    picked = form.locator('button[data-variant="pills"][aria-pressed="true"]')  # the feeling words picked
    form.get_by_role("button", name="anxious", exact=True).click()
    expect(picked).to_have_text(["anxious"])
    form.get_by_text("Add more (optional)").click()
    what_happened = form.get_by_label("What happened?", exact=True)
    what_happened.fill(DEBRIEF_TEXT)
    save = form.get_by_role("button", name="Save debrief")
    with write_lock(url):
        save.click()
        expect(page.get_by_test_id("stAlertContentError").filter(has_text=DATABASE_MESSAGE)).to_be_visible(timeout=WAIT)
        no_trace(page)
        expect(what_happened).to_have_value(DEBRIEF_TEXT)
        expect(picked).to_have_text(["anxious"])
        shot(page, "fault-debrief-kept")
    assert query(url, "SELECT COUNT(*) FROM debrief")[0][0] == before

    # Pressed again, with nothing retyped: the kept text is what is saved, then the form empties.
    save.click()
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(
            has_text="Saved. Thank you for taking a moment for yourself."
        )
    ).to_be_visible(timeout=WAIT)
    assert query(url, "SELECT COUNT(*) FROM debrief")[0][0] == before + 1
    expect(what_happened).to_have_value("", timeout=WAIT)
    expect(picked).to_have_count(0)
    # A second debrief starts from an empty form: with nothing picked, nothing is saved.
    idle(page)
    save.click()
    expect(page.get_by_text("Pick at least one word for how you feel.").first).to_be_visible(timeout=WAIT)
    assert query(url, "SELECT COUNT(*) FROM debrief")[0][0] == before + 1
