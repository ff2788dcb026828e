"""The email screens in a real browser: Notification preferences, the Outbox, and Settings' test email.

Screenshots of each are always saved in test-artifacts/browser/ (notification-preferences.png,
outbox.png, settings-email.png) for a person to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from db.demo import ADMIN_EMAIL, PRACTITIONER_EMAIL
from qa.notifications import preferences
from qa.notifications.kinds import kind
from qa.notifications.preferences import Delivery
from tests.browser.helpers import WAIT, dismiss_page_not_found, flash, heading, idle, services_on, shot, sign_in_fast

pytestmark = pytest.mark.browser


def test_a_practitioner_chooses_the_digest_and_cannot_turn_off_urgent_concerns(
    page: Page, portal_url, demo_database_url
):
    sign_in_fast(page, portal_url, demo_database_url, PRACTITIONER_EMAIL, "notification-preferences")
    expect(heading(page, "Notification preferences")).to_be_visible(timeout=WAIT)
    idle(page)
    dismiss_page_not_found(page)  # Streamlit may say so about a deep link's first run
    shared = page.get_by_role("radiogroup", name=kind("note_shared").wording)
    urgent = page.get_by_role("radiogroup", name=kind("urgent_concern").wording)
    expect(urgent.get_by_text("Immediately")).to_be_visible(timeout=WAIT)
    expect(urgent.get_by_text("Off (in the portal only)")).to_have_count(0)
    shared.get_by_text("In the daily digest").click()
    page.get_by_role("button", name="Save my choices").click()
    expect(flash(page, "Your notification choices have been saved.")).to_be_visible(timeout=WAIT)
    shot(page, "notification-preferences")

    from db.engine import session_scope
    from db.organisation import User
    from qa.access.auth import load_actor

    with services_on(demo_database_url):
        with session_scope() as session:
            from sqlmodel import select

            person_id = session.exec(select(User.id).where(User.email == PRACTITIONER_EMAIL)).one()
        actor = load_actor(person_id)
        assert actor is not None
        chosen = {c.kind.key: c.delivery for c in preferences.my_choices(actor)}
    assert chosen["note_shared"] == Delivery.DIGEST
    assert chosen["urgent_concern"] == Delivery.IMMEDIATE


def test_the_administrator_sees_the_outbox_and_a_plain_message_when_email_is_not_set_up(
    page: Page, portal_url, demo_database_url
):
    sign_in_fast(page, portal_url, demo_database_url, ADMIN_EMAIL, "outbox")
    expect(heading(page, "Outbox")).to_be_visible(timeout=WAIT)
    idle(page)
    dismiss_page_not_found(page)
    expect(page.get_by_text("Waiting to send")).to_be_visible(timeout=WAIT)
    shot(page, "outbox")

    page.goto(f"{portal_url}/settings")
    expect(heading(page, "Settings")).to_be_visible(timeout=WAIT)
    idle(page)
    dismiss_page_not_found(page)
    button = page.get_by_role("button", name="Send a test email")
    button.scroll_into_view_if_needed()
    button.click()
    problem = page.get_by_text("Email is not set up: set smtp_host and smtp_sender").first
    expect(problem).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    shot(page, "settings-email")
