"""No lost updates, in a real browser, with two people on the same supervision record.

The practitioner opens a record to confirm it and starts typing a comment. In
another browser (its own portal session) their SPO changes the record's notes
and saves a new version. When the practitioner then confirms, the portal
refuses: they would be confirming a version they have not read. The message
says so plainly, the comment they typed is still in the box and listed to
copy, and once they load the latest version they can confirm it.

The screenshot of the refusal is saved as
``test-artifacts/browser/concurrent-edit-refused.png`` for a human to look at.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from playwright.sync_api import Page, expect

from db.demo import PRACTITIONER_EMAIL, SPO_EMAIL
from db.supervision import SessionParticipant, SupervisionSession
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import WAIT, database, flash, heading, idle, open_menu, services_on
from tests.browser.test_supervision_journey import people

pytestmark = pytest.mark.browser


def open_record(page: Page, session_id: int, held_on: dt.date) -> None:
    open_menu(page, "My supervision")
    page.get_by_test_id("stMain").locator(f'a[href$="session={session_id}"]').click()
    expect(heading(page, f"Supervision on {held_on:%d %b %Y}")).to_be_visible(timeout=WAIT)


def test_a_confirmation_of_a_record_changed_meanwhile_is_refused_and_the_comment_kept(
    signed_in, demo_database_url, save_screenshot
):
    who = people(demo_database_url)
    tag = secrets.token_hex(3)
    held_on = dt.date.today() - dt.timedelta(days=1)
    first_notes = f"Talked through the MAPPA referral ({tag})."
    changed_notes = f"Talked through the MAPPA referral: level 1, not level 2 ({tag})."
    comment = f"A fair record. I would add that I asked for a co-worker ({tag})."

    from db.supervision import SessionRecordCreate
    from qa.access.auth import load_actor
    from qa.supervision import records as supervision
    from qa.validation import validate

    with services_on(demo_database_url):
        session_id = supervision.record_session(
            load_actor(who.spo_id),
            validate(
                SessionRecordCreate,
                {
                    "participant_ids": [who.practitioner_id],
                    "kind": "one-to-one",
                    "held_on": held_on,
                    "accountability": True,
                    "notes": first_notes,
                },
            ),
        )

    # Both people open the same record, each in their own browser session.
    practitioner = signed_in(PRACTITIONER_EMAIL)
    open_record(practitioner, session_id, held_on)
    spo = signed_in(SPO_EMAIL)
    open_record(spo, session_id, held_on)

    # The practitioner starts writing a comment...
    comments = practitioner.get_by_role("textbox", name="Your comments (optional)", exact=True)
    comments.fill(comment)

    # ...while the SPO changes the notes and saves a new version.
    spo.get_by_text("Change this record", exact=True).click()
    notes_box = spo.get_by_role("textbox", name="Notes", exact=True)
    expect(notes_box).to_be_visible(timeout=WAIT)
    notes_box.fill(changed_notes)
    # On a busy machine a rerun still in progress can swallow the click: wait for it first.
    idle(spo)
    spo.get_by_role("button", name="Save as a new version").click()
    expect(flash(spo, "Saved as a new version.")).to_be_visible(timeout=WAIT)

    # The practitioner confirms: refused, with their comment kept.
    practitioner.get_by_role("button", name="I confirm this is a fair record").click()
    refusal = practitioner.get_by_test_id("stAlertContentError").filter(
        has_text="This record was changed after you opened it, so your confirmation has not been recorded."
    )
    expect(refusal).to_be_visible(timeout=WAIT)
    expect(comments).to_have_value(comment)
    expect(practitioner.get_by_text("Your unsaved text", exact=True)).to_be_visible()
    expect(practitioner.get_by_test_id("stCode").filter(has_text=comment)).to_be_visible()
    # The record on screen is now the SPO's new version.
    expect(practitioner.get_by_test_id("stText").filter(has_text=changed_notes)).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    save_screenshot(practitioner, ARTIFACTS / "concurrent-edit-refused.png")

    with database(demo_database_url) as db:
        assert db.get(SessionParticipant, (session_id, who.practitioner_id)).signed_at is None
        assert db.get(SupervisionSession, session_id).version == 2

    # Having read the new version, the practitioner loads it and confirms, re-applying the comment.
    practitioner.get_by_role("button", name="Load the latest version").click()
    expect(practitioner.get_by_text("The form now shows the latest saved version.", exact=False)).to_be_visible(
        timeout=WAIT
    )
    comments = practitioner.get_by_role("textbox", name="Your comments (optional)", exact=True)
    comments.fill(comment)
    practitioner.get_by_role("button", name="I confirm this is a fair record").click()
    expect(flash(practitioner, "Your confirmation is recorded.")).to_be_visible(timeout=WAIT)

    with database(demo_database_url) as db:
        confirmed = db.get(SessionParticipant, (session_id, who.practitioner_id))
        assert confirmed.signed_at is not None and confirmed.comments == comment


def test_the_practitioner_sees_who_has_opened_their_supervision_record(signed_in, demo_database_url, save_screenshot):
    """The access log end to end: the SPO opens a record about the practitioner; the practitioner's
    'Who has viewed my records' lists it. Saved as ``test-artifacts/browser/who-viewed.png``."""
    who = people(demo_database_url)
    held_on = dt.date.today() - dt.timedelta(days=2)

    from db.supervision import SessionRecordCreate
    from qa.access.auth import load_actor
    from qa.supervision import records as supervision
    from qa.validation import validate

    with services_on(demo_database_url):
        session_id = supervision.record_session(
            load_actor(who.spo_id),
            validate(
                SessionRecordCreate,
                {
                    "participant_ids": [who.practitioner_id],
                    "kind": "one-to-one",
                    "held_on": held_on,
                    "development": True,
                    "notes": "Caseload review.",
                },
            ),
        )
    spo = signed_in(SPO_EMAIL)
    open_record(spo, session_id, held_on)

    practitioner = signed_in(PRACTITIONER_EMAIL)
    open_menu(practitioner, "Who has viewed my records")
    table = practitioner.get_by_test_id("stDataFrame")
    expect(table).to_be_visible(timeout=WAIT)
    expect(practitioner.get_by_text("Only you can see this page", exact=False)).to_be_visible()
    # The grid draws its cells on a canvas, so check the log behind it and the count the page gives.
    from sqlmodel import func, select

    from db.access_log import RecordKind, RecordView

    with database(demo_database_url) as db:
        viewers = db.exec(
            select(RecordView.viewer_id).where(
                RecordView.subject_id == who.practitioner_id,
                RecordView.record_kind == RecordKind.SUPERVISION_SESSION,
                RecordView.record_id == session_id,
            )
        ).all()
        total = db.exec(
            select(func.count()).select_from(RecordView).where(RecordView.subject_id == who.practitioner_id)
        ).one()
    assert viewers == [who.spo_id]
    expect(practitioner.get_by_text(f"{total} view{'s' if total != 1 else ''}", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    save_screenshot(practitioner, ARTIFACTS / "who-viewed.png")
