"""The browser tests' Chromium is launched as Playwright would launch it, less the parts of
Chromium's own interface that nobody sees in a headless run (conftest.CHROMIUM_ARGS)."""

from __future__ import annotations

import re
from pathlib import Path

import playwright
import pytest

from tests.browser.conftest import PLAYWRIGHT_DISABLED_FEATURES, UNSEEN_BROWSER_INTERFACE

pytestmark = pytest.mark.browser


def playwrights_own_disabled_features() -> list[str]:
    """The features the installed Playwright turns off, read from its launcher's source."""
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    found = re.search(r"disabledFeatures = \[(.*?)\]\.filter\(Boolean\)", bundle.read_text(), re.S)
    assert found, f"Playwright's list of disabled Chromium features was not found in {bundle}"
    return re.findall(r'^\s*"([A-Za-z0-9]+)",?\s*$', found.group(1), re.M)


def test_our_list_keeps_every_feature_playwright_turns_off():
    # Chromium honours only the last --disable-features, so a feature Playwright adds to its own
    # list in a later release would silently come back on unless it is added here too.
    theirs = playwrights_own_disabled_features()
    assert len(theirs) >= 10, theirs
    assert sorted(theirs) == sorted(PLAYWRIGHT_DISABLED_FEATURES)


def test_a_window_has_no_hidden_address_bar_pages(browser):
    context = browser.new_context()
    try:
        context.new_page().goto("data:text/html,<title>blank</title>")
        cdp = browser.new_browser_cdp_session()
        targets = cdp.send("Target.getTargets", {"filter": [{}]})["targetInfos"]
        cdp.detach()
    finally:
        context.close()
    assert [t["url"] for t in targets if t["type"] == "page"] == ["data:text/html,<title>blank</title>"]
    assert not [t["url"] for t in targets if "omnibox" in t["url"]], UNSEEN_BROWSER_INTERFACE
