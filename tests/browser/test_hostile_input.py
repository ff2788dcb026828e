"""Hostile text typed into the portal stays text, in a real browser.

A practitioner types an ``<img src=x onerror=...>`` payload, with a script
tag, a ``javascript:`` link, Markdown and Streamlit's colour and icon codes,
into a journal note's title and text. An auditor types the same into a
feedback sheet's "Good practice examples" and an audit action, and submits.
Then, in fresh sessions (a reload starts a new portal session, so each person
signs in again), the practitioner opens the journal list and the note, and
the case holder's SPO opens the submitted feedback sheet. On every page:

- no ``img[src=x]`` element exists, and no ``javascript:`` link;
- no dialog opened and the payload's script never ran (``window.__pwned``);
- the payload's words are on screen, as typed.

Screenshots of those pages are saved in ``test-artifacts/browser/``
(``hostile-*.png``) for a person to look at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from db.demo import PRACTITIONER_EMAIL
from tests.browser.conftest import ROOT
from tests.browser.helpers import after_run, flash, main_title, open_menu, shot
from tests.browser.test_learn_journey import audit_to_do, open_audit

pytestmark = pytest.mark.browser

WAIT = 20_000
PAYLOAD = (
    '<img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=2</script> '
    "[click](javascript:alert(1)) **bold** :red[loud] :material/warning:"
)
VISIBLE = "<img src=x onerror="  # how the payload starts, as text on screen


def watch_dialogs(page: Page) -> list[str]:
    seen: list[str] = []

    def handle(dialog):
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", handle)
    return seen


def assert_inert(page: Page, dialogs: list[str], where: str) -> None:
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page.locator("img[src=x]").count() == 0, f"{where}: an <img> element was made from the text"
    assert page.locator("script:not([src])").filter(has_text="__pwned").count() == 0, (
        f"{where}: a script element was made"
    )
    assert page.locator("a[href^='javascript' i]").count() == 0, f"{where}: a javascript: link"
    assert page.evaluate("() => window.__pwned") is None, f"{where}: the payload's script ran"
    assert dialogs == [], f"{where}: a dialog opened: {dialogs}"
    expect(page.get_by_test_id("stMain").get_by_text(VISIBLE).first).to_be_visible(timeout=WAIT)


SET_UP_AUDIT = """
import datetime as dt, json, sys
from sqlmodel import select
from db.audits import AuditEvent, AuditEventCreate
from db.demo import QA_LEAD_EMAIL
from db.engine import session_scope
from db.organisation import User
from qa.audits import events as audit_events
from qa.access.auth import load_actor

with session_scope() as session:
    lead = load_actor(session.exec(select(User.id).where(User.email == QA_LEAD_EMAIL)).one())
    taken = set(session.exec(select(AuditEvent.event_date).where(AuditEvent.pdu_id == lead.pdu_id)).all())
day = dt.date.today() + dt.timedelta(days=90)
while day in taken:
    day += dt.timedelta(days=1)
event = audit_events.create_event(lead, AuditEventCreate(pdu_id=lead.pdu_id, event_date=day, sample_size=12))
audit_events.accept_sample(lead, event.id)
print(json.dumps({"event_id": event.id}))
"""


def draft_audit(demo_database_url: str):
    """A LEARN event with its sample accepted, made through the services in a
    separate process (this test process never points db.engine at the server's database)."""
    result = subprocess.run(
        [sys.executable, "-c", SET_UP_AUDIT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PQP_DATABASE_URL": demo_database_url},
    )
    assert result.returncode == 0, result.stderr
    event_id = json.loads(result.stdout.strip().splitlines()[-1])["event_id"]
    return audit_to_do(demo_database_url, event_id)


def test_hostile_text_in_a_journal_note_stays_text(signed_in):
    author = signed_in(PRACTITIONER_EMAIL)
    dialogs = watch_dialogs(author)
    open_menu(author, "My reflective journal", whole_run=True)
    after_run(author, author.get_by_role("button", name="New note").click)
    expect(main_title(author)).to_have_text("New note", timeout=WAIT)
    title = author.get_by_label("Title", exact=True)
    title.fill(PAYLOAD)
    after_run(author, lambda: title.press("Tab"))
    text = author.get_by_test_id("stMain").locator("textarea").first
    text.fill(PAYLOAD)
    after_run(author, lambda: text.press("Tab"))
    after_run(author, author.get_by_role("button", name="Finish note").click)
    expect(flash(author, "Note saved to your journal.")).to_be_visible(timeout=WAIT)
    assert_inert(author, dialogs, "the journal list after saving")

    # A reload is a new session: sign in again and look at the list and the note.
    again = signed_in(PRACTITIONER_EMAIL)
    dialogs = watch_dialogs(again)
    open_menu(again, "My reflective journal", whole_run=True)
    link = again.get_by_test_id("stMain").get_by_role("link").filter(has_text=VISIBLE).first
    expect(link).to_be_visible(timeout=WAIT)
    assert_inert(again, dialogs, "the journal list")
    shot(again, "hostile-journal-list")
    after_run(again, link.click)
    expect(main_title(again)).to_contain_text(VISIBLE, timeout=WAIT)
    expect(again.get_by_label("Title", exact=True)).to_have_value(PAYLOAD)
    assert_inert(again, dialogs, "the note")
    shot(again, "hostile-journal-note")


def test_hostile_text_in_a_feedback_sheet_stays_text(signed_in, demo_database_url):
    todo = draft_audit(demo_database_url)
    auditor = signed_in(todo.auditor_email)
    dialogs = watch_dialogs(auditor)
    open_menu(auditor, "My audits", whole_run=True)
    open_audit(auditor, todo)
    questions = auditor.get_by_test_id("stMain").get_by_role("radiogroup")
    expect(questions).to_have_count(todo.questions, timeout=WAIT)
    for number in range(todo.questions):
        questions.nth(number).get_by_text("Yes", exact=True).click()
    auditor.get_by_label("Good practice examples", exact=True).fill(PAYLOAD)
    auditor.get_by_role("button", name="Save draft").click()
    expect(flash(auditor, "Draft saved.")).to_be_visible(timeout=WAIT)
    auditor.get_by_label("New action", exact=True).fill(PAYLOAD)
    auditor.get_by_role("button", name="Add action").click()
    expect(auditor.get_by_test_id("stMarkdownContainer").filter(has_text=VISIBLE)).to_be_visible(timeout=WAIT)
    assert_inert(auditor, dialogs, "the auditor's draft")
    auditor.get_by_role("button", name="Submit audit").click()
    expect(flash(auditor, "Audit submitted.")).to_be_visible(timeout=WAIT)

    spo = signed_in(todo.spo_email)
    dialogs = watch_dialogs(spo)
    open_menu(spo, "Team audit feedback", whole_run=True)
    open_audit(spo, todo)
    expect(spo.get_by_test_id("stText").filter(has_text=VISIBLE)).to_be_visible(timeout=WAIT)
    expect(
        spo.get_by_test_id("stMarkdownContainer").filter(has_text="[click](javascript:alert(1)) **bold** :red[loud]")
    ).to_be_visible()
    assert_inert(spo, dialogs, "the feedback sheet")
    shot(spo, "hostile-feedback-sheet")
