"""Each demo login lands on what is waiting for them, and each item opens its record.

On a fresh demo (``python -m portal demo``: about 18 months of synthetic
history), every role's home page shows real work. For each of the four README
logins this walks from the home page to the first waiting record and back, and
keeps screenshots of every home page, of every dashboard area and of meeting mode
for the SPO and the QA lead (``test-artifacts/browser/home-*.png``, ``dashboard-*.png``,
``meeting-*.png``),
for a person to look at after the run.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from db.demo import ADMIN_EMAIL, PRACTITIONER_EMAIL, QA_LEAD_EMAIL, SPO_EMAIL
from tests.browser.helpers import heading, idle, main_title, open_menu, shot

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms

#: Each login, the title its home page opens on, and whether its queue links to records.
HOMES = {
    "practitioner": (PRACTITIONER_EMAIL, re.compile(r"^Welcome, ")),
    "spo": (SPO_EMAIL, re.compile(r"^Team home")),
    "qa-lead": (QA_LEAD_EMAIL, re.compile(r"^PDU overview")),
    "admin": (ADMIN_EMAIL, re.compile(r"^Administration")),
}


def queue_links(page: Page):
    """The links in the main column that open one record (their address names it)."""
    return page.get_by_test_id("stMain").locator('a[data-testid="stPageLink-NavLink"][href*="?"]')


def no_error_on(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("dialog").filter(has_text="Page not found")).to_have_count(0)


@pytest.mark.parametrize("role", list(HOMES))
def test_each_home_page_opens_a_waiting_record_and_comes_back(role, signed_in):
    email, title = HOMES[role]
    page = signed_in(email)
    expect(heading(page, title)).to_be_visible(timeout=WAIT)
    idle(page)
    no_error_on(page)
    expect(page.get_by_test_id("stMain")).not_to_contain_text("Who I am")
    shot(page, f"home-{role}")

    links = queue_links(page)
    expect(links.first).to_be_visible(timeout=WAIT)
    # Several real items, not one token link.
    assert links.count() >= 3, f"{role}'s home shows only {links.count()} record link(s)"

    home_url = page.url
    first = links.first
    target = first.get_attribute("href") or ""
    label = first.inner_text().strip()
    first.click()
    expect(page).to_have_url(re.compile(re.escape(target.split("?")[1]) + "$"), timeout=WAIT)
    expect(heading(page, title)).to_have_count(0, timeout=WAIT)
    idle(page)
    expect(main_title(page)).to_be_visible(timeout=WAIT)
    no_error_on(page)
    shot(page, f"home-{role}-opened")
    assert label, "the link has a readable label"

    page.go_back()
    expect(page).to_have_url(home_url, timeout=WAIT)
    expect(heading(page, title)).to_be_visible(timeout=WAIT)
    idle(page)
    no_error_on(page)


@pytest.mark.parametrize(("role", "email"), [("spo", SPO_EMAIL), ("qa-lead", QA_LEAD_EMAIL)])
def test_every_dashboard_area_has_figures_after_the_demo_load(role, email, signed_in):
    page = signed_in(email)
    open_menu(page, "Dashboards", re.compile(r"^Dashboards: "))
    main = page.get_by_test_id("stMain")
    for area in ["Audit quality", "Observations", "Supervision and rota", "Wellbeing"]:
        # The "Show" control is a row of toggle buttons (Streamlit's segmented control).
        main.get_by_test_id("stButtonGroup").get_by_text(area, exact=True).click()
        idle(page)
        no_error_on(page)
        expect(main).not_to_contain_text("No figures for this view yet")
        # Every area draws at least one chart (Vega-Lite renders into a canvas or svg).
        expect(main.locator(".vega-embed").first).to_be_visible(timeout=WAIT)
        shot(page, f"dashboard-{role}-{area.lower().replace(' ', '-')}")

    # Meeting mode, which teams look at together, has charts to show too.
    main.get_by_role("link", name=re.compile("Open meeting mode")).click()
    expect(page).to_have_url(re.compile(r"/meeting"), timeout=WAIT)
    meeting = page.get_by_test_id("stMain")
    expect(meeting.get_by_text(re.compile(r"chart 1 of \d+"))).to_be_visible(timeout=WAIT)
    expect(meeting).not_to_contain_text("There are no charts with enough behind them")
    expect(meeting.locator(".vega-embed").first).to_be_visible(timeout=WAIT)
    no_error_on(page)
    shot(page, f"meeting-{role}")
