"""Each role's main journey, in a real browser: practitioner, SPO, QA lead, administrator.

One test per role, named after it, so a failure says whose day is broken. The
deeper multi-person journeys cover more of each step and are not repeated here:

- ``test_learn_journey.py``: a LEARN audit from the QA lead's event to the holder's reply;
- ``test_observation_journey.py``: an observation from the SPO's plan to the practitioner's reply;
- ``test_supervision_journey.py``: a supervision record from agenda to sign-off by both;
- ``test_meeting_mode.py``: dashboards and meeting mode on real LEARN results;
- ``test_privacy.py``: private notes and debriefs stay private;
- ``test_sign_in.py`` and ``test_sso.py``: signing in and out, lockout, idle timeout, SSO.

What must exist before a role's turn (an observation shared with the
practitioner; an audit feedback sheet waiting with the SPO) is put in through
the portal's own services, which is quick, so each test spends its time in the
browser on that role's own steps. Each uses people the other journeys do not,
so the tests can run in any order on the one demo database.

Each role's last screen is always saved as ``test-artifacts/browser/role-<role>.png``
for a human to look at. Set ``PQP_SCREENSHOTS=/some/folder`` to also keep the steps.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from db.demo import ADMIN_EMAIL, QA_LEAD_EMAIL, SPO_EMAIL
from db.organisation import AuditTrail, Case, Pdu, Role, Team, User, UserRole
from tests.browser.helpers import choose, database, flash, heading, idle, open_menu, services_on, shot, tick
from tests.browser.test_supervision_journey import People, send_audit_feedback

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: Streamlit renders asynchronously and reruns after each click
DAYS_AHEAD = 80  # the SPO journey's LEARN day: clear of the other journeys' (40 and 60 days ahead)


# ------------------------------------------------------------------ helpers


def final_screenshot(page: Page, role: str, review_screenshot) -> None:
    """Every role's last screen, always kept for a human to look at."""
    shot(page, f"role-{role}")
    review_screenshot(page, f"role-{role}")


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    team: str


def _person(user: User, team: Team) -> Person:
    return Person(user.id, user.email, user.full_name, team.name)


def with_role(session: Session, role: Role):
    return (
        select(User, Team, Pdu)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Team, User.team_id == Team.id)
        .join(Pdu, Team.pdu_id == Pdu.id)
        .where(UserRole.role == role, User.is_active)
        .order_by(User.id)
    )


def supervisee_with_cases(session: Session, spo_id: int) -> tuple[User, Team]:
    holders = select(Case.holder_id)
    row = session.exec(
        select(User, Team)
        .join(Team, User.team_id == Team.id)
        .where(User.supervisor_id == spo_id, User.is_active, User.id.in_(holders))
        .order_by(User.id)
    ).first()
    assert row is not None, f"SPO {spo_id} supervises nobody who holds cases"
    return row


@dataclass(frozen=True)
class Cast:
    """People no other browser journey uses (those use the demo logins)."""

    practitioner: Person  # a practitioner in the second PDU
    practitioner_spo: Person
    spo: Person  # an SPO in the demo QA lead's PDU, not the demo SPO
    spo_supervisee: Person
    qa_lead: Person  # the second PDU's QA lead
    qa_pdu: str


@pytest.fixture(scope="module")
def cast(demo_database_url) -> Cast:
    with database(demo_database_url) as session:
        home_pdu = session.exec(
            select(Pdu)
            .join(Team, Team.pdu_id == Pdu.id)
            .join(User, User.team_id == Team.id)
            .where(User.email == QA_LEAD_EMAIL)
        ).one()
        lead, lead_team, lead_pdu = next(
            row for row in session.exec(with_role(session, Role.QA_LEAD)) if row[2].id != home_pdu.id
        )
        spos = [row for row in session.exec(with_role(session, Role.SPO)) if row[0].email != SPO_EMAIL]
        other_spo, other_team, _ = next(row for row in spos if row[2].id != home_pdu.id)
        practitioner, practitioner_team = supervisee_with_cases(session, other_spo.id)
        spo, spo_team, _ = next(row for row in spos if row[2].id == home_pdu.id)
        supervisee, supervisee_team = supervisee_with_cases(session, spo.id)
        return Cast(
            practitioner=_person(practitioner, practitioner_team),
            practitioner_spo=_person(other_spo, other_team),
            spo=_person(spo, spo_team),
            spo_supervisee=_person(supervisee, supervisee_team),
            qa_lead=_person(lead, lead_team),
            qa_pdu=lead_pdu.name,
        )


def share_an_observation(url: str, observer: Person, practitioner: Person, strengths: str) -> int:
    """The SPO plans, records and shares an observation, through the services."""
    from db.observations import InvitationResponse, InvitationStatus, ObservationPlan, ObservationRecord, RatingInput
    from qa.access.auth import load_actor
    from qa.observations import framework as skills_framework
    from qa.observations import workflow as observations

    with services_on(url):
        from db.engine import session_scope

        spo = load_actor(observer.id)
        with session_scope() as session:
            _row, framework = skills_framework.latest(session)
        when = dt.date.today() - dt.timedelta(days=2)
        obs_id = observations.plan_observation(
            spo,
            ObservationPlan(
                practitioner_id=practitioner.id, observer_id=observer.id, observed_on=when, setting="office"
            ),
        )
        observations.respond_to_invitation(  # the practitioner accepts before anything is recorded
            load_actor(practitioner.id), obs_id, InvitationResponse(answer=InvitationStatus.ACCEPTED)
        )
        record = {
            "consent": True, "observed_on": when, "setting": "office", "mode": "live", "duration_minutes": 40,
            "case_ref": None, "strengths": strengths, "development_points": "Leave time for a summary at the end.",
        }  # fmt: skip
        ratings = [{"domain_key": d.key, "rating": 3, "evidence": "Seen in the session."} for d in framework.domains]
        observations.save_record(spo, obs_id, ObservationRecord(**record), [RatingInput(**r) for r in ratings], None)
        observations.share(spo, obs_id)
    return obs_id


# --------------------------------------------------------------------- the tests


def test_practitioner_journey(signed_in, demo_database_url, cast: Cast, review_screenshot):
    """Sign in; write a journal note; record a quick debrief; read the observation
    feedback the SPO shared, and reply to it."""
    me = cast.practitioner
    tag = secrets.token_hex(3)
    note_title = f"A hard conversation about the licence conditions ({tag})"
    note_text = f"Quokka{tag}: I held the boundary and stayed calm, and want to remember how."
    strengths = f"Clear and respectful about the order's requirements ({tag})."
    reply = f"Thank you; I will practise the summary at the end ({tag})."
    observation_id = share_an_observation(demo_database_url, cast.practitioner_spo, me, strengths)

    page = signed_in(me.email)
    expect(heading(page, re.compile(rf"^Welcome, {re.escape(me.name.split()[0])}"))).to_be_visible(timeout=WAIT)

    # A journal note: each box saves as it is left.
    open_menu(page, "My reflective journal")
    page.get_by_role("button", name="New note").click()
    expect(heading(page, "New note")).to_be_visible(timeout=WAIT)
    text_box = page.get_by_test_id("stMain").locator("textarea").first
    text_box.fill(note_text)
    text_box.press("Tab")
    title_box = page.get_by_label("Title", exact=True)
    title_box.fill(note_title)
    title_box.press("Tab")
    expect(heading(page, note_title)).to_be_visible(timeout=WAIT)
    open_menu(page, "My reflective journal")
    expect(page.get_by_test_id("stMain").get_by_text(note_title)).to_be_visible(timeout=WAIT)

    # A quick debrief.
    open_menu(page, "Quick debrief")
    page.get_by_role("button", name="drained", exact=True).click()
    page.get_by_role("button", name="Save debrief").click()
    expect(page.get_by_text("Saved. Thank you for taking a moment for yourself.")).to_be_visible(timeout=WAIT)

    # The observation feedback, and a reply.
    open_menu(page, "My observations and development")
    link = page.get_by_test_id("stMain").locator(f'a[href$="observation={observation_id}"]').first
    expect(link).to_be_visible(timeout=WAIT)
    link.click()
    expect(heading(page, f"Observation of {me.name}")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stText").filter(has_text=strengths)).to_be_visible(timeout=WAIT)
    page.get_by_label("My reply to the observer", exact=True).fill(reply)
    page.get_by_role("button", name="Save and acknowledge").click()
    expect(flash(page, "Acknowledged. Thank you.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("status: acknowledged")).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_text(reply)).to_be_visible()
    final_screenshot(page, "practitioner", review_screenshot)


def test_spo_journey(signed_in, demo_database_url, cast: Cast, review_screenshot):
    """Team home; open an audit feedback sheet about a supervisee's case; record
    (and sign) a supervision session that discusses it."""
    spo, supervisee = cast.spo, cast.spo_supervisee
    today = dt.date.today()
    notes = f"Went through the audit feedback together ({secrets.token_hex(3)})."
    sent = send_audit_feedback(
        demo_database_url,
        People(supervisee.id, supervisee.name, spo.id, spo.name),
        today + dt.timedelta(days=DAYS_AHEAD),
    )

    page = signed_in(spo.email)
    expect(heading(page, f"Team home: {spo.team}")).to_be_visible(timeout=WAIT)

    open_menu(page, "Team audit feedback")
    link = (
        page.get_by_test_id("stMain").get_by_role("link", name=re.compile(rf"(^|\s){re.escape(sent.case_ref)}$")).first
    )
    expect(link).to_be_visible(timeout=WAIT)
    link.click()
    expect(heading(page, f"Case audit: {sent.case_ref}")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stText").filter(has_text="Clear risk of harm analysis")).to_be_visible(timeout=WAIT)
    review_screenshot(page, "role-spo-feedback-sheet")

    open_menu(page, "Supervision")
    choose(page, "Prepare supervision with", supervisee.name)
    audit_item = f"Audit feedback on case {sent.case_ref}"
    record = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Save and sign the record"))
    expect(record.get_by_text(audit_item, exact=True)).to_be_visible(timeout=WAIT)
    tick(record, audit_item)
    record.get_by_label("Notes", exact=True).fill(notes)
    record.get_by_role("button", name="Save and sign the record").click()
    expect(heading(page, f"Supervision on {today:%d %b %Y}")).to_be_visible(timeout=WAIT)
    expect(flash(page, "Session recorded and signed by you.")).to_be_visible()
    expect(page.get_by_test_id("stText").filter(has_text=notes)).to_be_visible()
    final_screenshot(page, "spo", review_screenshot)


def test_qa_lead_journey(signed_in, demo_database_url, cast: Cast, review_screenshot):
    """PDU overview; plan a LEARN day; accept the proposed sample; see the auditor
    pairs; open the dashboards for the PDU."""
    lead, pdu = cast.qa_lead, cast.qa_pdu
    with database(demo_database_url) as session:
        from db.audits import AuditEvent

        taken = set(
            session.exec(
                select(AuditEvent.event_date).join(Pdu, AuditEvent.pdu_id == Pdu.id).where(Pdu.name == pdu)
            ).all()
        )
    event_date = dt.date.today() + dt.timedelta(days=30)
    while event_date in taken:
        event_date += dt.timedelta(days=1)
    tag = f"{event_date:%d %b %Y}"

    page = signed_in(lead.email)
    expect(heading(page, f"PDU overview: {pdu}")).to_be_visible(timeout=WAIT)

    open_menu(page, "Audit events")
    new_event = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Create event and propose a sample")
    )
    expect(new_event.get_by_role("combobox", name="PDU", exact=True)).to_have_value(pdu, timeout=WAIT)
    new_event.get_by_role("spinbutton", name="day, Date of the LEARN day").click()
    page.keyboard.type(f"{event_date:%d%m%Y}")
    for part, value in (("day", event_date.day), ("month", event_date.month), ("year", event_date.year)):
        expect(new_event.get_by_role("spinbutton", name=f"{part}, Date of the LEARN day")).to_have_attribute(
            "aria-valuenow", str(value)
        )
    new_event.get_by_role("button", name="Create event and propose a sample").click()
    expect(heading(page, f"LEARN day {tag}: {pdu}")).to_be_visible(timeout=WAIT)
    expect(flash(page, f"Event created for {tag}")).to_be_visible()
    accept = page.get_by_role("button", name="Accept the sample")
    expect(accept).to_be_visible(timeout=WAIT)
    accept.click()
    expect(flash(page, "Sample accepted.")).to_be_visible(timeout=WAIT)
    page.get_by_role("tab", name="Pairs and progress").click()
    expect(page.get_by_text("Pair 1:", exact=True)).to_be_visible(timeout=WAIT)
    review_screenshot(page, "role-qa-lead-pairs")

    open_menu(page, "Dashboards", f"Dashboards: {pdu}")
    expect(page.get_by_test_id("stMetric").filter(has_text="Audits in view")).to_be_visible(timeout=WAIT)
    idle(page)
    final_screenshot(page, "qa-lead", review_screenshot)


def test_admin_journey(signed_in, demo_database_url, review_screenshot):
    """Add a user; import a staff CSV; see both in the audit trail."""
    tag = secrets.token_hex(3)
    added_email = f"new.starter.{tag}@demo.example"
    imported_email = f"imported.{tag}@demo.example"
    with database(demo_database_url) as session:
        # The new people's supervisor: the last SPO, whom no other journey signs in as.
        spo, team, pdu = [row for row in session.exec(with_role(session, Role.SPO)) if row[0].email != SPO_EMAIL][-1]

    page = signed_in(ADMIN_EMAIL)
    expect(heading(page, "Administration")).to_be_visible(timeout=WAIT)

    # Add a user (a practitioner, who needs a team and a supervisor).
    open_menu(page, "Users")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Add user"))
    form.get_by_label("Full name", exact=True).fill(f"Nia Newstarter {tag}")
    form.get_by_label("Email", exact=True).fill(added_email)
    choose(page, "Team", f"{team.name} ({pdu.name})", scope=form)
    choose(page, "Supervisor", f"{spo.full_name} ({spo.grade})", scope=form)
    form.get_by_role("button", name="Add user").click()
    expect(flash(page, f"Nia Newstarter {tag} has been added.")).to_be_visible(timeout=WAIT)

    # Import one more person from a CSV file.
    open_menu(page, "Import staff")
    csv = (
        "staff_id,full_name,email,grade,roles,pdu,team,supervisor\n"
        f"NEW{tag},Ivo Imported {tag},{imported_email},PSO,practitioner,{pdu.name},{team.name},{spo.email}\n"
    )
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    expect(page.get_by_text("Ready to import: 1 new, 0 to update, 0 unchanged.")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Import staff").click()
    expect(flash(page, "Import finished: 1 added, 0 updated, 0 unchanged.")).to_be_visible(timeout=WAIT)

    # Both are in the audit trail, as created by this administrator. (The trail is
    # a data grid drawn on a canvas, so its rows are checked in the database and
    # seen in the screenshot.)
    open_menu(page, "Audit trail")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=WAIT)
    with database(demo_database_url) as session:
        admin_id = session.exec(select(User.id).where(User.email == ADMIN_EMAIL)).one()
        added_id = session.exec(select(User.id).where(User.email == added_email)).one()
        imported_id = session.exec(select(User.id).where(User.email == imported_email)).one()
        recorded = set(
            session.exec(
                select(AuditTrail.action, AuditTrail.entity_id).where(
                    AuditTrail.entity == "user", AuditTrail.actor_id == admin_id
                )
            ).all()
        )
    assert {("created", str(added_id)), ("imported", str(imported_id))} <= {(a, str(e)) for a, e in recorded}
    final_screenshot(page, "admin", review_screenshot)
