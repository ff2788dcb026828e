"""The accessibility check (issue 16): axe-core on every page, for every role, on the demo data.

axe-core comes from npm (.ci/install puts it in .cache/axe) and is injected by Playwright.
Each role signs in once, in its own browser context, and moves between pages with the side
menu (no reloads), waiting for each run to finish. On every page:

- axe finds no serious or critical violation of WCAG 2.0, 2.1 or 2.2 A/AA in the portal's own
  markup; what Streamlit itself draws is allowed only as listed, with its reason, in
  ``axe_allowlist.toml`` (tests/test_accessibility.py checks that list against the statement);
- the browser title is "Page – Practice Quality Portal" (pages/_registry.document_title);
- there is one h1 in the main column and no heading skips a level.

Screenshots kept for people to look at: ``focus-style.png`` (the focus on a menu link and a
button), ``chart-with-table.png`` (a dashboard chart with its data table open) and
``reflow-320.png`` (a home page 320 CSS pixels wide).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from db.demo import ADMIN_EMAIL, PRACTITIONER_EMAIL, QA_LEAD_EMAIL, SPO_EMAIL
from pages import _registry as screens
from tests.browser.conftest import ROOT, VIEWPORT
from tests.browser.helpers import WAIT, after_run, idle, main_title, nav_link, shot, sign_in

pytestmark = pytest.mark.browser

AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ALLOWLIST = Path(__file__).with_name("axe_allowlist.toml")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"serious", "critical"}
ROLES = {"practitioner": PRACTITIONER_EMAIL, "spo": SPO_EMAIL, "qa_lead": QA_LEAD_EMAIL, "admin": ADMIN_EMAIL}
BY_TITLE = {screen.title: screen for screen in screens.every_screen()}

_RUN_AXE = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => {
            // The data-testid of every element the node sits in: Streamlit names its own parts so.
            const containers = [];
            for (let e = document.querySelector(n.target[0]); e; e = e.parentElement) {
                if (e.dataset && e.dataset.testid) containers.push(e.dataset.testid);
            }
            return {target: n.target.join(' '), html: n.html.slice(0, 300), impact: n.impact, containers};
        }),
    }));
}"""

_HEADINGS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] h1, [data-testid="stMain"] h2,'
    + '[data-testid="stMain"] h3, [data-testid="stMain"] h4, [data-testid="stMain"] h5, [data-testid="stMain"] h6'))
    .filter(h => h.offsetParent !== null).map(h => [Number(h.tagName[1]), h.innerText.trim()])"""


def allowlist() -> list[dict]:
    return tomllib.loads(ALLOWLIST.read_text(encoding="utf-8"))["allowed"]


def blocking_violations(page: Page) -> list[str]:
    """Serious and critical violations on the page that the allow-list does not cover, one line each."""
    if AXE.is_file() is False:
        pytest.fail(f"axe-core is missing at {AXE}: run .ci/install", pytrace=False)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    allowed = allowlist()
    found = []
    for violation in page.evaluate(_RUN_AXE, TAGS):
        for node in violation["nodes"]:
            if (node["impact"] or violation["impact"]) not in BLOCKING:
                continue
            if any(entry["rule"] == violation["id"] and entry["container"] in node["containers"] for entry in allowed):
                continue
            found.append(f"{violation['id']} ({violation['help']}) at {node['target']}: {node['html'][:160]}")
    return found


def menu_screens(page: Page) -> list[screens.Screen]:
    """The screens in the side menu, in order (the "View N more" list opened first)."""
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_text(re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
        expect(nav.get_by_text(re.compile(r"^View less$"))).to_be_visible(timeout=WAIT)
    # A link's text is its icon's name, then the screen's title (the home page's address is just "/").
    labels = [link.inner_text().strip().splitlines()[-1].strip() for link in nav.get_by_role("link").all()]
    return [BY_TITLE[label] for label in labels]


def check_page(page: Page, screen: screens.Screen, where: str, problems: list[str]) -> None:
    expect(page).to_have_title(screens.document_title(screen.title), timeout=WAIT)
    levels = page.evaluate(_HEADINGS)
    h1s = [text for level, text in levels if level == 1]
    if len(h1s) != 1:
        problems.append(f"{where}: {len(h1s)} h1 headings {h1s}")
    for (before, _), (level, text) in zip(levels, levels[1:], strict=False):
        if level > before + 1:
            problems.append(f"{where}: heading '{text}' is h{level} straight after an h{before}")
    problems += [f"{where}: {line}" for line in blocking_violations(page)]


def axe_page(browser) -> Page:
    """A fresh session's page that may take axe's script: the portal's Content-Security-Policy
    (portal/web.py) rightly refuses a script injected into the page, so this context bypasses it."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London", bypass_csp=True)
    return context.new_page()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_for_each_role(browser, portal_url, role):
    page = axe_page(browser)
    try:
        page.goto(portal_url)
        sign_in(page, ROLES[role])
        problems: list[str] = []
        for screen in menu_screens(page):
            link = nav_link(page, screen.title)
            if not link.is_visible():
                menu_screens(page)  # the long menu folded itself again
            after_run(page, link.click)  # the whole run, so the page checked is complete
            expect(main_title(page)).to_be_visible(timeout=WAIT)
            check_page(page, screen, f"{role} on {screen.title}", problems)
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()


def test_the_sign_in_page_and_the_statement_pass_axe_signed_out(browser, portal_url):
    page = axe_page(browser)
    try:
        page.goto(portal_url)
        expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)
        idle(page)
        problems: list[str] = []
        check_page(page, screens.SIGN_IN, "signed out, sign-in page", problems)
        page.get_by_role("link", name=re.compile("Accessibility statement")).click()
        expect(main_title(page)).to_have_text(re.compile("Accessibility statement"), timeout=WAIT)
        idle(page)
        check_page(page, screens.ACCESSIBILITY, "signed out, accessibility statement", problems)
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()


def test_a_form_with_errors_says_so_in_the_title_and_links_each_message(signed_in):
    page = signed_in(QA_LEAD_EMAIL)
    nav_link(page, screens.LEARNING_THEMES.title).click()
    expect(main_title(page)).to_have_text(screens.LEARNING_THEMES.title, timeout=WAIT)
    idle(page)
    page.get_by_role("button", name=re.compile("Add")).first.click()
    expect(page).to_have_title(screens.document_title(screens.LEARNING_THEMES.title, error=True), timeout=WAIT)
    summary = page.get_by_test_id("stAlertContentError").filter(has_text="There is a problem")
    expect(summary).to_be_visible(timeout=WAIT)
    link = summary.get_by_role("link").first
    target = link.get_attribute("href") or ""
    assert target.startswith("#error-")
    expect(page.locator(target)).to_have_count(1)


def test_the_focus_is_strong_and_visible(signed_in):
    page = signed_in(PRACTITIONER_EMAIL)
    idle(page)
    link = nav_link(page, screens.MY_DEVELOPMENT.title)
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor, s.boxShadow]; }"
    )
    assert style[0] == "solid" and style[1] >= 3, style
    assert "255, 221, 0" in style[3], f"the yellow band is missing: {style}"
    shot(page, "focus-style")


def test_a_chart_has_its_data_table_and_description(signed_in):
    page = signed_in(QA_LEAD_EMAIL)
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_text(re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
    nav_link(page, screens.DASHBOARDS.title).click()
    expect(main_title(page)).to_have_text(re.compile("^Dashboards"), timeout=WAIT)
    idle(page)
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible(timeout=WAIT)
    expect(page.locator("[aria-label*='The data table under the chart']").first).to_be_attached(timeout=WAIT)
    expander = page.get_by_test_id("stExpander").filter(has_text="Data table for this chart").first
    summary = expander.locator("summary")
    summary.focus()  # reachable by keyboard: a summary element, opened with Enter
    page.keyboard.press("Enter")
    table = expander.get_by_test_id("stTable")
    expect(table).to_be_visible(timeout=WAIT)
    assert table.locator("td").count() > 0
    shot(page, "chart-with-table")


def test_the_home_page_reflows_at_320_css_pixels(browser, portal_url):
    context = browser.new_context(viewport={"width": 320, "height": 720}, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    try:
        page.goto(portal_url)
        sign_in(page, PRACTITIONER_EMAIL)
        expect(main_title(page)).to_be_visible(timeout=WAIT)
        idle(page)
        widths = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                return [document.documentElement.scrollWidth, m.scrollWidth, m.clientWidth]; }"""
        )
        assert widths[0] <= 320 and widths[1] <= widths[2] + 1, f"content scrolls sideways at 320 px: {widths}"
        shot(page, "reflow-320")
    finally:
        context.close()
