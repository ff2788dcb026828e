"""An observation of practice from plan to reply, in a real browser, as two people.

1. The SPO plans an observation of the practitioner they supervise: an
   invitation, which nothing can be recorded against until it is accepted.
2. The practitioner accepts the invitation, rates themselves beforehand and
   says what they want feedback on.
3. The SPO records the observation (consent, a rating for every skill area,
   strengths) and shares it; saving without consent is refused first, in
   plain English, without losing what was typed.
4. The practitioner reads it, reflects, replies and acknowledges.
5. The SPO opens it again and reads the reply.

Every step is a new portal session (its own browser context) signed in through
the real form. Set ``PQP_SCREENSHOTS=/some/folder`` to also save screenshots
of the SPO's form, the shared observation and the practitioner's development
page (``observation-*.png``) for a human to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from db.demo import PRACTITIONER_EMAIL, SPO_EMAIL
from db.organisation import Team, User
from tests.browser.helpers import after_run, choose, database, flash, idle, open_menu

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: Streamlit renders asynchronously and reruns after each click

#: The skill areas of the demo's framework (qa/observations/frameworks/practice_skills_v1.json),
#: in the order the form shows them, and its four-point scale.
SKILL_AREAS = [
    "Relationship",
    "Structuring the session",
    "Legitimate use of authority",
    "Pro-social modelling and reinforcement",
    "Motivational interviewing",
    "Cognitive and problem-solving techniques",
    "Risk of harm and need focus",
    "Desistance and strengths focus",
    "Diversity and responsivity",
    "Recording and defensible decisions",
]
SCALE = {1: "Not yet evident", 2: "Developing", 3: "Skilled", 4: "Highly skilled"}
#: The observer's rating of each skill area (varied, so the charts have a shape).
OBSERVER_RATINGS = [3, 2, 3, 4, 2, 3, 3, 4, 3, 2]
#: The practitioner's own view beforehand, on a few skill areas only.
SELF_RATINGS = {"Relationship": 4, "Structuring the session": 2, "Motivational interviewing": 3}

CONSENT = "The person on probation agreed to this session being observed"
CONSENT_ERROR = (
    "An observation can only be saved when the person on probation has agreed to it. "
    "Confirm their consent, or do not record this session."
)


# ------------------------------------------------------------------ helpers


def open_observation(page: Page, observation_id: int, practitioner_name: str) -> None:
    """Open the observation from a list on the current page. The lists label each
    link with the session's date only, so pick it by the address it leads to."""
    link = page.get_by_test_id("stMain").locator(f'a[href$="observation={observation_id}"]').first
    expect(link).to_be_visible(timeout=WAIT)
    link.click()
    expect(title(page, practitioner_name)).to_be_visible(timeout=WAIT)


def title(page: Page, practitioner_name: str) -> Locator:
    return page.get_by_role("heading", level=1, name=f"Observation of {practitioner_name}", exact=True)


def self_slider(page: Page, area: str) -> Locator:
    """The thumb of a self-rating slider: a visually hidden range input inside the
    group that Streamlit labels with the skill area."""
    return page.get_by_role("group", name=area, exact=True).get_by_role("slider")


def text_block(page: Page, text: str) -> Locator:
    """A plain-text block (``st.text``) showing ``text``."""
    return page.get_by_test_id("stText").filter(has_text=text)


@dataclass(frozen=True)
class Person:
    name: str
    choice: str  # how the planning form's select box lists them: "Full name (Team)"


def person(url: str, email: str) -> Person:
    with database(url) as session:
        user, team = session.exec(
            select(User, Team).join(Team, User.team_id == Team.id).where(User.email == email)
        ).one()
        return Person(user.full_name, f"{user.full_name} ({team.name})")


# --------------------------------------------------------------------- the test


def test_observation_from_plan_to_reply(signed_in, demo_database_url, review_screenshot):
    practitioner = person(demo_database_url, PRACTITIONER_EMAIL)
    stamp = dt.datetime.now().strftime("%H:%M:%S.%f")  # makes this run's texts unique in the database
    wanted = f"How I use motivational interviewing when someone is angry ({stamp})."
    strengths = f"Warm, clear opening; agreed an agenda together and kept to it ({stamp})."
    reflection = f"I rushed the ending and will leave ten minutes for a summary next time ({stamp})."
    reply = f"Thank you, that matches how it felt in the room ({stamp})."

    # 1. The SPO plans the observation.
    spo = signed_in(SPO_EMAIL)
    open_menu(spo, "Plan an observation")
    plan = spo.get_by_test_id("stForm").filter(has=spo.get_by_role("button", name="Plan observation"))
    expect(plan.get_by_role("combobox", name="Practitioner", exact=True)).to_be_visible(timeout=WAIT)
    choose(spo, "Practitioner", practitioner.choice, plan)  # typed: a long list only draws the options in view
    # Planned for today: the session is recorded on its planned date, which cannot be in the future.
    today = dt.date.today()
    plan.get_by_role("spinbutton", name="day, Date of the session").click()
    spo.keyboard.type(f"{today:%d%m%Y}")  # the date field moves on to month and year by itself
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        expect(plan.get_by_role("spinbutton", name=f"{part}, Date of the session")).to_have_attribute(
            "aria-valuenow", str(value)
        )
    plan.get_by_role("button", name="Plan observation").click()

    expect(title(spo, practitioner.name)).to_be_visible(timeout=WAIT)
    expect(flash(spo, "Observation planned.")).to_be_visible()
    match = re.search(r"[?&]observation=(\d+)", spo.url)
    assert match, f"the observation page's address has no observation id: {spo.url}"
    observation_id = int(match.group(1))
    expect(spo.get_by_text("status: planned")).to_be_visible()
    # An invitation: nothing can be recorded until the practitioner accepts.
    expect(
        spo.get_by_text(f"Waiting for {practitioner.name} to accept, decline or propose another date.")
    ).to_be_visible()
    idle(spo)  # the page drawn in full before checking what it does not show
    expect(spo.get_by_role("heading", name="Record the observation")).to_have_count(0)

    # 2. The practitioner accepts the invitation and gives their own view beforehand.
    me = signed_in(PRACTITIONER_EMAIL)
    open_menu(me, "My observations and development")
    open_observation(me, observation_id, practitioner.name)
    expect(me.get_by_role("heading", name="Your invitation")).to_be_visible(timeout=WAIT)
    answer = me.get_by_test_id("stForm").filter(has=me.get_by_role("button", name="Send my answer"))
    answer.get_by_text("Accept", exact=True).click()  # the radio itself is drawn over a hidden input
    expect(answer.get_by_role("radio", name="Accept", exact=True)).to_be_checked()
    after_run(me, answer.get_by_role("button", name="Send my answer").click)
    expect(flash(me, "Accepted. Your observer can now record the session.")).to_be_visible(timeout=WAIT)
    expect(me.get_by_text("You have accepted.")).to_be_visible()
    expect(me.get_by_role("heading", name="Before the session: my own view")).to_be_visible(timeout=WAIT)
    for area, rating in SELF_RATINGS.items():
        thumb = self_slider(me, area)
        thumb.scroll_into_view_if_needed()
        thumb.focus()
        for _ in range(rating):  # from "Skip" to the rating, one step at a time
            thumb.press("ArrowRight")
        expect(thumb).to_have_attribute("aria-valuetext", f"{rating}: {SCALE[rating]}", timeout=WAIT)
    me.get_by_label("What would you most like feedback on?", exact=True).fill(wanted)
    # Waits for the rerun to finish: until then the sliders drawn before it may still be on the page.
    after_run(me, me.get_by_role("button", name="Save my view").click)
    expect(flash(me, "Your view has been saved.")).to_be_visible(timeout=WAIT)
    for area, rating in SELF_RATINGS.items():  # kept after the save
        expect(self_slider(me, area)).to_have_attribute("aria-valuetext", f"{rating}: {SCALE[rating]}", timeout=WAIT)
    expect(me.get_by_label("What would you most like feedback on?", exact=True)).to_have_value(wanted)

    # 3. The SPO records the observation and shares it.
    spo = signed_in(SPO_EMAIL)
    open_menu(spo, "Observations I do")
    expect(spo.get_by_role("heading", name=re.compile(r"^To record \([1-9]\d*\)$"))).to_be_visible(timeout=WAIT)
    open_observation(spo, observation_id, practitioner.name)
    expect(spo.get_by_role("heading", name="Record the observation")).to_be_visible(timeout=WAIT)
    expect(spo.get_by_text(f"The practitioner would most like feedback on: {wanted}")).to_be_visible()

    record = spo.get_by_test_id("stForm").filter(
        has=spo.get_by_role("button", name="Save and share with the practitioner")
    )
    groups = record.get_by_role("radiogroup")
    expect(groups).to_have_count(len(SKILL_AREAS), timeout=WAIT)
    for number, (area, rating) in enumerate(zip(SKILL_AREAS, OBSERVER_RATINGS, strict=True)):
        group = groups.nth(number)
        expect(group).to_have_attribute("aria-label", area)
        option = f"{rating} {SCALE[rating]}"
        group.get_by_text(option, exact=True).click()  # clicks scroll the long form as needed
        expect(group.get_by_role("radio", name=option, exact=True)).to_be_checked()
    strengths_box = record.get_by_label("Overall strengths", exact=True)
    strengths_box.fill(strengths)

    # Without consent nothing is saved, and the form keeps what was typed.
    consent = record.get_by_role("checkbox", name=CONSENT)
    expect(consent).not_to_be_checked()
    record.get_by_role("button", name="Save", exact=True).click()
    # In the error summary at the top (a link to the box), beside the consent box, and again by the
    # Save buttons so nobody misses it.
    errors = spo.get_by_test_id("stAlertContentError").filter(has_text=CONSENT_ERROR)
    expect(errors.first).to_be_visible(timeout=WAIT)
    expect(errors).to_have_count(3)
    expect(errors.first.get_by_role("link", name=CONSENT_ERROR)).to_have_attribute("href", "#error-consent")
    expect(record.get_by_label("Overall strengths", exact=True)).to_have_value(strengths)
    expect(
        groups.nth(0).get_by_role("radio", name=f"{OBSERVER_RATINGS[0]} {SCALE[OBSERVER_RATINGS[0]]}")
    ).to_be_checked()
    review_screenshot(spo, "observation-1-spo-form")

    record.get_by_text(CONSENT, exact=True).click()  # the box itself is drawn over the hidden input
    expect(consent).to_be_checked()
    record.get_by_role("button", name="Save and share with the practitioner").click()
    expect(flash(spo, "Shared. The practitioner can now read it and reply.")).to_be_visible(timeout=WAIT)
    expect(spo.get_by_text("status: shared")).to_be_visible()
    expect(errors).to_have_count(0)
    expect(spo.get_by_role("heading", name="Ratings", exact=True)).to_be_visible()

    # 4. The practitioner reads it, reflects, replies and acknowledges.
    me = signed_in(PRACTITIONER_EMAIL)
    open_menu(me, "My observations and development")
    open_observation(me, observation_id, practitioner.name)
    expect(me.get_by_role("heading", name="Ratings", exact=True)).to_be_visible(timeout=WAIT)
    # Each skill area's rating is listed with the practitioner's own rating beside it.
    expect(me.get_by_text("own rating:").first).to_be_visible()
    expect(text_block(me, strengths)).to_be_visible()
    expect(me.get_by_role("heading", name="Before the session: my own view")).to_have_count(0)
    me.get_by_label("My reflection", exact=True).fill(reflection)
    me.get_by_label("My reply to the observer", exact=True).fill(reply)
    review_screenshot(me, "observation-2-practitioner-shared")
    me.get_by_role("button", name="Save and acknowledge").click()
    expect(flash(me, "Acknowledged. Thank you.")).to_be_visible(timeout=WAIT)
    expect(me.get_by_text("status: acknowledged")).to_be_visible()

    open_menu(me, "My observations and development")
    expect(me.get_by_role("heading", name="My skill profile over time")).to_be_visible(timeout=WAIT)
    expect(me.get_by_test_id("stVegaLiteChart")).to_have_count(2, timeout=WAIT)
    review_screenshot(me, "observation-3-my-development")

    # 5. The SPO reads the practitioner's reply.
    spo = signed_in(SPO_EMAIL)
    open_menu(spo, "Observations I do")
    expect(spo.get_by_role("heading", name=re.compile(r"^Shared \([1-9]\d*\)$"))).to_be_visible(timeout=WAIT)
    open_observation(spo, observation_id, practitioner.name)
    expect(spo.get_by_role("heading", name="The practitioner's reflection and reply")).to_be_visible(timeout=WAIT)
    expect(text_block(spo, reply)).to_be_visible()
    expect(text_block(spo, reflection)).to_be_visible()
    expect(spo.get_by_text("status: acknowledged")).to_be_visible()
