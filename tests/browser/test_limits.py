"""Limits that speak, in a real browser.

- **An over-long paste.** A practitioner pastes more than a journal note's box takes. The box keeps all
  of it (before, the browser silently dropped the paste and only the counter changed) and says, beside
  it, in words, the limit, how many characters it holds and that nothing was saved.
- **An over-size upload.** An administrator chooses a 2.5 MB CSV on **Import staff**. The page says the
  2 MB limit in words under the box, and the browser stops the file at once: Streamlit shows it with a red
  mark, whose tooltip (and the text a screen reader reads) is "File must be 2.0MB or smaller." The
  server's cap, ``server.maxUploadSize``, is the imports' own 2 MB; Streamlit gives a page no way to see a
  file it refused, so that message is Streamlit's own.

Screenshots: ``test-artifacts/browser/limit-*.png``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from db.demo import ADMIN_EMAIL, PRACTITIONER_EMAIL
from db.reflection import TEXT_MAX
from tests.browser.helpers import after_run, main_title, open_menu, shot

pytestmark = pytest.mark.browser

WAIT = 20_000


def test_a_paste_over_a_boxs_limit_is_kept_and_the_limit_is_said_in_words(signed_in):
    author = signed_in(PRACTITIONER_EMAIL)
    open_menu(author, "My reflective journal", whole_run=True)
    after_run(author, author.get_by_role("button", name="New note").click)
    expect(main_title(author)).to_have_text("New note", timeout=WAIT)
    box = author.get_by_test_id("stMain").locator("textarea").first
    pasted = ("Pasted from a long case record. " * (TEXT_MAX // 32 + 12))[: TEXT_MAX + 314]
    box.focus()
    author.keyboard.insert_text(pasted)  # what a paste does: one insertion of the whole text
    after_run(author, lambda: box.press("Tab"))
    said = f"This box takes up to {TEXT_MAX:,} characters; you have {TEXT_MAX + 314:,}."
    alerts = author.get_by_test_id("stAlert").filter(has_text=said)
    # Beside the box; and where the note was saved as it was typed, the error summary's line for the
    # box says the same (not the service's own refusal), as a link to it.
    message = alerts.last
    expect(message).to_be_visible(timeout=WAIT)
    expect(message).to_contain_text("has not been saved: shorten it by 314 characters")
    expect(author.get_by_text("or fewer")).to_have_count(0)
    expect(box).to_have_value(pasted)
    shot(author, "limit-over-long-paste")


def test_a_file_over_the_2_mb_upload_cap_is_stopped_with_a_message_in_words(signed_in):
    admin = signed_in(ADMIN_EMAIL)
    open_menu(admin, "Import staff", whole_run=True)
    main = admin.get_by_test_id("stMain")
    expect(main.get_by_text("A CSV file of up to 2 MB and 5,000 rows.", exact=False)).to_be_visible(timeout=WAIT)
    row = "S{:05d},Person {:05d},p{:05d}@example.org,PO,practitioner,,,\n"
    data = "staff_id,full_name,email,grade,roles,pdu,team,supervisor\n"
    i = 0
    while len(data) < int(2.5 * 1024 * 1024):
        data += row.format(i, i, i)
        i += 1
    admin.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": data.encode()}]
    )
    # Streamlit marks the file with a red sign; its message is in the file's chip (read by screen readers).
    expect(main.get_by_test_id("stFileChipIconError")).to_be_visible(timeout=WAIT)
    expect(main.get_by_test_id("stFileChip").get_by_text("File must be 2.0MB or smaller.")).to_have_count(1)
    expect(main.get_by_text("Ready to import")).to_have_count(0)
    shot(admin, "limit-over-size-upload")
    main.get_by_test_id("stFileChipIconError").hover()
    admin.wait_for_timeout(800)
    shot(admin, "limit-over-size-upload-hover")
