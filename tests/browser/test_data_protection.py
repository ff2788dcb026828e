"""Data protection screens in a real browser.

1. A practitioner downloads everything the portal holds about them from
   **My account**: the ZIP is made when the button is clicked (Streamlit
   calls the export outside the page run), and it opens, with a README and
   JSON and CSV files holding their own journal note.
2. An administrator sets a retention period on **Settings**, sees the count
   of debriefs older than it, and turns retention off again.
3. An administrator erases a deactivated leaver's private entries on
   **Users**: the wrong email is refused beside the box, the right one
   deletes them, and the counts drop to nothing.

The leaver and their entries are made through the services in a separate
process, so the demo logins used by the other browser tests are untouched.
Screenshots go to ``test-artifacts/browser/data-protection-*.png``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from playwright.sync_api import expect

from db.demo import ADMIN_EMAIL, PRACTITIONER_EMAIL
from tests.browser.conftest import ROOT
from tests.browser.helpers import after_run, choose, flash, open_menu, shot

pytestmark = pytest.mark.browser

WAIT = 20_000


def run_in_portal(demo_database_url: str, script: str) -> dict:
    """Run ``script`` against the server's database in its own process; it prints one JSON line."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PQP_DATABASE_URL": demo_database_url},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


WRITE_NOTE = """
import json
from sqlmodel import select
from db.demo import PRACTITIONER_EMAIL
from db.engine import session_scope
from db.organisation import User
from qa.reflection import journal
from qa.access.auth import load_actor

with session_scope() as session:
    me = load_actor(session.exec(select(User.id).where(User.email == PRACTITIONER_EMAIL)).one())
note = journal.new_note(me)
journal.save_note(me, note, title="Kinkajou: for my data download", sections={"notes": "Written to be downloaded."}, finished=True)
print(json.dumps({"note": note}))
"""

MAKE_LEAVER = """
import json
from sqlmodel import select
from db.demo import ADMIN_EMAIL
from db.engine import session_scope
from db.organisation import User, UserCreate
from db.reflection import DebriefCreate
from qa.organisation import users
from qa.reflection import debriefs, journal
from qa.access.auth import load_actor

with session_scope() as session:
    admin = load_actor(session.exec(select(User.id).where(User.email == ADMIN_EMAIL)).one())
    existing = session.exec(select(User.id).where(User.email == "leaver@demo.example")).first()
if existing is None:
    leaver = users.create_user(admin, UserCreate(full_name="Lee Leaver", email="leaver@demo.example", grade="Other", roles=["admin"]))
    me = load_actor(leaver.id)
    for title in ("First", "Second"):
        note = journal.new_note(me)
        journal.save_note(me, note, title=title, sections={"notes": "Private."}, finished=True)
    debriefs.record_debrief(me, DebriefCreate(feelings=["exhausted"], intensity=4))
    users.set_active(admin, leaver.id, False)
    existing = leaver.id
print(json.dumps({"id": existing}))
"""


def test_a_practitioner_downloads_everything_held_about_them(signed_in, demo_database_url, tmp_path):
    run_in_portal(demo_database_url, WRITE_NOTE)
    page = signed_in(PRACTITIONER_EMAIL)
    open_menu(page, "My account", whole_run=True)
    button = page.get_by_role("button", name="Download everything the portal holds about me")
    expect(button).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Other people's private notes and debriefs are never included")).to_be_visible()
    shot(page, "data-protection-account")
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.startswith("portal-data-") and download.suggested_filename.endswith(".zip")
    path = tmp_path / "mine.zip"
    download.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert "my-portal-data/README.txt" in names
        notes = json.loads(archive.read("my-portal-data/journal_notes.json"))
        assert "Kinkajou: for my data download" in {n["title"] for n in notes}
        assert "Kinkajou: for my data download" in archive.read("my-portal-data/journal_notes.csv").decode("utf-8-sig")
        profile = json.loads(archive.read("my-portal-data/profile.json"))
    assert profile[0]["email"] == PRACTITIONER_EMAIL


def test_an_administrator_sets_retention_and_erases_a_leavers_entries(signed_in, demo_database_url):
    admin = signed_in(ADMIN_EMAIL)

    # Retention: set a long period, see the count, then turn it off again.
    open_menu(admin, "Settings", whole_run=True)
    expect(admin.get_by_text("Retention is off: nothing is deleted automatically.")).to_be_visible(timeout=WAIT)
    box = admin.get_by_label("Delete debriefs older than (months)", exact=True)
    box.fill("120")
    after_run(admin, admin.get_by_role("button", name="Save retention periods").click)
    expect(flash(admin, "Retention saved (debriefs: 120 months; journal notes: keep).")).to_be_visible(timeout=WAIT)
    expect(admin.get_by_text("debriefs are older than 120 months", exact=False)).to_be_visible()
    expect(admin.get_by_text("Nothing is older than these periods.")).to_be_visible()
    admin.get_by_text("Data retention", exact=True).scroll_into_view_if_needed()
    shot(admin, "data-protection-settings")
    admin.get_by_label("Delete debriefs older than (months)", exact=True).fill("")
    after_run(admin, admin.get_by_role("button", name="Save retention periods").click)
    expect(admin.get_by_text("Retention is off: nothing is deleted automatically.")).to_be_visible(timeout=WAIT)

    # Erasure of a deactivated leaver's private entries.
    run_in_portal(demo_database_url, MAKE_LEAVER)
    open_menu(admin, "Users", whole_run=True)
    admin.get_by_role("tab", name="Edit a user").click()
    choose(admin, "Choose a person", "Lee Leaver (leaver@demo.example) (deactivated)")
    counts = admin.get_by_test_id("stMarkdownContainer").filter(has_text="Lee Leaver has")
    expect(counts).to_contain_text("2 journal notes, 1 debrief, 0 shares of them and 0 requests to talk", timeout=WAIT)
    expect(admin.get_by_text("To confirm, type leaver@demo.example in the box below.")).to_be_visible()
    confirm = admin.get_by_label("Their email address, to confirm", exact=True)
    confirm.fill("someone@demo.example")
    after_run(admin, admin.get_by_role("button", name="Erase private entries").click)
    refused = "Type Lee Leaver's email address exactly, to confirm. Nothing has been deleted."
    # In the error summary, as a link to the box, and as the message beside the box.
    expect(admin.get_by_role("link", name=refused)).to_have_attribute("href", "#error-confirm", timeout=WAIT)
    expect(admin.get_by_role("paragraph").filter(has_text=refused)).to_be_visible()
    shot(admin, "data-protection-users-erase")
    admin.get_by_label("Their email address, to confirm", exact=True).fill("leaver@demo.example")
    after_run(admin, admin.get_by_role("button", name="Erase private entries").click)
    expect(flash(admin, "Erased Lee Leaver's private entries: 2 journal notes and 1 debrief.")).to_be_visible(
        timeout=WAIT
    )
