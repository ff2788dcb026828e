"""A practitioner's private space stays private, in a real browser.

The requirement: "A real-browser test signs in as the author's SPO and as an
admin. It tries to reach an unshared entry through the pages, through query
parameters and through tampered session state, and fails."

1. The practitioner writes a journal note (saved as they leave each box, then
   finished) and records a quick debrief, each holding a distinctive secret
   sentence. The test reads the database for their ids and checks that the
   text is stored encrypted. As a control, the practitioner can see both: the
   checks below would notice the secrets if they were on screen.
2. The practitioner's own SPO and an administrator, each in a fresh session:
   a. open every page in their menu: neither secret appears anywhere;
   b. open the note's address (``/note?note=ID``) within their session: the
      SPO is told "That entry could not be found.", word for word what an id
      that does not exist gets; an administrator has no note page at all;
   c. put the note's, the debrief's and the practitioner's ids into other
      pages' query parameters: nothing;
   d. tamper with everything the browser holds (localStorage, sessionStorage,
      a ``user_id`` cookie, query parameters): they stay who they are.
      Streamlit keeps session state on the server, keyed by the websocket, so
      nothing in the browser can set it; a reload starts a new session at the
      sign-in form, and signing in again in the tampered browser is still them.
3. A signed-out browser sent to the note's address sees only the sign-in form;
   signing in there as the SPO or an administrator opens the address they
   were given, which finds nothing.
4. The practitioner shares the note with the SPO for supervision; the SPO
   reads it from "Shared with me"; the practitioner stops sharing; the SPO's
   next look at the same address finds nothing, and neither does any page in
   their menu (the supervision agenda listed the note while it was shared).

"Within their session" means changing the address bar the way the browser's
back and forward buttons do (``history.pushState`` then ``popstate``), which
Streamlit follows without a reload, keeping the signed-in session. A plain
``page.goto`` would start a new, signed-out session. After each click or
address change the test waits for the server to report the script run
finished (read from the websocket through the DevTools protocol), so a page
is checked only once it has been drawn in full.

Set ``PQP_SCREENSHOTS=/some/folder`` to save screenshots (``privacy-*.png``) of
the journal, the note editor, the debrief and the SPO's not-found view.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.demo import ADMIN_EMAIL, PRACTITIONER_EMAIL, SPO_EMAIL
from db.encryption import decrypt
from db.organisation import User
from db.reflection import Debrief, JournalEntry
from qa.access.sessions import COOKIE
from tests.browser.conftest import VIEWPORT, full_screenshot
from tests.browser.helpers import (
    after_run,
    database,
    dismiss_page_not_found,
    flash,
    idle,
    main_title,
    open_menu,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: Streamlit renders asynchronously and reruns after each click
NOT_FOUND = "That entry could not be found."
NO_SUCH_NOTE = 987_654_321


# ------------------------------------------------------------------ the people


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str


@dataclass(frozen=True)
class People:
    practitioner: Person
    spo: Person
    admin: Person


@pytest.fixture(scope="module")
def people(demo_database_url) -> People:
    with database(demo_database_url) as session:
        found = {
            u.email: u
            for u in session.exec(select(User).where(User.email.in_([PRACTITIONER_EMAIL, SPO_EMAIL, ADMIN_EMAIL])))
        }
        practitioner, spo, admin = (found[e] for e in (PRACTITIONER_EMAIL, SPO_EMAIL, ADMIN_EMAIL))
        assert practitioner.supervisor_id == spo.id, "the demo SPO login should supervise the demo practitioner"
        return People(*(Person(u.id, u.email, u.full_name) for u in (practitioner, spo, admin)))


# ------------------------------------------------------------- browser helpers


#: Change the address bar the way Back and Forward do: Streamlit reruns the app
#: for the new address in the same (signed-in) session, without a reload.
GO_IN_SESSION = """path => {
    history.pushState(null, '', path);
    window.dispatchEvent(new PopStateEvent('popstate', {state: null}));
}"""


def go_in_session(page: Page, path: str) -> None:
    """Open ``path`` (with its query string) inside the current portal session."""
    after_run(page, lambda: page.evaluate(GO_IN_SESSION, path))


def new_session(browser) -> Page:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    return context.new_page()


def expect_signed_in_as(page: Page, person: Person) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {person.name}")).to_be_visible(timeout=WAIT)


def note_link(page: Page, note_id: int):
    """A link to the note (page links are relative, ``note?note=ID``)."""
    return page.get_by_test_id("stMain").locator(f'a[href="note?note={note_id}"], a[href$="/note?note={note_id}"]')


def everything_on(page: Page) -> str:
    """All the page holds: its HTML (hidden and collapsed parts too) and the
    current value of every input and text area, which the HTML does not show."""
    values = page.evaluate("() => Array.from(document.querySelectorAll('input, textarea')).map(e => e.value)")
    return page.content() + "\n" + "\n".join(values)


def review_shot(page: Page, name: str) -> None:
    """``review_screenshot`` for the module-scoped journey (which cannot use that fixture)."""
    folder = os.environ.get("PQP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        full_screenshot(page, Path(folder) / f"{name}.png")


# ------------------------------------------------------------- the secrets


@dataclass(frozen=True)
class PrivateEntries:
    note_id: int
    debrief_id: int
    title: str
    note_text: str
    debrief_text: str

    @property
    def private_texts(self) -> tuple[str, ...]:
        return (
            self.title,
            self.note_text,
            self.debrief_text,
            *(s.split(":")[0] for s in (self.title, self.note_text, self.debrief_text)),
        )

    def leaked_on(self, page: Page) -> list[str]:
        text = everything_on(page)
        return [s for s in self.private_texts if s in text]

    def assert_hidden(self, page: Page, where: str) -> None:
        leaked = self.leaked_on(page)
        assert not leaked, f"private text visible on {where} ({page.url}): {leaked}"


def _eventually(check, what: str, timeout: float = WAIT / 1000):
    """Poll the database (not the page) until ``check()`` returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


def _stored_note(url: str, note_id: int) -> tuple[int, str] | None:
    with database(url) as session:
        row = (
            session.connection()
            .exec_driver_sql("SELECT author_id, content FROM journal_entry WHERE id = ?", (note_id,))
            .first()
        )
        return (row[0], row[1]) if row else None


def _newest(url: str, model, author_id: int) -> int | None:
    with database(url) as session:
        return session.exec(select(model.id).where(model.author_id == author_id).order_by(model.id.desc())).first()


def _stored_debrief(url: str, debrief_id: int) -> str:
    with database(url) as session:
        return (
            session.connection()
            .exec_driver_sql(f"SELECT content FROM {Debrief.__tablename__} WHERE id = ?", (debrief_id,))
            .scalar_one()
        )


@pytest.fixture(scope="module")
def private_entries(browser, portal_url, demo_database_url, people) -> Iterator[PrivateEntries]:
    """The practitioner writes a note and a debrief, through the pages, in one
    session of their own. Module-scoped: every test below hunts for the same ones."""
    tag = secrets.token_hex(4)
    title = f"Okapi{tag}: the visit I keep thinking about"
    note_text = f"Quokka{tag}: after the home visit I doubted my own judgement and told nobody."
    debrief_text = f"Pangolin{tag}: the shouting on the landing stayed with me all afternoon."
    page = new_session(browser)
    try:
        page.goto(portal_url)
        sign_in(page, PRACTITIONER_EMAIL)
        expect_signed_in_as(page, people.practitioner)

        # The note: a new one opens in the editor at /note?note=ID.
        open_menu(page, "My reflective journal", whole_run=True)
        after_run(page, page.get_by_role("button", name="New note").click)
        expect(main_title(page)).to_have_text("New note", timeout=WAIT)
        note_id = int(parse_qs(urlparse(page.url).query)["note"][0])
        assert _newest(demo_database_url, JournalEntry, people.practitioner.id) == note_id

        # Every box saves itself when left (Tab), without pressing anything.
        title_box = page.get_by_label("Title", exact=True)
        title_box.fill(title)
        after_run(page, lambda: title_box.press("Tab"))
        expect(main_title(page)).to_have_text(title, timeout=WAIT)
        first_prompt = page.get_by_test_id("stMain").locator("textarea").first
        first_prompt.fill(note_text)
        after_run(page, lambda: first_prompt.press("Tab"))
        author_id, stored = _eventually(
            lambda: (found := _stored_note(demo_database_url, note_id)) and note_text in decrypt(found[1]) and found,
            "the note's text to be saved when its box was left",
        )
        assert author_id == people.practitioner.id
        assert note_text not in stored and tag not in stored, "the note is stored in plain text"
        expect(first_prompt).to_have_value(note_text)
        review_shot(page, "privacy-note-editor")

        after_run(page, page.get_by_role("button", name="Finish note").click)
        expect(flash(page, "Note saved to your journal.")).to_be_visible(timeout=WAIT)
        expect(main_title(page)).to_have_text("My reflective journal")
        expect(note_link(page, note_id)).to_be_visible()
        expect(page.get_by_test_id("stMain").get_by_text(title)).to_be_visible()
        review_shot(page, "privacy-journal")

        # The debrief: a feeling, and what happened in the optional part.
        open_menu(page, "Quick debrief", whole_run=True)
        page.get_by_role("button", name="shaken", exact=True).click()
        page.get_by_test_id("stExpander").filter(has_text="Add more (optional)").locator("summary").click()
        page.get_by_label("What happened?", exact=True).fill(debrief_text)
        review_shot(page, "privacy-debrief-form")
        after_run(page, page.get_by_role("button", name="Save debrief").click)
        expect(page.get_by_text("Saved. Thank you for taking a moment for yourself.")).to_be_visible(timeout=WAIT)
        review_shot(page, "privacy-debrief-saved")
        debrief_id = _newest(demo_database_url, Debrief, people.practitioner.id)
        stored = _stored_debrief(demo_database_url, debrief_id)
        assert debrief_text in decrypt(stored), "the newest debrief is not the one just saved"
        assert tag not in stored, "the debrief is stored in plain text"
    except BaseException:
        try:
            shot(page, "test_privacy-private_entries-practitioner")
        except Exception as exc:  # a crashed page must not hide the real failure
            print(f"Could not save a screenshot of the failed set-up: {exc}")
        raise
    finally:
        page.context.close()
    yield PrivateEntries(note_id, debrief_id, title, note_text, debrief_text)


ROLES = ["spo", "admin"]
#: Menu entries the crawl must reach (the menu also holds others).
MENU_MUST_HAVE = {
    "spo": {"Team home", "My reflective journal", "Quick debrief", "My wellbeing", "Shared with me", "My account"},
    "admin": {"Admin home", "Users", "Audit trail", "Settings", "My account"},
}


def person(people: People, role: str) -> Person:
    return {"spo": people.spo, "admin": people.admin}[role]


# -------------------------------------------------------------------- the tests


def test_the_author_sees_their_note_and_debrief(signed_in, private_entries: PrivateEntries):
    """The control: the same checks that must find nothing for others find
    everything for the author."""
    page = signed_in(PRACTITIONER_EMAIL)
    open_menu(page, "My reflective journal", whole_run=True)
    expect(note_link(page, private_entries.note_id)).to_be_visible(timeout=WAIT)
    assert private_entries.title in private_entries.leaked_on(page)

    after_run(page, note_link(page, private_entries.note_id).click)
    expect(main_title(page)).to_have_text(private_entries.title, timeout=WAIT)
    expect(page.get_by_test_id("stMain").locator("textarea").first).to_have_value(private_entries.note_text)
    assert private_entries.note_text in private_entries.leaked_on(page)

    open_menu(page, "My wellbeing", whole_run=True)
    expect(page.get_by_text(private_entries.debrief_text)).to_have_count(1, timeout=WAIT)
    assert private_entries.debrief_text in private_entries.leaked_on(page)


def crawl_menu(page: Page, me: Person, entries: PrivateEntries, must_have: set[str]) -> list[str]:
    """Open every page in the sidebar menu, in order; none may show the private
    entries. Returns the labels visited."""
    nav = page.get_by_test_id("stSidebarNav")
    fold = nav.get_by_test_id("stSidebarNavViewButton")  # a long menu folds up behind "View N more"
    if fold.count() and fold.inner_text().startswith("View") and fold.inner_text().endswith("more"):
        fold.click()
        expect(fold).to_have_text("View less", timeout=WAIT)
    # (label without its icon, address) of every menu entry
    links = [
        (link.inner_text().strip().split("\n")[-1].strip(), link.get_attribute("href"))
        for link in nav.get_by_role("link").all()
    ]
    missing = must_have - {label for label, _ in links}
    assert not missing, f"the menu crawl would miss {sorted(missing)}; the menu holds {links}"

    for label, href in links:
        after_run(page, nav.locator(f'a[href="{href}"]').click)
        expect(page).to_have_url(re.compile("^" + re.escape(href) + r"(\?.*)?$"), timeout=WAIT)  # pages may add a query
        expect(main_title(page).first).to_be_visible(timeout=WAIT)
        expect_signed_in_as(page, me)
        entries.assert_hidden(page, f"{me.email}'s page {label!r}")
        expect(note_link(page, entries.note_id)).to_have_count(0)
    return [label for label, _ in links]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_in_their_menu_shows_it(signed_in, private_entries: PrivateEntries, people: People, role: str):
    me = person(people, role)
    page = signed_in(me.email)
    expect_signed_in_as(page, me)
    crawl_menu(page, me, private_entries, MENU_MUST_HAVE[role])


@pytest.mark.parametrize("role", ROLES)
def test_the_notes_own_address_finds_nothing(
    signed_in, private_entries: PrivateEntries, people: People, role: str, review_screenshot
):
    me = person(people, role)
    page = signed_in(me.email)

    go_in_session(page, f"/note?note={private_entries.note_id}")
    if role == "spo":
        # Word for word what a note that does not exist gets: nothing says this one does.
        expect(main_title(page)).to_have_text("Journal note", timeout=WAIT)
        expect(page.get_by_test_id("stAlertContentError")).to_have_text(NOT_FOUND, timeout=WAIT)
        private_entries.assert_hidden(page, "the SPO's view of the note's address")
        review_screenshot(page, "privacy-spo-not-found")
        existing = page.get_by_test_id("stMain").inner_text()

        go_in_session(page, f"/note?note={NO_SUCH_NOTE}")
        expect(page.get_by_test_id("stAlertContentError")).to_have_text(NOT_FOUND, timeout=WAIT)
        assert page.get_by_test_id("stMain").inner_text() == existing
    else:
        # Administrators have no journal pages at all: the address runs their home page.
        private_entries.assert_hidden(page, "the admin's view of the note's address")
        review_screenshot(page, "privacy-admin-not-found")
        dismiss_page_not_found(page)
        expect(main_title(page)).to_have_text("Administration", timeout=WAIT)
        expect(page).not_to_have_url(re.compile(r"/note\?"))
    expect_signed_in_as(page, me)
    private_entries.assert_hidden(page, f"{me.email}'s view of the note's address")


@pytest.mark.parametrize("role", ROLES)
def test_query_parameters_reveal_nothing(signed_in, private_entries: PrivateEntries, people: People, role: str):
    me = person(people, role)
    page = signed_in(me.email)
    pid, nid, did = people.practitioner.id, private_entries.note_id, private_entries.debrief_id
    addresses = [
        f"/note?note={nid}&user_id={pid}&actor={pid}&author_id={pid}",
        f"/note?note={nid}&note={nid}",
        f"/shared-with-me?note={nid}&user_id={pid}",
        f"/shared-with-me?debrief={did}&entry_id={did}&kind=debrief",
        f"/journal?user_id={pid}&author_id={pid}&note={nid}",
        f"/debrief?debrief={did}&user_id={pid}",
        f"/my-wellbeing?user_id={pid}&debrief={did}",
        f"/?user_id={pid}",
        f"/?user_id={pid}&note={nid}&page=note",
        f"/account?user_id={pid}",
    ]
    for address in addresses:
        go_in_session(page, address)
        dismiss_page_not_found(page)  # the admin has none of the private-space pages
        expect(main_title(page).first).to_be_visible(timeout=WAIT)
        expect_signed_in_as(page, me)
        private_entries.assert_hidden(page, f"{me.email}'s view of {address}")
        expect(note_link(page, nid)).to_have_count(0)


@pytest.mark.parametrize("role", ROLES)
def test_tampered_browser_state_changes_nothing(
    signed_in, portal_url: str, private_entries: PrivateEntries, people: People, role: str
):
    me = person(people, role)
    page = signed_in(me.email)
    pid, nid = people.practitioner.id, private_entries.note_id
    tampered = {"user_id": str(pid), "actor": str(pid), "author_id": str(pid), "role": "practitioner"}
    page.evaluate(
        """values => { for (const [k, v] of Object.entries(values)) { localStorage.setItem(k, v); sessionStorage.setItem(k, v); } }""",
        tampered,
    )
    page.context.add_cookies([{"name": k, "value": v, "url": portal_url} for k, v in tampered.items()])

    # Within the session: Streamlit sends the tampered cookies and address with every rerun.
    for address in (f"/?user_id={pid}&actor={pid}", f"/note?note={nid}&user_id={pid}&actor={pid}"):
        go_in_session(page, address)
        dismiss_page_not_found(page)
        expect_signed_in_as(page, me)
        private_entries.assert_hidden(page, f"{me.email}'s tampered session at {address}")

    # A reload keeps the person the session cookie names, whatever else the browser holds.
    page.reload()
    expect_signed_in_as(page, me)
    private_entries.assert_hidden(page, f"{me.email}'s reloaded, tampered browser")

    # Without the session cookie, the browser's tampered state signs nobody in.
    page.context.clear_cookies(name=COOKIE)
    page.reload()
    expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)
    idle(page)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    private_entries.assert_hidden(page, "the reloaded, tampered browser")
    assert page.evaluate("() => localStorage.getItem('user_id') + sessionStorage.getItem('user_id')") == str(pid) * 2
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("user_id") == str(pid)

    # Signing in again in the tampered browser is still the same person.
    sign_in(page, me.email)
    expect_signed_in_as(page, me)
    private_entries.assert_hidden(page, f"{me.email}'s home in the tampered browser")
    go_in_session(page, f"/note?note={nid}&user_id={pid}")
    dismiss_page_not_found(page)
    expect_signed_in_as(page, me)
    private_entries.assert_hidden(page, f"{me.email}'s tampered browser at the note's address")
    if role == "spo":
        expect(page.get_by_test_id("stAlertContentError")).to_have_text(NOT_FOUND, timeout=WAIT)


def test_a_signed_out_browser_sees_only_the_sign_in_form(
    page: Page, portal_url: str, private_entries: PrivateEntries, people: People
):
    pid, nid = people.practitioner.id, private_entries.note_id
    page.context.add_cookies([{"name": "user_id", "value": str(pid), "url": portal_url}])
    for address in (f"/note?note={nid}", f"/shared-with-me?note={nid}", f"/?user_id={pid}&note={nid}"):
        page.goto(portal_url + address)
        expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=WAIT)
        idle(page)
        dismiss_page_not_found(page)
        expect(main_title(page)).to_have_text("Practice Quality Portal")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        private_entries.assert_hidden(page, f"a signed-out browser at {address}")


@pytest.mark.parametrize("role", ROLES)
def test_signing_in_from_the_notes_address_finds_nothing(
    page: Page, portal_url: str, private_entries: PrivateEntries, people: People, role: str
):
    """Pasting the note's address into a new browser: the portal asks them to
    sign in, then opens the address it was given, which finds nothing."""
    me = person(people, role)
    page.goto(f"{portal_url}/note?note={private_entries.note_id}")
    sign_in(page, me.email)
    expect_signed_in_as(page, me)
    if role == "spo":
        expect(main_title(page)).to_have_text("Journal note", timeout=WAIT)
        expect(page.get_by_test_id("stAlertContentError")).to_have_text(NOT_FOUND, timeout=WAIT)
    else:  # no note page for an administrator: their home instead
        dismiss_page_not_found(page)
        expect(main_title(page)).to_have_text("Administration", timeout=WAIT)
    private_entries.assert_hidden(page, f"{me.email}'s first page after signing in from the note's address")


def test_sharing_shows_the_note_until_it_is_taken_back(
    signed_in, private_entries: PrivateEntries, people: People, review_screenshot
):
    """Runs last: it shares the note, then takes the share back."""
    note_address = f"/note?note={private_entries.note_id}"

    author = signed_in(PRACTITIONER_EMAIL)
    open_menu(author, "My reflective journal", whole_run=True)
    after_run(author, note_link(author, private_entries.note_id).click)
    expect(main_title(author)).to_have_text(private_entries.title, timeout=WAIT)
    chooser = author.get_by_role("combobox", name="Share with", exact=True)
    chooser.click()
    chooser.fill(people.spo.name)  # typing opens the list (a click alone sometimes leaves it shut) and filters it
    choice = author.get_by_role("option", name=f"{people.spo.name} (my SPO)", exact=True)
    expect(choice).to_be_visible(timeout=WAIT)
    choice.click()
    expect(chooser).to_have_value(f"{people.spo.name} (my SPO)")
    author.get_by_text("I want to talk about this in supervision").click()  # puts it on the supervision agenda too
    after_run(author, author.get_by_role("button", name="Share this note").click)
    expect(flash(author, f"Shared with {people.spo.name}")).to_be_visible(timeout=WAIT)
    expect(
        author.get_by_text(f"Who can see this: only you, and {people.spo.name} because you shared it")
    ).to_be_visible()

    spo = signed_in(SPO_EMAIL)
    open_menu(spo, "Shared with me", whole_run=True)
    link = note_link(spo, private_entries.note_id)
    expect(link).to_have_count(1, timeout=WAIT)
    expect(link).to_contain_text(f"Reflective note from {people.practitioner.name}")
    expect(link).to_contain_text("for supervision")
    after_run(spo, link.click)
    expect(main_title(spo)).to_have_text(private_entries.title, timeout=WAIT)
    expect(spo.get_by_text(private_entries.note_text)).to_be_visible(timeout=WAIT)
    expect(spo.get_by_text(f"Shared with you by {people.practitioner.name}")).to_be_visible()
    # Only the note was shared, and read-only.
    assert private_entries.debrief_text not in everything_on(spo)
    expect(spo.get_by_test_id("stMain").locator("textarea")).to_have_count(0)
    review_screenshot(spo, "privacy-spo-shared-note")

    after_run(author, author.get_by_role("button", name="Stop sharing").click)
    expect(flash(author, f"{people.spo.name} can no longer see this note.")).to_be_visible(timeout=WAIT)

    # The SPO looks at the same address again, in the same session.
    go_in_session(spo, note_address)
    expect(spo.get_by_test_id("stAlertContentError")).to_have_text(NOT_FOUND, timeout=WAIT)
    private_entries.assert_hidden(spo, "the SPO's view after the share was taken back")
    # Nowhere else keeps it either (the supervision agenda listed it while it was shared).
    visited = crawl_menu(spo, people.spo, private_entries, MENU_MUST_HAVE["spo"])
    assert "Shared with me" in visited
