"""One LEARN case audit from start to finish, in a real browser, as four people.

1. The QA lead plans a LEARN day for their PDU, accepts the proposed sample
   and sees the auditor pairs.
2. (The test reads its own database to find out who was paired with what.)
3. The first auditor of a pair answers every question, writes the feedback
   sheet, adds an action and submits; the sheet goes to the case holder's SPO.
4. That SPO opens the sheet and marks it as discussed in supervision.
5. The case holder opens the sheet and replies.

Every person signs in through the real form in their own browser context (a
new portal session). Set ``PQP_SCREENSHOTS=/some/folder`` to also save
screenshots of each screen on the way (``learn-*.png``) for a human to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import aliased
from sqlmodel import select

from db.audits import AuditEvent, AuditorPair, AuditStatus, CaseAudit
from db.demo import QA_LEAD_EMAIL, SPO_EMAIL
from db.organisation import Case, Pdu, User
from qa.audits.instrument import definition_of
from tests.browser.helpers import database, flash, open_menu

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: Streamlit renders asynchronously and reruns after each click
PDU_NAME = "Northbrook PDU"  # the demo QA lead's PDU
DAYS_AHEAD = 40  # far enough ahead not to meet the demo's or anyone's usual dates
SAMPLE_SIZE = 16  # the form's default


# ------------------------------------------------------------------ helpers


def audit_link(page: Page, todo: AuditToDo):
    """The links to this audit (its case may be in another test's sample too, so match the address, not the name)."""
    return page.get_by_test_id("stMain").locator(f'a[href$="audit={todo.audit_id}"]')


def open_audit(page: Page, todo: AuditToDo) -> None:
    """Open the audit from a list (several lists may link the same audit: any will do)."""
    link = audit_link(page, todo).first
    expect(link).to_be_visible(timeout=WAIT)
    expect(link).to_have_text(re.compile(rf"{re.escape(todo.case_ref)}$"))  # after the icon
    link.click()
    expect(
        page.get_by_role("heading", level=1, name=re.compile(rf"^Case audit: {re.escape(todo.case_ref)}$"))
    ).to_be_visible(timeout=WAIT)


def free_event_date(url: str, pdu_name: str, start: dt.date) -> dt.date:
    """The first date from ``start`` on which the PDU has no audit event, so
    that running this test twice against one database still creates a new one."""
    with database(url) as session:
        taken = set(
            session.exec(
                select(AuditEvent.event_date).join(Pdu, AuditEvent.pdu_id == Pdu.id).where(Pdu.name == pdu_name)
            ).all()
        )
    day = start
    while day in taken:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class AuditToDo:
    audit_id: int
    case_ref: str
    auditor_email: str  # the pair's first auditor
    holder_email: str
    spo_email: str  # the case holder's supervisor, who receives the sheet
    questions: int


def audit_to_do(url: str, event_id: int) -> AuditToDo:
    """A draft audit in the event whose pair leaves out the demo SPO login and the
    holder's own SPO, and whose case holder has a supervisor to send the sheet to."""
    first, second, holder, spo = (aliased(User) for _ in range(4))
    with database(url) as session:
        row = session.exec(
            select(CaseAudit.id, CaseAudit.instrument_id, Case.case_ref, first.email, holder.email, spo.email)
            .join(AuditorPair, CaseAudit.pair_id == AuditorPair.id)
            .join(first, AuditorPair.first_id == first.id)
            .join(second, AuditorPair.second_id == second.id)
            .join(Case, CaseAudit.case_id == Case.id)
            .join(holder, Case.holder_id == holder.id)
            .join(spo, holder.supervisor_id == spo.id)
            .where(
                CaseAudit.event_id == event_id,
                CaseAudit.moderates_id.is_(None),
                CaseAudit.status == AuditStatus.DRAFT,
                first.email != SPO_EMAIL,
                second.email != SPO_EMAIL,
                first.id != spo.id,
                second.id != spo.id,
                first.is_active,
            )
            .order_by(CaseAudit.id)
        ).first()
        if row is None:
            pytest.fail(f"event {event_id} has no audit whose pair leaves out {SPO_EMAIL} and whose holder has an SPO")
        audit_id, instrument_id, case_ref, auditor_email, holder_email, spo_email = row
        definition = definition_of(session, instrument_id)
        questions = sum(len(section.questions) for section in definition.sections)
    return AuditToDo(audit_id, case_ref, auditor_email, holder_email, spo_email, questions)


# --------------------------------------------------------------------- the test


def test_learn_audit_from_event_to_reply(signed_in, demo_database_url, review_screenshot):
    event_date = free_event_date(demo_database_url, PDU_NAME, dt.date.today() + dt.timedelta(days=DAYS_AHEAD))
    tag = f"{event_date:%d %b %Y}"  # makes this run's texts unique in the database
    good_practice = f"Clear, well-evidenced risk of harm analysis naming who is at risk (LEARN day {tag})."
    action = f"Review the risk management plan with the SPO (LEARN day {tag})."
    reply = f"Thank you: I will update the plan this week (LEARN day {tag})."

    # 1. The QA lead plans the LEARN day, accepts the sample and sees the pairs.
    lead = signed_in(QA_LEAD_EMAIL)
    open_menu(lead, "Audit events")
    new_event = lead.get_by_test_id("stForm").filter(
        has=lead.get_by_role("button", name="Create event and propose a sample")
    )
    expect(new_event.get_by_role("combobox", name="PDU", exact=True)).to_have_value(PDU_NAME, timeout=WAIT)
    expect(new_event.get_by_role("slider", name="Number of cases")).to_have_value(str(SAMPLE_SIZE))
    day = new_event.get_by_role("spinbutton", name="day, Date of the LEARN day")
    day.click()
    lead.keyboard.type(f"{event_date:%d%m%Y}")  # the date field moves on to month and year by itself
    for part, value in (("day", event_date.day), ("month", event_date.month), ("year", event_date.year)):
        expect(new_event.get_by_role("spinbutton", name=f"{part}, Date of the LEARN day")).to_have_attribute(
            "aria-valuenow", str(value)
        )
    new_event.get_by_role("button", name="Create event and propose a sample").click()

    expect(lead.get_by_role("heading", level=1, name=f"LEARN day {tag}: {PDU_NAME}")).to_be_visible(timeout=WAIT)
    expect(flash(lead, f"Event created for {tag}")).to_be_visible()
    match = re.search(r"[?&]event=(\d+)", lead.url)
    assert match, f"the event page's address has no event id: {lead.url}"
    event_id = int(match.group(1))
    expect(lead.get_by_text(f"{SAMPLE_SIZE} cases in the sample (asked for {SAMPLE_SIZE})")).to_be_visible()
    expect(lead.get_by_role("tab", name="Sample")).to_have_attribute("aria-selected", "true")
    sample_table = lead.get_by_test_id("stTable").first  # a static table, so each reason wraps and reads in full
    expect(sample_table).to_be_visible(timeout=WAIT)
    expect(sample_table.locator("tbody tr")).to_have_count(SAMPLE_SIZE)
    accept = lead.get_by_role("button", name="Accept the sample")
    expect(accept).to_be_visible(timeout=WAIT)
    review_screenshot(lead, "learn-1-event-sample")

    accept.click()
    expect(flash(lead, "Sample accepted.")).to_be_visible(timeout=WAIT)
    expect(lead.get_by_text("Status: sample accepted")).to_be_visible()
    lead.get_by_role("tab", name="Pairs and progress").click()
    expect(lead.get_by_text("Pair 1:", exact=True)).to_be_visible(timeout=WAIT)
    review_screenshot(lead, "learn-2-event-pairs")

    # 2. Who was paired with what: read from the database.
    todo = audit_to_do(demo_database_url, event_id)
    expect(audit_link(lead, todo).first).to_be_visible()

    # 3. The first auditor completes and submits the audit.
    auditor = signed_in(todo.auditor_email)
    open_menu(auditor, "My audits")
    expect(auditor.get_by_role("heading", name=re.compile(r"^To do \(\d+\)$"))).to_be_visible(timeout=WAIT)
    expect(audit_link(auditor, todo).first).to_be_visible(timeout=WAIT)
    review_screenshot(auditor, "learn-3-my-audits")
    open_audit(auditor, todo)
    questions = auditor.get_by_test_id("stMain").get_by_role("radiogroup")
    expect(questions).to_have_count(todo.questions, timeout=WAIT)
    expect(auditor.get_by_role("button", name="Submit audit")).to_be_visible(timeout=WAIT)
    review_screenshot(auditor, "learn-4-audit-form-top", whole=False)

    for number in range(todo.questions):
        question = questions.nth(number)
        question.get_by_text("Yes", exact=True).click()  # clicks scroll the long form as needed
        expect(question.get_by_role("radio", name="Yes", exact=True)).to_be_checked()
    auditor.get_by_label("Good practice examples", exact=True).fill(good_practice)
    auditor.get_by_role("button", name="Save draft").click()
    expect(flash(auditor, "Draft saved.")).to_be_visible(timeout=WAIT)

    auditor.get_by_label("New action", exact=True).fill(action)
    auditor.get_by_role("button", name="Add action").click()
    expect(auditor.get_by_test_id("stMarkdownContainer").filter(has_text=action)).to_be_visible(timeout=WAIT)
    expect(auditor.get_by_label("Good practice examples", exact=True)).to_have_value(good_practice)
    review_screenshot(auditor, "learn-5-audit-form-filled")

    auditor.get_by_role("button", name="Submit audit").click()
    expect(flash(auditor, "Audit submitted. The feedback sheet has gone to the case holder's SPO.")).to_be_visible(
        timeout=WAIT
    )
    expect(auditor.get_by_text("Status: feedback sent")).to_be_visible()
    expect(auditor.get_by_role("button", name="Submit audit")).to_have_count(0)
    open_menu(auditor, "My audits")
    expect(auditor.get_by_role("heading", name=re.compile(r"^Submitted \([1-9]\d*\)$"))).to_be_visible(timeout=WAIT)

    # 4. The case holder's SPO reads the sheet and marks it discussed.
    spo = signed_in(todo.spo_email)
    open_menu(spo, "Team audit feedback")
    expect(audit_link(spo, todo).first).to_be_visible(timeout=WAIT)
    review_screenshot(spo, "learn-6-team-audit-feedback")
    open_audit(spo, todo)
    expect(spo.get_by_test_id("stText").filter(has_text=good_practice)).to_be_visible(timeout=WAIT)
    expect(spo.get_by_test_id("stMarkdownContainer").filter(has_text=action)).to_be_visible()
    mark = spo.get_by_role("button", name="Mark as discussed in supervision")
    expect(mark).to_be_visible(timeout=WAIT)
    review_screenshot(spo, "learn-7-feedback-sheet-spo")
    mark.click()
    expect(flash(spo, "Marked as discussed.")).to_be_visible(timeout=WAIT)
    expect(spo.get_by_text("Status: discussed in supervision")).to_be_visible()
    expect(mark).to_have_count(0)

    # 5. The case holder reads the sheet and replies.
    holder = signed_in(todo.holder_email)
    open_menu(holder, "Audit feedback on my cases")
    expect(audit_link(holder, todo).first).to_be_visible(timeout=WAIT)
    expect(holder.get_by_test_id("stMarkdownContainer").filter(has_text=action)).to_be_visible()
    review_screenshot(holder, "learn-8-audit-feedback-on-my-cases")
    open_audit(holder, todo)
    expect(holder.get_by_test_id("stText").filter(has_text=good_practice)).to_be_visible(timeout=WAIT)
    holder.get_by_label("Your reply", exact=True).fill(reply)
    holder.get_by_role("button", name="Save reply").click()
    expect(flash(holder, "Your reply has been saved.")).to_be_visible(timeout=WAIT)
    expect(holder.get_by_test_id("stText").filter(has_text=reply)).to_be_visible()
    review_screenshot(holder, "learn-9-feedback-sheet-holder-replied")
