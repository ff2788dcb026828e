"""A supervision session from agenda to sign-off by both, in a real browser, as two people.

0. Set-up, through the services rather than the browser: the QA lead plans a
   LEARN day, an auditor audits one of the practitioner's cases and submits,
   so its feedback sheet waits with the practitioner's SPO. (Audits hold no
   encrypted text; the journal note, which does, is written in the browser.)
1. The practitioner writes a journal note (saved as they leave each box) and
   shares it with their SPO "to talk about in supervision".
2. The SPO prepares supervision with the practitioner: the audit feedback and
   the shared reflection are both on the agenda. The SPO ticks both as
   discussed, writes notes, saves and signs the record, and sees both items
   listed on it.
3. The practitioner finds the record waiting in "My supervision", adds a
   comment and confirms it: the record is signed by both.

Every step is a new portal session (its own browser context) signed in through
the real form. Set ``PQP_SCREENSHOTS=/some/folder`` to also save screenshots of
the SPO's agenda, the record and "My supervision" (``supervision-*.png``) for a
human to look at.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from db.audits import (
    SAMPLE_MAX,
    AnswerInput,
    AuditEvent,
    AuditEventCreate,
    AuditorPair,
    AuditStatus,
    CaseAudit,
    FeedbackSheetUpdate,
    SampleSwapCreate,
)
from db.demo import PRACTITIONER_EMAIL, QA_LEAD_EMAIL, SPO_EMAIL
from db.organisation import Case, Team, User
from tests.browser.helpers import choose, database, flash, heading, open_menu, services_on, tick

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: Streamlit renders asynchronously and reruns after each click
DAYS_AHEAD = 60  # the LEARN day's date: clear of the demo's and the other journeys' events


# ------------------------------------------------------------------ helpers


def markdown(page: Page, *texts: str) -> Locator:
    """Markdown blocks in the main column holding every one of ``texts``."""
    found = page.get_by_test_id("stMain").get_by_test_id("stMarkdownContainer")
    for text in texts:
        found = found.filter(has_text=text)
    return found


@dataclass(frozen=True)
class People:
    practitioner_id: int
    practitioner_name: str
    spo_id: int
    spo_name: str


def people(url: str) -> People:
    with database(url) as session:
        found = {u.email: u for u in session.exec(select(User).where(User.email.in_([PRACTITIONER_EMAIL, SPO_EMAIL])))}
        practitioner, spo = found[PRACTITIONER_EMAIL], found[SPO_EMAIL]
        assert practitioner.supervisor_id == spo.id, "the demo SPO login should supervise the demo practitioner"
        return People(practitioner.id, practitioner.full_name, spo.id, spo.full_name)


@dataclass(frozen=True)
class SentAudit:
    audit_id: int
    case_ref: str


def send_audit_feedback(url: str, who: People, start: dt.date) -> SentAudit:
    """Audit one of the practitioner's cases on a new LEARN day and submit it,
    through the services, so that its feedback sheet goes to their SPO."""
    from qa.access.auth import load_actor
    from qa.audits import events as audit_events
    from qa.audits import workflow as audit_workflow
    from qa.errors import ValidationFailed

    with services_on(url):
        from db.engine import session_scope

        with session_scope() as session:
            lead_id = session.exec(select(User.id).where(User.email == QA_LEAD_EMAIL)).one()
            pdu_id = session.exec(
                select(Team.pdu_id).join(User, User.team_id == Team.id).where(User.id == who.practitioner_id)
            ).one()
            taken = set(session.exec(select(AuditEvent.event_date).where(AuditEvent.pdu_id == pdu_id)).all())
            own_cases = set(session.exec(select(Case.id).where(Case.holder_id == who.practitioner_id)).all())
        assert own_cases, "the demo practitioner should hold cases"
        event_date = start
        while event_date in taken:
            event_date += dt.timedelta(days=1)

        lead = load_actor(lead_id)
        event = audit_events.create_event(
            lead, AuditEventCreate(pdu_id=pdu_id, event_date=event_date, sample_size=SAMPLE_MAX)
        )
        # The sample is random: make sure it holds one of the practitioner's cases.
        selected = audit_events.sample_view(lead, event.id).selected
        if not {row.case_id for row in selected} & own_cases:
            swapped = False
            for candidate in (c for c in audit_events.swap_candidates(lead, event.id) if c.case_id in own_cases):
                for row in selected:
                    try:
                        audit_events.swap_case(
                            lead, event.id,
                            SampleSwapCreate(removed_case_id=row.case_id, added_case_id=candidate.case_id, reason="Supervision journey test"),
                        )  # fmt: skip
                    except ValidationFailed:
                        continue
                    swapped = True
                    break
                if swapped:
                    break
            assert swapped, "none of the practitioner's cases could be swapped into the sample"
        audit_events.accept_sample(lead, event.id)

        with session_scope() as session:
            found = session.exec(
                select(CaseAudit.id, Case.case_ref, AuditorPair.first_id)
                .join(Case, CaseAudit.case_id == Case.id)
                .join(AuditorPair, CaseAudit.pair_id == AuditorPair.id)
                .where(
                    CaseAudit.event_id == event.id,
                    CaseAudit.moderates_id.is_(None),
                    Case.holder_id == who.practitioner_id,
                )
                .order_by(CaseAudit.id)
            ).first()
        assert found is not None, "the practitioner's sampled case has no auditor pair"
        audit_id, case_ref, auditor_id = found

        auditor = load_actor(auditor_id)
        detail = audit_workflow.audit_detail(auditor, audit_id)
        answers = [
            AnswerInput(question_key=q.key, answer="yes", evidence="Seen in the case record.")
            for section in detail.definition.sections
            for q in section.questions
        ]
        sheet = FeedbackSheetUpdate(good_practice=f"Clear risk of harm analysis (LEARN day {event_date:%d %b %Y}).")
        version = audit_workflow.save_draft(auditor, audit_id, answers, sheet, detail.version)
        status = audit_workflow.submit(auditor, audit_id, version)
        assert status == AuditStatus.FEEDBACK_SENT, f"the audit was not sent to an SPO: {status}"

    with database(url) as session:
        audit = session.get(CaseAudit, audit_id)
        assert audit.feedback_to_id == who.spo_id, (
            "the feedback sheet went to someone other than the practitioner's SPO"
        )
    return SentAudit(audit_id, case_ref)


# --------------------------------------------------------------------- the test


def test_supervision_from_agenda_to_sign_off_by_both(signed_in, demo_database_url, review_screenshot):
    who = people(demo_database_url)
    today = dt.date.today()
    tag = secrets.token_hex(3)  # makes this run's texts unique in the database
    note_title = f"The home visit that went sideways ({tag})"
    note_text = f"Wombat{tag}: I lost my temper for a moment and want to understand why."
    notes = f"Talked through the audit feedback and the home visit ({tag})."
    comment = f"A fair record. I will book the joint visit ({tag})."

    # 0. The audit feedback sheet waiting with the SPO.
    sent = send_audit_feedback(demo_database_url, who, today + dt.timedelta(days=DAYS_AHEAD))
    audit_item = f"Audit feedback on case {sent.case_ref}"
    reflection_item = f"Shared reflection: {note_title}"

    # 1. The practitioner writes a note and shares it for supervision.
    practitioner = signed_in(PRACTITIONER_EMAIL)
    open_menu(practitioner, "My reflective journal")
    practitioner.get_by_role("button", name="New note").click()
    expect(heading(practitioner, "New note")).to_be_visible(timeout=WAIT)
    # Each box saves when it is left. The text first, so that leaving the title
    # (which the page then shows as its heading) saves both.
    first_box = practitioner.get_by_test_id("stMain").locator("textarea").first
    first_box.fill(note_text)
    first_box.press("Tab")
    title_box = practitioner.get_by_label("Title", exact=True)
    title_box.fill(note_title)
    title_box.press("Tab")
    expect(heading(practitioner, note_title)).to_be_visible(timeout=WAIT)
    expect(first_box).to_have_value(note_text)

    spo_choice = f"{who.spo_name} (my SPO)"
    share = practitioner.get_by_test_id("stForm").filter(has=practitioner.get_by_role("button", name="Share this note"))
    choose(practitioner, "Share with", spo_choice)
    tick(share, "I want to talk about this in supervision")
    share.get_by_role("button", name="Share this note").click()
    expect(flash(practitioner, f"Shared with {spo_choice}.")).to_be_visible(timeout=WAIT)
    expect(markdown(practitioner, f"{who.spo_name} (for supervision)")).to_be_visible()
    expect(practitioner.get_by_text(f"only you, and {who.spo_name} because you shared it")).to_be_visible()
    review_screenshot(practitioner, "supervision-1-note-shared")

    # The text was saved too: the journal's search finds the note by it.
    open_menu(practitioner, "My reflective journal")
    words = practitioner.get_by_label("Words", exact=True)
    words.fill(f"Wombat{tag}")
    words.press("Enter")
    expect(markdown(practitioner, note_title)).to_be_visible(timeout=WAIT)

    # 2. The SPO prepares supervision, records the session and signs it.
    spo = signed_in(SPO_EMAIL)
    open_menu(spo, "Supervision")
    choose(spo, "Prepare supervision with", who.practitioner_name)
    expect(spo.get_by_role("heading", name=f"Agenda for {who.practitioner_name}", exact=True)).to_be_visible(
        timeout=WAIT
    )
    expect(markdown(spo, audit_item, "Discussing it marks the audit")).to_be_visible(timeout=WAIT)
    expect(markdown(spo, reflection_item, "Shared with you for supervision.")).to_be_visible()

    record = spo.get_by_test_id("stForm").filter(has=spo.get_by_role("button", name="Save and sign the record"))
    tick(record, audit_item)
    tick(record, reflection_item)
    record.get_by_label("Notes", exact=True).fill(notes)
    review_screenshot(spo, "supervision-2-agenda-and-form")
    record.get_by_role("button", name="Save and sign the record").click()

    expect(heading(spo, f"Supervision on {today:%d %b %Y}")).to_be_visible(timeout=WAIT)
    expect(flash(spo, "Session recorded and signed by you.")).to_be_visible()
    match = re.search(r"[?&]session=(\d+)", spo.url)
    assert match, f"the record's address has no session id: {spo.url}"
    session_id = int(match.group(1))
    expect(markdown(spo, f"with {who.practitioner_name}", "awaiting sign-off")).to_be_visible()
    expect(spo.get_by_role("heading", name="Agenda items discussed", exact=True)).to_be_visible()
    expect(markdown(spo, audit_item).get_by_role("listitem")).to_be_visible()
    expect(markdown(spo, reflection_item).get_by_role("listitem")).to_be_visible()
    expect(spo.get_by_test_id("stText").filter(has_text=notes)).to_be_visible()
    review_screenshot(spo, "supervision-3-record-spo")

    with database(demo_database_url) as session:
        status = session.get(CaseAudit, sent.audit_id).status
    assert status in (AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED), (
        f"the audit was not marked discussed: {status}"
    )

    # 3. The practitioner confirms the record.
    practitioner = signed_in(PRACTITIONER_EMAIL)
    open_menu(practitioner, "My supervision")
    expect(
        practitioner.get_by_text(re.compile(r"^\d+ supervision records? waiting for you to confirm\.$"))
    ).to_be_visible(timeout=WAIT)
    # Both items have left the agenda now that they are discussed.
    expect(practitioner.get_by_role("heading", name="My agenda for next time", exact=True)).to_be_visible()
    expect(markdown(practitioner, audit_item)).to_have_count(0)
    expect(markdown(practitioner, reflection_item)).to_have_count(0)
    link = practitioner.get_by_test_id("stMain").locator(f'a[href$="session={session_id}"]')
    expect(link).to_contain_text(f"{today:%d %b %Y}", timeout=WAIT)
    expect(link).to_contain_text("awaiting sign-off")
    review_screenshot(practitioner, "supervision-4-my-supervision")

    link.click()
    expect(heading(practitioner, f"Supervision on {today:%d %b %Y}")).to_be_visible(timeout=WAIT)
    expect(markdown(practitioner, reflection_item).get_by_role("listitem")).to_be_visible()
    practitioner.get_by_label("Your comments (optional)", exact=True).fill(comment)
    practitioner.get_by_role("button", name="I confirm this is a fair record").click()
    expect(flash(practitioner, "Your confirmation is recorded.")).to_be_visible(timeout=WAIT)
    expect(markdown(practitioner, "signed by both")).to_be_visible()
    expect(practitioner.get_by_test_id("stText").filter(has_text=comment)).to_be_visible()
    expect(practitioner.get_by_role("button", name="I confirm this is a fair record")).to_have_count(0)
    review_screenshot(practitioner, "supervision-5-record-confirmed")

    open_menu(practitioner, "My supervision")
    expect(link).to_contain_text("signed by both", timeout=WAIT)
    review_screenshot(practitioner, "supervision-6-my-supervision-after")
