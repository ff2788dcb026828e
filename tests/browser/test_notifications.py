"""Notifications in a real browser: the unread count beside the menu, the inbox, and a hand-over
that raises other people's counts.

1. The demo practitioner sees "Notifications (N unread)" in the sidebar, opens the inbox, follows
   the newest unread item and lands on its record; the count is one lower afterwards.
2. An auditor finishes an audit in the browser; the case holder's and their SPO's counts, read
   from their own open pages, go up once they load a page again.

Screenshots: ``test-artifacts/browser/notifications-*.png``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.audits import AuditEventCreate
from db.demo import PRACTITIONER_EMAIL, QA_LEAD_EMAIL
from db.organisation import Pdu, User
from tests.browser.helpers import WAIT, database, flash, heading, idle, services_on, shot, sign_in_fast
from tests.browser.test_learn_journey import audit_to_do

pytestmark = pytest.mark.browser

COUNT = re.compile(r"Notifications \((\d+)\+? unread\)")
PDU_NAME = "Northbrook PDU"  # the demo QA lead's PDU
DAYS_AHEAD = 75  # clear of the demo's own events and of the LEARN journey's (40 days ahead)


def count_link(page: Page):
    return page.get_by_test_id("stSidebar").get_by_role("link", name=COUNT)


def unread(page: Page) -> int:
    """The count beside the menu, as the person sees it."""
    link = count_link(page)
    expect(link).to_be_visible(timeout=WAIT)
    match = COUNT.search(link.inner_text())
    assert match, link.inner_text()
    return int(match.group(1))


def test_following_a_notification_opens_its_record_and_lowers_the_count(page, portal_url, demo_database_url):
    sign_in_fast(page, portal_url, demo_database_url, PRACTITIONER_EMAIL)
    idle(page)
    before = unread(page)
    assert before > 0, "the demo practitioner has unread notifications about their own history"

    count_link(page).click()
    expect(heading(page, "Notifications")).to_be_visible(timeout=WAIT)
    items = page.get_by_test_id("stMain").get_by_role("link", name=re.compile(r"New: "))
    expect(items.first).to_be_visible(timeout=WAIT)
    idle(page)
    shot(page, "notifications-inbox")
    newest = items.first
    href = newest.get_attribute("href") or ""
    assert re.search(r"notifications\?open=\d+$", href), href

    newest.click()
    # The item opens its record's own screen (a case audit, an observation...), not the inbox.
    expect(page).not_to_have_url(re.compile(r"/notifications"), timeout=WAIT)
    expect(page.get_by_test_id("stMain").get_by_role("heading", level=1)).not_to_have_text("Notifications")
    idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert unread(page) == before - 1
    shot(page, "notifications-opened-record")


def _new_draft_audit(url: str) -> tuple[int, str, str, str, int]:
    """A LEARN event of our own with its sample accepted (through the services, for speed); one of
    its draft audits whose auditors are not the holder's SPO (as the LEARN journey picks one):
    (audit id, auditor email, holder email, SPO email, questions)."""
    from qa.access.auth import load_actor
    from qa.audits import events as audit_events
    from qa.errors import ValidationFailed
    from qa.validation import validate

    with database(url) as session:
        lead = session.exec(select(User).where(User.email == QA_LEAD_EMAIL)).one()
        pdu = session.exec(select(Pdu).where(Pdu.name == PDU_NAME)).one()
    day = dt.date.today() + dt.timedelta(days=DAYS_AHEAD)
    with services_on(url):
        actor = load_actor(lead.id)
        while True:  # a second run on the same database takes the next free day
            try:
                event = audit_events.create_event(
                    actor, validate(AuditEventCreate, {"pdu_id": pdu.id, "event_date": day, "sample_size": 12})
                )
                break
            except ValidationFailed:  # that PDU has an event that day already
                day += dt.timedelta(days=1)
        audit_events.accept_sample(actor, event.id)
    todo = audit_to_do(url, event.id)
    return todo.audit_id, todo.auditor_email, todo.holder_email, todo.spo_email, todo.questions


def test_finishing_an_audit_raises_the_holders_and_the_spos_counts(browser, portal_url, demo_database_url):
    audit_id, auditor_email, holder_email, spo_email, questions = _new_draft_audit(demo_database_url)

    def session_for(email: str, path: str = "") -> Page:
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB").new_page()
        sign_in_fast(page, portal_url, demo_database_url, email, path)
        idle(page)
        return page

    holder, spo = session_for(holder_email), session_for(spo_email)
    opened = [holder, spo]
    try:
        holder_before, spo_before = unread(holder), unread(spo)

        auditor = session_for(auditor_email, f"audit?audit={audit_id}")
        opened.append(auditor)
        expect(heading(auditor, re.compile(r"^Case audit: "))).to_be_visible(timeout=WAIT)
        radios = auditor.get_by_test_id("stMain").get_by_role("radiogroup")
        expect(radios).to_have_count(questions, timeout=WAIT)
        for number in range(questions):
            question = radios.nth(number)
            question.get_by_text("Yes", exact=True).click()
            expect(question.get_by_role("radio", name="Yes", exact=True)).to_be_checked()
        auditor.get_by_role("button", name="Save draft").click()
        expect(flash(auditor, "Draft saved.")).to_be_visible(timeout=WAIT)
        idle(auditor)
        auditor.get_by_role("button", name="Submit audit").click()
        expect(flash(auditor, "Audit submitted.")).to_be_visible(timeout=WAIT)

        # Each of them loads a page again (any page: the count is beside the menu on every one).
        for page, before in ((holder, holder_before), (spo, spo_before)):
            page.reload()
            expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)
            idle(page)
            expect(count_link(page)).to_have_text(
                re.compile(rf"Notifications \({before + 1}\+? unread\)"), timeout=WAIT
            )
        count_link(spo).click()
        expect(heading(spo, "Notifications")).to_be_visible(timeout=WAIT)
        expect(
            spo.get_by_test_id("stMain").get_by_role("link", name="New: Audit feedback is ready on a case").first
        ).to_be_visible(timeout=WAIT)
        idle(spo)
        shot(spo, "notifications-spo-after-audit")
    finally:
        for page in opened:
            page.context.close()
